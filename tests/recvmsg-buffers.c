/* SPDX-License-Identifier: MIT */
/*
 * Description: RECVMSG into provided buffers over loopback UDP and TCP.
 * One-shot: the payload goes into the selected buffer (cut to the msghdr's
 * single iov_len), name, control length and flags into the msghdr.
 * Multishot: each buffer holds io_uring_recvmsg_out, the name area, the
 * control area and the payload (res = bytes written), IORING_CQE_F_MORE
 * while it goes on; -ENOBUFS ends it when the ring runs dry, a buffer
 * smaller than the header is -EFAULT, and the end of a stream ends it with
 * a CQE holding a header with no payload.
 */
#include <limits.h>
#include <netinet/in.h>
#include <unistd.h>

#include "helpers/helpers.h"
#include "net-util.h"

#define NBUF	8
#define BUFSZ	256

static struct io_uring ring;
static char bufs[NBUF][BUFSZ];

static void prep_recvmsg(int fd, struct msghdr *mh, int bgid, bool mshot,
			 uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	if (mshot)
		io_uring_prep_recvmsg_multishot(sqe, fd, mh, 0);
	else
		io_uring_prep_recvmsg(sqe, fd, mh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)bgid;
	sqe->user_data = ud;
}

static struct io_uring_buf_ring *ring_with(int bgid, int n, unsigned size)
{
	struct io_uring_buf_ring *br;
	int err;

	br = io_uring_setup_buf_ring(&ring, NBUF, bgid, 0, &err);
	t_assert(br);
	for (int i = 0; i < n; i++)
		io_uring_buf_ring_add(br, bufs[i], size, (unsigned short)i,
				      io_uring_buf_ring_mask(NBUF), i);
	io_uring_buf_ring_advance(br, n);
	return br;
}

static unsigned bid_of(const struct io_uring_cqe *cqe)
{
	t_assert(cqe->flags & IORING_CQE_F_BUFFER);
	return cqe->flags >> IORING_CQE_BUFFER_SHIFT;
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	t_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return t_port(&ss);
}

/* One multishot CQE: check the layout and return the header. */
static struct io_uring_recvmsg_out *mshot_check(struct io_uring_cqe *cqe,
						struct msghdr *mh,
						const char *payload,
						unsigned plen)
{
	struct io_uring_recvmsg_out *o;
	unsigned bid = bid_of(cqe);

	t_assert(bid < NBUF);
	t_eq(cqe->res, (int)(sizeof(*o) + mh->msg_namelen + mh->msg_controllen +
			     plen));
	o = io_uring_recvmsg_validate(bufs[bid], cqe->res, mh);
	t_assert(o);
	t_eq(o->payloadlen, plen);
	t_eq(io_uring_recvmsg_payload_length(o, cqe->res, mh), plen);
	t_assert(!memcmp(io_uring_recvmsg_payload(o, mh), payload, plen));
	return o;
}

static void udp_tests(void)
{
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct sockaddr_in sin;
	struct iovec iov = { NULL, 0 };
	struct msghdr mh;
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	int fds[2], one = 1, peer;

	t_udp_pair(AF_INET, fds);
	peer = port_of(fds[1]);
	br = ring_with(1, 4, BUFSZ);

	/* One-shot: payload into buffer 0, the name into the msghdr. */
	memset(&mh, 0, sizeof(mh));
	memset(&sin, 0, sizeof(sin));
	mh.msg_name = &sin;
	mh.msg_namelen = sizeof(sin);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	t_eq(send(fds[1], "hello", 5, 0), 5);
	prep_recvmsg(fds[0], &mh, 1, false, 1);
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 1);
	t_eq(cqe->res, 5);
	t_eq(cqe->flags & IORING_CQE_F_MORE, 0);
	t_eq(bid_of(cqe), 0);
	t_assert(!memcmp(bufs[0], "hello", 5));
	t_eq(mh.msg_namelen, sizeof(sin));
	t_eq(sin.sin_family, AF_INET);
	t_eq(ntohs(sin.sin_port), peer);
	t_eq(mh.msg_flags, 0);
	io_uring_cqe_seen(&ring, cqe);

	/* One-shot, iov_len 3 cuts the buffer: the datagram is truncated. */
	iov.iov_len = 3;
	t_eq(send(fds[1], "abcdef", 6, 0), 6);
	prep_recvmsg(fds[0], &mh, 1, false, 2);
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 2);
	t_eq(cqe->res, 3);
	t_eq(bid_of(cqe), 1);
	t_assert(!memcmp(bufs[1], "abc", 3));
	t_eq(mh.msg_flags, MSG_TRUNC);
	io_uring_cqe_seen(&ring, cqe);
	iov.iov_len = 0;

	/* Multishot with name and control (IP_PKTINFO): buffers 2 and 3,
	 * then the dry ring ends it with -ENOBUFS. */
	t_eq(setsockopt(fds[0], IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)), 0);
	memset(&mh, 0, sizeof(mh));
	mh.msg_namelen = sizeof(struct sockaddr_in);
	mh.msg_controllen = sizeof(cbuf);
	prep_recvmsg(fds[0], &mh, 1, true, 3);
	t_submit(&ring, 1);
	usleep(10 * 1000);
	for (int i = 0; i < 2; i++) {
		static const char *msgs[] = { "first", "second!" };
		struct io_uring_recvmsg_out *o;
		struct sockaddr_in *name;
		struct cmsghdr *c;

		t_eq(send(fds[1], msgs[i], strlen(msgs[i]), 0),
		     (ssize_t)strlen(msgs[i]));
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 3);
		t_assert(cqe->flags & IORING_CQE_F_MORE);
		t_eq(bid_of(cqe), (unsigned)(2 + i));
		o = mshot_check(cqe, &mh, msgs[i], (unsigned)strlen(msgs[i]));
		t_eq(o->namelen, sizeof(struct sockaddr_in));
		t_eq(o->flags, 0);
		name = io_uring_recvmsg_name(o);
		t_eq(name->sin_family, AF_INET);
		t_eq(ntohs(name->sin_port), peer);
		t_eq(o->controllen, CMSG_SPACE(sizeof(struct in_pktinfo)));
		c = io_uring_recvmsg_cmsg_firsthdr(o, &mh);
		t_assert(c);
		t_eq(c->cmsg_level, IPPROTO_IP);
		t_eq(c->cmsg_type, IP_PKTINFO);
		io_uring_cqe_seen(&ring, cqe);
	}
	t_eq(send(fds[1], "z", 1, 0), 1);
	t_expect_cqe(&ring, 3, -ENOBUFS, 0);
	t_eq(io_uring_free_buf_ring(&ring, br, NBUF, 1), 0);
	{
		char c;

		t_eq(recv(fds[0], &c, 1, 0), 1);
	}

	/* Buffers smaller than header + name + control: -EFAULT at once. */
	br = ring_with(2, 2, 40);
	prep_recvmsg(fds[0], &mh, 2, true, 4);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, -EFAULT, 0);
	/* The buffer went back: a one-shot receive still gets buffer 0. */
	t_eq(send(fds[1], "ok", 2, 0), 2);
	memset(&mh, 0, sizeof(mh));
	prep_recvmsg(fds[0], &mh, 2, false, 5);
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->res, 2);
	t_eq(bid_of(cqe), 0);
	io_uring_cqe_seen(&ring, cqe);
	t_eq(io_uring_free_buf_ring(&ring, br, NBUF, 2), 0);

	/* A missing group: -ENOBUFS. */
	prep_recvmsg(fds[0], &mh, 77, true, 6);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -ENOBUFS, 0);

	/* Multishot with the name area only: a truncated datagram says
	 * MSG_TRUNC; payloadlen is what was copied, or with MSG_TRUNC in
	 * sqe->msg_flags the datagram's real size (res stays capped). */
	br = ring_with(3, 1, 16 + 16 + 4);
	memset(&mh, 0, sizeof(mh));
	mh.msg_namelen = sizeof(struct sockaddr_in);
	t_eq(send(fds[1], "0123456789", 10, 0), 10);
	t_eq(send(fds[1], "abcdefghij", 10, 0), 10);
	usleep(10 * 1000);
	for (int i = 0; i < 2; i++) {
		struct io_uring_recvmsg_out *o;

		prep_recvmsg(fds[0], &mh, 3, true, 7);
		if (i)
			ring.sq.sqes[(ring.sq.sqe_tail - 1) & *ring.sq.kring_mask]
				.msg_flags = MSG_TRUNC;
		t_submit(&ring, 1);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 7);
		t_eq(cqe->res, 16 + 16 + 4);
		t_assert(cqe->flags & IORING_CQE_F_MORE);
		t_eq(bid_of(cqe), 0);
		o = (void *)bufs[0];
		t_eq(o->payloadlen, i ? 10 : 4);
		/* IP_PKTINFO is still on, with no control area */
		t_eq(o->flags, MSG_TRUNC | MSG_CTRUNC);
		t_eq(o->controllen, 0);
		t_eq(o->namelen, sizeof(struct sockaddr_in));
		t_assert(!memcmp(bufs[0] + 32, i ? "abcd" : "0123", 4));
		io_uring_cqe_seen(&ring, cqe);
		/* the ring is dry now: the next datagram ends it */
		if (i)
			t_eq(send(fds[1], "x", 1, 0), 1);
		t_expect_cqe(&ring, 7, -ENOBUFS, 0);
		io_uring_buf_ring_add(br, bufs[0], 36, 0,
				      io_uring_buf_ring_mask(NBUF), 0);
		io_uring_buf_ring_advance(br, 1);
	}
	t_eq(io_uring_free_buf_ring(&ring, br, NBUF, 3), 0);
	close(fds[0]);
	close(fds[1]);
}

static void tcp_tests(void)
{
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct iovec iov = { NULL, 4 };
	struct msghdr mh;
	int fds[2];

	t_stream_pair(AF_INET, fds);
	br = ring_with(4, 4, BUFSZ);

	/* One-shot, cut to iov_len 4: the rest stays queued. */
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	t_eq(write(fds[1], "abcdef", 6), 6);
	usleep(10 * 1000);
	prep_recvmsg(fds[0], &mh, 4, false, 10);
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 10);
	t_eq(cqe->res, 4);
	t_eq(bid_of(cqe), 0);
	t_assert(cqe->flags & IORING_CQE_F_SOCK_NONEMPTY);
	t_assert(!memcmp(bufs[0], "abcd", 4));
	io_uring_cqe_seen(&ring, cqe);

	/* Multishot without name or control: the first buffer is cut to
	 * iov_len too (the queued "ef"), later ones are whole. */
	memset(&mh, 0, sizeof(mh));
	iov.iov_len = 0;
	prep_recvmsg(fds[0], &mh, 4, true, 11);
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 11);
	t_assert(cqe->flags & IORING_CQE_F_MORE);
	t_eq(bid_of(cqe), 1);
	t_eq(mshot_check(cqe, &mh, "ef", 2)->namelen, 0);
	io_uring_cqe_seen(&ring, cqe);
	t_eq(write(fds[1], "hello", 5), 5);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 11);
	t_assert(cqe->flags & IORING_CQE_F_MORE);
	t_eq(bid_of(cqe), 2);
	mshot_check(cqe, &mh, "hello", 5);
	io_uring_cqe_seen(&ring, cqe);

	/* EOF ends it: a last CQE whose buffer holds a header and no
	 * payload (res = the header size), without F_MORE. */
	usleep(10 * 1000);
	shutdown(fds[1], SHUT_WR);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 11);
	t_eq(cqe->flags & IORING_CQE_F_MORE, 0);
	t_eq(bid_of(cqe), 3);
	mshot_check(cqe, &mh, "", 0);
	io_uring_cqe_seen(&ring, cqe);

	/* One-shot at EOF: res 0 and no buffer. */
	io_uring_buf_ring_add(br, bufs[0], BUFSZ, 0, io_uring_buf_ring_mask(NBUF), 0);
	io_uring_buf_ring_advance(br, 1);
	prep_recvmsg(fds[0], &mh, 4, false, 12);
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 12);
	t_eq(cqe->res, 0);
	/* (6.18 also says SOCK_NONEMPTY here: the FIN is still queued) */
	t_eq(cqe->flags & (IORING_CQE_F_BUFFER | IORING_CQE_F_MORE), 0);
	io_uring_cqe_seen(&ring, cqe);
	t_eq(io_uring_free_buf_ring(&ring, br, NBUF, 4), 0);
	close(fds[0]);
	close(fds[1]);
}

/* Prep: the header + name + control must fit in an int. */
static void prep_tests(void)
{
	struct msghdr mh;
	int fds[2];

	t_udp_pair(AF_INET, fds);
	memset(&mh, 0, sizeof(mh));
	mh.msg_controllen = (size_t)INT_MAX;
	prep_recvmsg(fds[0], &mh, 1, true, 20);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, -EOVERFLOW, 0);
	/* Without msg_name a negative length passes the msghdr checks and
	 * fails the layout's. */
	mh.msg_controllen = 0;
	mh.msg_namelen = (socklen_t)-1;
	prep_recvmsg(fds[0], &mh, 1, true, 21);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, -EOVERFLOW, 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	t_ring_init(&ring, 32, 0);
	udp_tests();
	tcp_tests();
	prep_tests();
	io_uring_queue_exit(&ring);
	return 0;
}
