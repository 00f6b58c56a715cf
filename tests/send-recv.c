/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_SEND and IORING_OP_RECV over TCP (127.0.0.1, ::1),
 * Unix streams, UDP and Unix datagrams.  A receive waits for data and
 * completes with what arrived; IORING_CQE_F_SOCK_NONEMPTY says data is left
 * (TCP and Unix streams only; TCP also at end of stream); end of stream is
 * 0; MSG_PEEK leaves the data; MSG_DONTWAIT gives -EAGAIN instead of
 * waiting; IORING_RECVSEND_POLL_FIRST waits for readiness first; a send to
 * a full socket waits for room; IORING_SEND_VECTORIZED sends an iovec
 * array; sendto (sqe->addr2) reaches an unconnected datagram socket, and
 * without an address -EDESTADDRREQ; a datagram longer than the buffer is
 * cut (MSG_TRUNC gives its real length); SEND linked to RECV; fixed files.
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

static struct io_uring_sqe *recv_sqe(int fd, void *buf, size_t len, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_recv(sqe, fd, buf, len, flags);
	return sqe;
}

static struct io_uring_sqe *send_sqe(int fd, const void *buf, size_t len, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_send(sqe, fd, buf, len, flags);
	return sqe;
}

static void test_stream(int family)
{
	int s[2];
	char buf[64];
	unsigned flags;
	unsigned tcp_eof = family == AF_UNIX ? 0 : IORING_CQE_F_SOCK_NONEMPTY;
	struct io_uring_sqe *sqe;

	if (family == AF_UNIX)
		t_unix_pair(SOCK_STREAM, s);
	else
		t_stream_pair(family, s);

	/* a receive waits for data */
	sqe = recv_sqe(s[1], buf, sizeof(buf), 0);
	sqe->user_data = 1;
	t_submit(&ring, 1);
	usleep(20000);
	t_expect_no_cqe(&ring);
	t_eq(send(s[0], "hello", 5, 0), 5);
	t_expect_cqe(&ring, 1, 5, 0);
	t_assert(!memcmp(buf, "hello", 5));

	/* send */
	t_eq(run1(send_sqe(s[0], "world!", 6, 0), 2, NULL), 6);
	t_eq(recv(s[1], buf, sizeof(buf), 0), 6);
	t_assert(!memcmp(buf, "world!", 6));

	/* data left behind: SOCK_NONEMPTY; taking exactly the rest: not */
	t_eq(send(s[0], "0123456789", 10, 0), 10);
	usleep(10000);
	t_eq(run1(recv_sqe(s[1], buf, 4, 0), 3, &flags), 4);
	t_eq(flags, IORING_CQE_F_SOCK_NONEMPTY);
	t_eq(run1(recv_sqe(s[1], buf, 6, 0), 4, &flags), 6);
	t_eq(flags, 0);
	t_assert(!memcmp(buf, "456789", 6));

	/* MSG_PEEK leaves it, a second receive takes it */
	t_eq(send(s[0], "peek", 4, 0), 4);
	usleep(10000);
	t_eq(run1(recv_sqe(s[1], buf, sizeof(buf), MSG_PEEK), 5, &flags), 4);
	t_eq(run1(recv_sqe(s[1], buf, sizeof(buf), 0), 6, &flags), 4);
	t_eq(flags, 0);

	/* MSG_DONTWAIT: nothing there */
	t_eq(run1(recv_sqe(s[1], buf, sizeof(buf), MSG_DONTWAIT), 7, NULL), -EAGAIN);

	/* POLL_FIRST: waits for readiness, data already there is fine */
	t_eq(send(s[0], "pf", 2, 0), 2);
	sqe = recv_sqe(s[1], buf, sizeof(buf), 0);
	sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	t_eq(run1(sqe, 8, NULL), 2);
	sqe = recv_sqe(s[1], buf, sizeof(buf), 0);
	sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	sqe->user_data = 9;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	t_eq(send(s[0], "pf2", 3, 0), 3);
	t_expect_cqe(&ring, 9, 3, 0);
	sqe = send_sqe(s[0], "pf3", 3, 0);
	sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	t_eq(run1(sqe, 10, NULL), 3);
	t_eq(recv(s[1], buf, sizeof(buf), 0), 3);

	/* vectorized send */
	{
		struct iovec iov[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };

		sqe = send_sqe(s[0], iov, 3, 0);
		sqe->ioprio |= IORING_SEND_VECTORIZED;
		t_eq(run1(sqe, 11, NULL), 6);
		t_assert(t_readable(s[1], 1000));
		usleep(10000);
		t_eq(recv(s[1], buf, sizeof(buf), 0), 6);
		t_assert(!memcmp(buf, "abcdef", 6));
	}

	/* linked: send then receive (echo through the pair) */
	sqe = send_sqe(s[0], "link", 4, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 12;
	sqe = recv_sqe(s[1], buf, sizeof(buf), 0);
	sqe->user_data = 13;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 12, 4, 0);
	t_expect_cqe(&ring, 13, 4, 0);

	/* end of stream: 0; TCP reports the FIN as something to read */
	sqe = recv_sqe(s[1], buf, sizeof(buf), 0);
	sqe->user_data = 14;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	t_eq(shutdown(s[0], SHUT_WR), 0);
	t_expect_cqe(&ring, 14, 0, tcp_eof);
	t_eq(run1(recv_sqe(s[1], buf, sizeof(buf), 0), 15, &flags), 0);
	t_eq(flags, tcp_eof);
	close(s[0]);
	close(s[1]);
}

/* A send to a socket whose buffer is full waits for room. */
static void test_send_waits(void)
{
	static char big[65536];
	char *sink;
	int s[2], small = 4096, n, total = 0;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	t_unix_pair(SOCK_STREAM, s);
	setsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(s[0], F_SETFL, O_NONBLOCK);
	while ((n = send(s[0], big, sizeof(big), 0)) > 0)
		total += n;
	t_eq(errno, EAGAIN);
	sqe = send_sqe(s[0], "tail", 4, 0);
	sqe->user_data = 20;
	t_submit(&ring, 1);
	usleep(20000);
	t_expect_no_cqe(&ring);
	sink = malloc((size_t)total + 16);
	n = 0;
	while (n < total + 4) {
		int r = recv(s[1], sink + n, (size_t)total + 16 - n, 0);

		t_assert(r > 0);
		n += r;
		if (n == total) {
			/* the send goes through once there is room */
			cqe = t_wait_cqe(&ring);
			t_check_cqe(cqe, 20, 4, 0);
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	t_eq(n, total + 4);
	t_assert(!memcmp(sink + total, "tail", 4));
	free(sink);
	close(s[0]);
	close(s[1]);
}

static void test_dgram(int family)
{
	int u[2], r;
	char buf[64];
	unsigned flags;
	struct io_uring_sqe *sqe;
	struct sockaddr_storage ss;
	socklen_t len;

	if (family == AF_UNIX)
		t_unix_pair(SOCK_DGRAM, u);
	else
		t_udp_pair(family, u);

	/* a receive waits for a datagram; one datagram per receive */
	sqe = recv_sqe(u[1], buf, sizeof(buf), 0);
	sqe->user_data = 30;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	sqe = send_sqe(u[0], "one", 3, 0);
	sqe->user_data = 31;
	t_submit(&ring, 1);
	{
		/* the waiting receive may complete before the send's CQE */
		struct t_cqe_want w[2] = { { 30, 3, 0, -1 }, { 31, 3, 0, -1 } };

		t_reap_cqes(&ring, w, 2);
	}
	t_eq(run1(send_sqe(u[0], "two", 3, 0), 32, NULL), 3);
	t_eq(run1(send_sqe(u[0], "three", 5, 0), 33, NULL), 5);
	t_assert(t_readable(u[1], 1000));
	/* more datagrams queued, but datagram sockets never say so */
	t_eq(run1(recv_sqe(u[1], buf, sizeof(buf), 0), 34, &flags), 3);
	t_eq(flags, 0);
	t_eq(run1(recv_sqe(u[1], buf, sizeof(buf), 0), 35, &flags), 5);
	t_eq(flags, 0);
	/* cut to the buffer; MSG_TRUNC says how long it was */
	t_eq(send(u[0], "0123456789", 10, 0), 10);
	t_assert(t_readable(u[1], 1000));
	t_eq(run1(recv_sqe(u[1], buf, 4, 0), 36, NULL), 4);
	t_eq(send(u[0], "0123456789", 10, 0), 10);
	t_assert(t_readable(u[1], 1000));
	t_eq(run1(recv_sqe(u[1], buf, 4, MSG_TRUNC), 37, NULL), 10);
	close(u[0]);
	close(u[1]);

	if (family == AF_UNIX)
		return;
	/* sendto: an unconnected socket names its destination */
	u[0] = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	u[1] = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	t_loopback_addr(family, &ss, &len);
	t_eq(bind(u[1], (struct sockaddr *)&ss, len), 0);
	len = sizeof(ss);
	t_eq(getsockname(u[1], (struct sockaddr *)&ss, &len), 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_sendto(sqe, u[0], "to", 2, 0, (struct sockaddr *)&ss, len);
	t_eq(run1(sqe, 38, NULL), 2);
	t_assert(t_readable(u[1], 1000));
	t_eq(recv(u[1], buf, sizeof(buf), 0), 2);
	/* the address is read at submission */
	sqe = t_get_sqe(&ring);
	io_uring_prep_sendto(sqe, u[0], "to2", 3, 0, (struct sockaddr *)&ss, len);
	sqe->user_data = 39;
	t_submit(&ring, 1);
	{
		struct sockaddr_storage keep = ss;

		memset(&ss, 0, sizeof(ss));
		t_expect_cqe(&ring, 39, 3, 0);
		ss = keep;
	}
	t_assert(t_readable(u[1], 1000));
	t_eq(recv(u[1], buf, sizeof(buf), 0), 3);
	/* no destination */
	t_eq(run1(send_sqe(u[0], "x", 1, 0), 40, NULL), -EDESTADDRREQ);
	/* an address of length 0: UDP refuses it */
	sqe = t_get_sqe(&ring);
	io_uring_prep_sendto(sqe, u[0], "x", 1, 0, (struct sockaddr *)&ss, 0);
	t_eq(run1(sqe, 41, NULL), -EINVAL);
	/* longer than sockaddr_storage */
	sqe = t_get_sqe(&ring);
	io_uring_prep_sendto(sqe, u[0], "x", 1, 0, (struct sockaddr *)&ss, 129);
	t_eq(run1(sqe, 42, NULL), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_sendto(sqe, u[0], "x", 1, 0, (struct sockaddr *)8, len);
	t_eq(run1(sqe, 43, NULL), -EFAULT);
	r = t_readable(u[1], 0);
	t_eq(r, 0);
	close(u[0]);
	close(u[1]);
}

static void test_fixed_files(void)
{
	int s[2];
	char buf[16];
	struct io_uring_sqe *sqe;

	t_stream_pair(AF_INET, s);
	t_eq(io_uring_register_files(&ring, s, 2), 0);
	sqe = send_sqe(0, "fixed", 5, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(run1(sqe, 50, NULL), 5);
	sqe = recv_sqe(1, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(run1(sqe, 51, NULL), 5);
	t_assert(!memcmp(buf, "fixed", 5));
	t_eq(io_uring_unregister_files(&ring), 0);
	close(s[0]);
	close(s[1]);
}

int main(void)
{
	int v6 = t_have_ipv6();

	t_ring_init(&ring, 16, 0);
	test_stream(AF_INET);
	if (v6)
		test_stream(AF_INET6);
	else
		printf("no ::1 here; IPv6 parts skipped\n");
	test_stream(AF_UNIX);
	test_send_waits();
	test_dgram(AF_INET);
	if (v6)
		test_dgram(AF_INET6);
	test_dgram(AF_UNIX);
	test_fixed_files();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
