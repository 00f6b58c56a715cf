/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_SENDMSG and IORING_OP_RECVMSG.  Gather and scatter
 * over iovecs; UDP (127.0.0.1, ::1) with msg_name: the destination is taken
 * at submission, the sender's address and full length come back (a short
 * msg_namelen cuts the name, not the length), MSG_TRUNC in msg_flags for a
 * cut datagram; SCM_RIGHTS over a Unix stream (msg_controllen written back,
 * MSG_CTRUNC when the control buffer is too small); the msghdr's iovec array
 * may be reused once submitted; IORING_CQE_F_SOCK_NONEMPTY on TCP; and the
 * kernel's checks: more than UIO_MAXIOV iovecs -EMSGSIZE, a negative name
 * length -EINVAL, bad pointers -EFAULT, msg_controllen beyond INT_MAX
 * -ENOBUFS, addr2/file_index/FIXED_BUF/BUNDLE/unknown flags -EINVAL.
 */
#include "net-util.h"

static struct io_uring ring;

static int run1(struct io_uring_sqe *sqe, uint64_t ud, unsigned *flags)
{
	struct io_uring_cqe *cqe;
	int res;

	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	res = cqe->res;
	if (flags)
		*flags = cqe->flags;
	else
		t_eq(cqe->flags, 0);
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static struct io_uring_sqe *sendmsg_sqe(int fd, struct msghdr *m, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_sendmsg(sqe, fd, m, flags);
	return sqe;
}

static struct io_uring_sqe *recvmsg_sqe(int fd, struct msghdr *m, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_recvmsg(sqe, fd, m, flags);
	return sqe;
}

static void test_udp(int family)
{
	struct sockaddr_storage dst, from, src;
	socklen_t dlen, slen;
	char a[4], b[16], out[32];
	struct iovec siov[3] = { { "hello ", 6 }, { "", 0 }, { "world", 5 } };
	struct iovec riov[2];
	struct msghdr sm, rm;
	int s, r;

	s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	t_loopback_addr(family, &dst, &dlen);
	t_eq(bind(r, (struct sockaddr *)&dst, dlen), 0);
	dlen = sizeof(dst);
	t_eq(getsockname(r, (struct sockaddr *)&dst, &dlen), 0);
	t_loopback_addr(family, &src, &slen);
	t_eq(bind(s, (struct sockaddr *)&src, slen), 0);
	slen = sizeof(src);
	t_eq(getsockname(s, (struct sockaddr *)&src, &slen), 0);

	/* a waiting recvmsg; scatter over two iovecs */
	memset(&rm, 0, sizeof(rm));
	riov[0].iov_base = a;
	riov[0].iov_len = sizeof(a);
	riov[1].iov_base = b;
	riov[1].iov_len = sizeof(b);
	rm.msg_name = &from;
	rm.msg_namelen = sizeof(from);
	rm.msg_iov = riov;
	rm.msg_iovlen = 2;
	rm.msg_flags = 0x5a5a;		/* overwritten */
	{
		struct io_uring_sqe *sqe = recvmsg_sqe(r, &rm, 0);

		sqe->user_data = 1;
		t_submit(&ring, 1);
		/* the iovec array is read at submission */
		memset(riov, 0, sizeof(riov));
	}
	usleep(10000);
	t_expect_no_cqe(&ring);

	memset(&sm, 0, sizeof(sm));
	sm.msg_name = &dst;
	sm.msg_namelen = dlen;
	sm.msg_iov = siov;
	sm.msg_iovlen = 3;
	{
		struct io_uring_sqe *sqe = sendmsg_sqe(s, &sm, 0);
		struct t_cqe_want w[2] = { { 1, 11, 0, -1 }, { 2, 11, 0, -1 } };

		sqe->user_data = 2;
		t_submit(&ring, 1);
		/* the destination is read at submission too */
		memset(&sm, 0, sizeof(sm));
		t_reap_cqes(&ring, w, 2);
	}
	t_assert(!memcmp(a, "hell", 4));
	t_assert(!memcmp(b, "o world", 7));
	t_eq(rm.msg_namelen, slen);
	t_eq(rm.msg_flags, 0);
	t_eq(rm.msg_controllen, 0);
	t_eq(t_port(&from), t_port(&src));

	/* a short name buffer: cut, but the full length is reported; a cut
	 * datagram sets MSG_TRUNC */
	memset(&from, 0, sizeof(from));
	riov[0].iov_base = out;
	riov[0].iov_len = 3;
	rm.msg_iov = riov;
	rm.msg_iovlen = 1;
	rm.msg_namelen = 2;	/* the family only */
	t_eq(sendto(s, "truncated", 9, 0, (struct sockaddr *)&dst, dlen), 9);
	t_assert(t_readable(r, 1000));
	t_eq(run1(recvmsg_sqe(r, &rm, 0), 3, NULL), 3);
	t_eq(rm.msg_namelen, slen);
	t_eq(rm.msg_flags, MSG_TRUNC);
	t_eq(from.ss_family, family);
	t_eq(((struct sockaddr_in *)&from)->sin_port, 0);	/* not copied */

	/* no name wanted */
	rm.msg_name = NULL;
	rm.msg_namelen = 77;
	riov[0].iov_len = sizeof(out);
	t_eq(sendto(s, "x", 1, 0, (struct sockaddr *)&dst, dlen), 1);
	t_assert(t_readable(r, 1000));
	t_eq(run1(recvmsg_sqe(r, &rm, 0), 4, NULL), 1);
	t_eq(rm.msg_namelen, 77);	/* untouched */
	t_eq(rm.msg_flags, 0);
	close(s);
	close(r);
}

static void test_rights(void)
{
	int s[2], p[2], got;
	char data = 'D', rbuf[8];
	struct iovec iov = { &data, 1 }, riov = { rbuf, sizeof(rbuf) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl, rctl;
	struct msghdr m, rm;
	struct cmsghdr *c;

	t_unix_pair(SOCK_STREAM, s);
	t_pipe(p);
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 10, NULL), 1);

	memset(&rm, 0, sizeof(rm));
	memset(&rctl, 0, sizeof(rctl));
	rm.msg_iov = &riov;
	rm.msg_iovlen = 1;
	rm.msg_control = rctl.buf;
	rm.msg_controllen = sizeof(rctl.buf);
	t_eq(run1(recvmsg_sqe(s[1], &rm, MSG_CMSG_CLOEXEC), 11, NULL), 1);
	t_eq(rm.msg_controllen, CMSG_SPACE(sizeof(int)));
	t_eq(rm.msg_flags, MSG_CMSG_CLOEXEC);	/* echoed, as recvmsg(2) */
	c = CMSG_FIRSTHDR(&rm);
	t_assert(c && c->cmsg_type == SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	t_assert(fcntl(got, F_GETFD) & FD_CLOEXEC);
	t_eq(write(got, "!", 1), 1);
	t_eq(read(p[0], rbuf, 1), 1);
	close(got);

	/* control buffer too small: MSG_CTRUNC */
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &p[1], sizeof(int));
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 12, NULL), 1);
	rm.msg_control = rctl.buf;
	rm.msg_controllen = sizeof(struct cmsghdr);	/* no room for the fd */
	t_eq(run1(recvmsg_sqe(s[1], &rm, 0), 13, NULL), 1);
	t_eq(rm.msg_flags, MSG_CTRUNC);

	/* msg_controllen beyond INT_MAX; a bad control pointer */
	m.msg_controllen = 0x80000000ul;
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 14, NULL), -ENOBUFS);
	m.msg_control = (void *)8;
	m.msg_controllen = sizeof(ctl.buf);
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 15, NULL), -EFAULT);
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
}

static void test_tcp_nonempty(void)
{
	int s[2];
	char a[3];
	struct iovec iov = { a, sizeof(a) };
	struct msghdr m;
	unsigned flags;

	t_stream_pair(AF_INET, s);
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	t_eq(send(s[0], "abcdef", 6, 0), 6);
	usleep(10000);
	t_eq(run1(recvmsg_sqe(s[1], &m, 0), 20, &flags), 3);
	t_eq(flags, IORING_CQE_F_SOCK_NONEMPTY);
	t_eq(run1(recvmsg_sqe(s[1], &m, 0), 21, &flags), 3);
	t_eq(flags, 0);
	t_assert(!memcmp(a, "def", 3));
	close(s[0]);
	close(s[1]);
}

static void test_errors(void)
{
	int s[2];
	static struct iovec many[1025];
	char c;
	struct iovec one = { &c, 1 };
	struct msghdr m;
	struct sockaddr_in sin;
	struct io_uring_sqe *sqe;
	int i;

	t_unix_pair(SOCK_DGRAM, s);
	for (i = 0; i < 1025; i++) {
		many[i].iov_base = &c;
		many[i].iov_len = 1;
	}
	memset(&m, 0, sizeof(m));
	m.msg_iov = many;
	m.msg_iovlen = 1025;
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 30, NULL), -EMSGSIZE);
	t_eq(run1(recvmsg_sqe(s[1], &m, 0), 31, NULL), -EMSGSIZE);
	m.msg_iovlen = 1024;
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 32, NULL), 1024);
	t_eq(recv(s[1], many, 2048, 0), 1024);
	m.msg_iov = &one;
	m.msg_iovlen = 1;
	m.msg_name = &sin;
	m.msg_namelen = 0x80000000u;
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 33, NULL), -EINVAL);
	t_eq(run1(recvmsg_sqe(s[1], &m, 0), 34, NULL), -EINVAL);
	m.msg_name = (void *)8;
	m.msg_namelen = sizeof(sin);
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 35, NULL), -EFAULT);
	m.msg_name = NULL;
	m.msg_iov = (void *)8;
	t_eq(run1(sendmsg_sqe(s[0], &m, 0), 36, NULL), -EFAULT);
	t_eq(run1(recvmsg_sqe(s[1], &m, 0), 37, NULL), -EFAULT);
	m.msg_iov = &one;
	t_eq(run1(sendmsg_sqe(s[0], (void *)8, 0), 38, NULL), -EFAULT);
	t_eq(run1(recvmsg_sqe(s[1], (void *)8, 0), 39, NULL), -EFAULT);
	{
		struct iovec neg = { &c, (size_t)-1 };

		m.msg_iov = &neg;
		t_eq(run1(sendmsg_sqe(s[0], &m, 0), 40, NULL), -EINVAL);
		m.msg_iov = &one;
	}
	sqe = sendmsg_sqe(s[0], &m, 0);
	sqe->addr2 = 1;
	t_eq(run1(sqe, 41, NULL), -EINVAL);
	sqe = sendmsg_sqe(s[0], &m, 0);
	sqe->file_index = 1;
	t_eq(run1(sqe, 42, NULL), -EINVAL);
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->addr2 = 1;
	t_eq(run1(sqe, 43, NULL), -EINVAL);
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->file_index = 1;
	t_eq(run1(sqe, 44, NULL), -EINVAL);
	sqe = sendmsg_sqe(s[0], &m, 0);
	sqe->ioprio = IORING_RECVSEND_FIXED_BUF;
	t_eq(run1(sqe, 45, NULL), -EINVAL);
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->ioprio = IORING_RECVSEND_FIXED_BUF;
	t_eq(run1(sqe, 46, NULL), -EINVAL);
	sqe = sendmsg_sqe(s[0], &m, 0);
	sqe->ioprio = IORING_RECVSEND_BUNDLE;
	t_eq(run1(sqe, 47, NULL), -EINVAL);
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->ioprio = IORING_RECVSEND_BUNDLE;
	t_eq(run1(sqe, 48, NULL), -EINVAL);
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->ioprio = 1u << 6;
	t_eq(run1(sqe, 49, NULL), -EINVAL);
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;	/* needs a buffer group */
	t_eq(run1(sqe, 50, NULL), -EINVAL);
	/* SENDMSG takes no provided buffers */
	sqe = sendmsg_sqe(s[0], &m, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	t_eq(run1(sqe, 51, NULL), -EOPNOTSUPP);
	/* RECVMSG with a buffer group: at most one iovec; no group here */
	m.msg_iov = many;
	m.msg_iovlen = 2;
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	t_eq(run1(sqe, 52, NULL), -EINVAL);
	m.msg_iovlen = 1;
	sqe = recvmsg_sqe(s[1], &m, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 3;
	t_eq(run1(sqe, 53, NULL), -ENOBUFS);
	/* not a socket */
	{
		int p[2];

		t_pipe(p);
		m.msg_iov = &one;
		t_eq(run1(sendmsg_sqe(p[1], &m, 0), 54, NULL), -ENOTSOCK);
		t_eq(run1(recvmsg_sqe(p[0], &m, 0), 55, NULL), -ENOTSOCK);
		close(p[0]);
		close(p[1]);
	}
	close(s[0]);
	close(s[1]);
}

int main(void)
{
	t_ring_init(&ring, 16, 0);
	test_udp(AF_INET);
	if (t_have_ipv6())
		test_udp(AF_INET6);
	else
		printf("no ::1 here; IPv6 part skipped\n");
	test_rights();
	test_tcp_nonempty();
	test_errors();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
