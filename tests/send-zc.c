/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_SEND_ZC and IORING_OP_SENDMSG_ZC and their two-CQE
 * protocol: the result with IORING_CQE_F_MORE, then a notification
 * (IORING_CQE_F_NOTIF, same user_data, res 0) once the buffer may be
 * reused; with IORING_SEND_ZC_REPORT_USAGE the notification says the data
 * was copied (IORING_NOTIF_USAGE_ZC_COPIED, as the kernel on loopback).
 * Over TCP (127.0.0.1, ::1) and UDP, plain, sendto, vectored
 * (IORING_SEND_VECTORIZED) and from registered buffers
 * (IORING_RECVSEND_FIXED_BUF, -EFAULT outside them); a send that waits for
 * room.  Errors after the notification exists still come as two CQEs
 * (Unix sockets -EOPNOTSUPP, a pipe -ENOTSOCK, a bad fd -EBADF, unknown
 * flags, vectored + fixed, SENDMSG_ZC with addr2: -EINVAL); errors before it
 * come alone (IOSQE_CQE_SKIP_SUCCESS, addr3: -EINVAL).
 */
#include "net-util.h"

static struct io_uring ring;
static char regbuf[8192];

/* The result CQE then the notification. */
static void expect_zc(uint64_t ud, int res, int notif_res)
{
	t_expect_cqe(&ring, ud, res, IORING_CQE_F_MORE);
	t_expect_cqe(&ring, ud, notif_res, IORING_CQE_F_NOTIF);
}

static struct io_uring_sqe *zc_sqe(int fd, const void *buf, size_t len,
				   int flags, unsigned zc_flags, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_send_zc(sqe, fd, buf, len, flags, zc_flags);
	sqe->user_data = ud;
	return sqe;
}

static void recv_check(int fd, const char *want, size_t len)
{
	char buf[256];

	t_assert(t_readable(fd, 2000));
	t_eq(recv(fd, buf, sizeof(buf), 0), (ssize_t)len);
	t_assert(!memcmp(buf, want, len));
}

static void test_stream(int family)
{
	int s[2];
	struct io_uring_sqe *sqe;

	t_stream_pair(family, s);
	zc_sqe(s[0], "zerocopy", 8, 0, 0, 1);
	t_submit(&ring, 1);
	expect_zc(1, 8, 0);
	recv_check(s[1], "zerocopy", 8);

	zc_sqe(s[0], "usage", 5, 0, IORING_SEND_ZC_REPORT_USAGE, 2);
	t_submit(&ring, 1);
	expect_zc(2, 5, (int)IORING_NOTIF_USAGE_ZC_COPIED);
	recv_check(s[1], "usage", 5);

	/* vectored */
	{
		struct iovec iov[2] = { { "vec", 3 }, { "tor", 3 } };

		zc_sqe(s[0], iov, 2, 0, IORING_SEND_VECTORIZED, 3);
		t_submit(&ring, 1);
		expect_zc(3, 6, 0);
		recv_check(s[1], "vector", 6);
	}

	/* registered buffer: inside, then outside */
	memcpy(regbuf + 100, "registered", 10);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send_zc_fixed(sqe, s[0], regbuf + 100, 10, 0, 0, 0);
	sqe->user_data = 4;
	t_submit(&ring, 1);
	expect_zc(4, 10, 0);
	recv_check(s[1], "registered", 10);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send_zc_fixed(sqe, s[0], regbuf + sizeof(regbuf) - 4, 10, 0, 0, 0);
	sqe->user_data = 5;
	t_submit(&ring, 1);
	expect_zc(5, -EFAULT, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send_zc_fixed(sqe, s[0], regbuf, 10, 0, 0, 3);	/* no buffer 3 */
	sqe->user_data = 6;
	t_submit(&ring, 1);
	expect_zc(6, -EFAULT, 0);
	/* vectored from registered buffers: refused */
	{
		struct iovec iov = { regbuf, 4 };

		sqe = zc_sqe(s[0], &iov, 1, 0,
			     IORING_SEND_VECTORIZED | IORING_RECVSEND_FIXED_BUF, 7);
		t_submit(&ring, 1);
		expect_zc(7, -EINVAL, 0);
	}

	/* SENDMSG_ZC, also from a registered buffer */
	{
		struct iovec iov[2] = { { "send", 4 }, { "msg", 3 } };
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

		sqe = t_get_sqe(&ring);
		io_uring_prep_sendmsg_zc(sqe, s[0], &m, 0);
		sqe->ioprio |= IORING_SEND_ZC_REPORT_USAGE;
		sqe->user_data = 8;
		t_submit(&ring, 1);
		expect_zc(8, 7, (int)IORING_NOTIF_USAGE_ZC_COPIED);
		recv_check(s[1], "sendmsg", 7);

		memcpy(regbuf, "fixedmsg", 8);
		iov[0].iov_base = regbuf;
		iov[0].iov_len = 5;
		iov[1].iov_base = regbuf + 5;
		iov[1].iov_len = 3;
		sqe = t_get_sqe(&ring);
		io_uring_prep_sendmsg_zc_fixed(sqe, s[0], &m, 0, 0);
		sqe->user_data = 9;
		t_submit(&ring, 1);
		expect_zc(9, 8, 0);
		recv_check(s[1], "fixedmsg", 8);
		iov[1].iov_base = "outside";
		sqe = t_get_sqe(&ring);
		io_uring_prep_sendmsg_zc_fixed(sqe, s[0], &m, 0, 0);
		sqe->user_data = 10;
		t_submit(&ring, 1);
		expect_zc(10, -EFAULT, 0);
	}
	close(s[0]);
	close(s[1]);
}

static void test_udp(void)
{
	int u[2], r;
	struct sockaddr_storage ss;
	socklen_t len;
	struct io_uring_sqe *sqe;

	t_udp_pair(AF_INET, u);
	zc_sqe(u[0], "dgram", 5, 0, 0, 20);
	t_submit(&ring, 1);
	expect_zc(20, 5, 0);
	recv_check(u[1], "dgram", 5);

	/* sendto from an unconnected socket */
	r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	len = sizeof(ss);
	t_eq(getsockname(u[1], (struct sockaddr *)&ss, &len), 0);
	close(u[1]);
	t_loopback_addr(AF_INET, &ss, &len);
	t_eq(bind(r, (struct sockaddr *)&ss, len), 0);
	len = sizeof(ss);
	t_eq(getsockname(r, (struct sockaddr *)&ss, &len), 0);
	u[1] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sqe = zc_sqe(u[1], "to", 2, 0, 0, 21);
	io_uring_prep_send_set_addr(sqe, (struct sockaddr *)&ss, (uint16_t)len);
	t_submit(&ring, 1);
	expect_zc(21, 2, 0);
	recv_check(r, "to", 2);
	close(r);
	close(u[0]);
	close(u[1]);
}

/* A full socket: the send waits, then both CQEs come. */
static void test_waits(void)
{
	static char big[65536];
	int s[2], small = 4096;
	char *sink;
	ssize_t n, total = 0, got = 0;

	t_stream_pair(AF_INET, s);
	setsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(s[0], F_SETFL, O_NONBLOCK);
	while ((n = send(s[0], big, sizeof(big), 0)) > 0)
		total += n;
	zc_sqe(s[0], "late", 4, 0, 0, 30);
	t_submit(&ring, 1);
	usleep(20000);
	t_expect_no_cqe(&ring);
	sink = malloc((size_t)total + 4);
	while (got < total + 4) {
		n = recv(s[1], sink + got, (size_t)(total + 4 - got), 0);
		t_assert(n > 0);
		got += n;
		if (got >= total)
			break;
	}
	expect_zc(30, 4, 0);
	while (got < total + 4) {
		n = recv(s[1], sink + got, (size_t)(total + 4 - got), 0);
		t_assert(n > 0);
		got += n;
	}
	t_assert(!memcmp(sink + total, "late", 4));
	free(sink);
	close(s[0]);
	close(s[1]);
}

static void test_errors(void)
{
	int u[2], p[2], s[2];
	struct io_uring_sqe *sqe;

	t_unix_pair(SOCK_STREAM, u);
	zc_sqe(u[0], "x", 1, 0, 0, 40);
	t_submit(&ring, 1);
	expect_zc(40, -EOPNOTSUPP, 0);
	t_pipe(p);
	zc_sqe(p[1], "x", 1, 0, 0, 41);
	t_submit(&ring, 1);
	expect_zc(41, -ENOTSOCK, 0);
	zc_sqe(9999, "x", 1, 0, 0, 42);
	t_submit(&ring, 1);
	expect_zc(42, -EBADF, 0);
	t_stream_pair(AF_INET, s);
	zc_sqe(s[0], "x", 1, 0, 1u << 7, 43);
	t_submit(&ring, 1);
	expect_zc(43, -EINVAL, 0);
	{
		struct iovec iov = { "x", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

		sqe = t_get_sqe(&ring);
		io_uring_prep_sendmsg_zc(sqe, s[0], &m, 0);
		sqe->addr2 = 1;
		sqe->user_data = 44;
		t_submit(&ring, 1);
		expect_zc(44, -EINVAL, 0);
		sqe = t_get_sqe(&ring);
		io_uring_prep_sendmsg_zc(sqe, s[0], (void *)8, 0);
		sqe->user_data = 45;
		t_submit(&ring, 1);
		expect_zc(45, -EFAULT, 0);
	}
	/* refused before the notification exists: one CQE */
	sqe = zc_sqe(s[0], "x", 1, 0, 0, 46);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 46, -EINVAL, 0);
	sqe = zc_sqe(s[0], "x", 1, 0, 0, 47);
	sqe->addr3 = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 47, -EINVAL, 0);
	/* no provided buffers for zero copy */
	sqe = zc_sqe(s[0], "x", 1, 0, 0, 48);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 48, -EOPNOTSUPP, 0);
	usleep(10000);
	t_expect_no_cqe(&ring);
	t_eq(t_readable(s[1], 0), 0);
	close(s[0]);
	close(s[1]);
	close(p[0]);
	close(p[1]);
	close(u[0]);
	close(u[1]);
}

int main(void)
{
	struct iovec iov = { regbuf, sizeof(regbuf) };

	t_ring_init(&ring, 16, 0);
	t_eq(io_uring_register_buffers(&ring, &iov, 1), 0);
	test_stream(AF_INET);
	if (t_have_ipv6())
		test_stream(AF_INET6);
	else
		printf("no ::1 here; IPv6 part skipped\n");
	test_udp();
	test_waits();
	test_errors();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
