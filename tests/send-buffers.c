/* SPDX-License-Identifier: MIT */
/*
 * Description: SEND from provided buffers (IOSQE_BUFFER_SELECT), one buffer
 * per send, as the kernel (6.18) answers: the CQE names the buffer
 * (IORING_CQE_F_BUFFER | bid << 16) and res is the bytes sent; sqe->len
 * cuts a ring buffer but not a legacy one; a missing group is -ENOENT, an
 * empty one (or a ring entry of length 0) -ENOBUFS; the buffer leaves the
 * group when selected, so a send waiting for room keeps it (the ring head
 * has moved, a legacy buffer is not in its list) and its CQE names it even
 * when it fails or is cancelled; a MSG_WAITALL send of a big buffer over a
 * small socket buffer completes whole.  SENDMSG and SEND_ZC refuse buffer
 * selection (-EOPNOTSUPP).  Over TCP, Unix streams and UDP.
 */
#include <pthread.h>
#include <signal.h>

#include "net-util.h"

#define NBUF	4
#define BLEN	64
#define BIG	(256 * 1024)

static struct io_uring ring;
static char bufs[16][BLEN];

static void send_sel(int fd, unsigned len, int bgid, int flags, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_send(sqe, fd, NULL, len, flags);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)bgid;
	sqe->user_data = ud;
}

static struct io_uring_buf_ring *ring_with(int bgid, int n, unsigned flags)
{
	struct io_uring_buf_ring *br;
	int err;

	br = io_uring_setup_buf_ring(&ring, 16, bgid, flags, &err);
	if (!br)
		t_fail("setup_buf_ring: %s", t_errname(err));
	for (int i = 0; i < n; i++)
		io_uring_buf_ring_add(br, bufs[i], BLEN, (unsigned short)i,
				      io_uring_buf_ring_mask(16), i);
	io_uring_buf_ring_advance(br, n);
	return br;
}

static int head_of(int bgid)
{
	uint16_t h = 0;
	int ret = io_uring_buf_ring_head(&ring, bgid, &h);

	return ret ? ret : h;
}

static unsigned buf_flags(unsigned bid)
{
	return IORING_CQE_F_BUFFER | (bid << IORING_CQE_BUFFER_SHIFT);
}

/* Read exactly n bytes (bounded wait) and compare them with want. */
static void expect_data(int fd, const void *want, size_t n)
{
	static char got[BIG];
	size_t have = 0;

	while (have < n) {
		ssize_t r;

		if (!t_readable(fd, 2000))
			t_fail("expected %zu bytes, got %zu", n, have);
		r = recv(fd, got + have, n - have, 0);
		if (r <= 0)
			t_fail("recv: %zd", r);
		have += (size_t)r;
	}
	t_eq(t_bufcmp(got, want, n, "sent data"), 0);
}

static void drain(int fd)
{
	static char junk[65536];

	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
}

/*
 * Small socket buffers, so a send has to wait: with both small, filling
 * the send side stays full; a big transfer sets only the sender's (a tiny
 * receive window makes loopback TCP crawl on window probes).
 */
static void small_buffers(int fds[2], bool both)
{
	int v = 4096;

	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (both)
		setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

/* Drain the peer until the CQE of a parked send shows up. */
static struct io_uring_cqe *drain_until_cqe(int peer)
{
	struct io_uring_cqe *cqe;

	for (int i = 0; i < 400; i++) {
		struct __kernel_timespec ts = { 0, 5 * 1000 * 1000 };

		drain(peer);
		if (!io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			return cqe;
	}
	t_fail("the parked send never completed");
	return NULL;
}

static void cancel_ud(uint64_t target, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_cancel64(sqe, target, 0);
	sqe->user_data = ud;
	t_submit(&ring, 1);
}

/* Basic ring and legacy selection over a connected pair. */
static void test_basic(int fds[2], bool stream)
{
	struct io_uring_buf_ring *br = ring_with(1, NBUF, 0);
	struct io_uring_sqe *sqe;

	/* len 0: the whole buffer */
	send_sel(fds[0], 0, 1, 0, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, BLEN, buf_flags(0));
	expect_data(fds[1], bufs[0], BLEN);
	t_eq(head_of(1), 1);
	/* len cuts a ring buffer */
	send_sel(fds[0], 10, 1, 0, 2);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 10, buf_flags(1));
	expect_data(fds[1], bufs[1], 10);
	t_eq(head_of(1), 2);
	t_eq(br->bufs[1].len, BLEN);	/* the entry is not rewritten */
	/* the rest, then a dry ring */
	send_sel(fds[0], 0, 1, 0, 3);
	send_sel(fds[0], 0, 1, 0, 4);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 3, BLEN, buf_flags(2));
	t_expect_cqe(&ring, 4, BLEN, buf_flags(3));
	expect_data(fds[1], bufs[2], BLEN);
	expect_data(fds[1], bufs[3], BLEN);
	send_sel(fds[0], 0, 1, 0, 5);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, -ENOBUFS, 0);
	t_eq(head_of(1), 4);
	/* a zero-length entry at the head: -ENOBUFS, and it stays */
	io_uring_buf_ring_add(br, bufs[4], 0, 9, io_uring_buf_ring_mask(16), 0);
	io_uring_buf_ring_advance(br, 1);
	send_sel(fds[0], 0, 1, 0, 6);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -ENOBUFS, 0);
	t_eq(head_of(1), 4);
	t_eq(io_uring_free_buf_ring(&ring, br, 16, 1), 0);

	/* no such group: -ENOENT (a send looks the group up first) */
	send_sel(fds[0], 0, 1, 0, 7);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, -ENOENT, 0);

	/* A legacy group: len is ignored there, the buffer goes whole. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_provide_buffers(sqe, bufs[8], 32, 2, 7, 100);
	sqe->user_data = 8;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 8, 0, 0);
	send_sel(fds[0], 0, 7, 0, 9);
	send_sel(fds[0], 5, 7, 0, 10);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 9, 32, buf_flags(100));
	t_expect_cqe(&ring, 10, 32, buf_flags(101));
	if (stream) {
		expect_data(fds[1], bufs[8], 64);
	} else {
		expect_data(fds[1], bufs[8], 32);
		expect_data(fds[1], bufs[8] + 32, 32);
	}
	send_sel(fds[0], 0, 7, 0, 11);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 11, -ENOBUFS, 0);
}

/* SENDMSG and SEND_ZC have no buffer selection. */
static void test_refused(int fd)
{
	struct io_uring_buf_ring *br = ring_with(2, 1, 0);
	struct iovec v = { NULL, 0 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	struct io_uring_sqe *sqe;

	sqe = t_get_sqe(&ring);
	io_uring_prep_sendmsg(sqe, fd, &m, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 2;
	sqe->user_data = 20;
	t_submit(&ring, 1);	/* a failed init ends the batch */
	t_expect_cqe(&ring, 20, -EOPNOTSUPP, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send_zc(sqe, fd, NULL, 0, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 2;
	sqe->user_data = 21;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, -EOPNOTSUPP, 0);
	t_eq(head_of(2), 0);
	t_eq(io_uring_free_buf_ring(&ring, br, 16, 2), 0);
}

/*
 * A send that has to wait for room keeps its buffer: the ring head moved
 * at selection; a legacy buffer is out of its list (REMOVE_BUFFERS finds
 * nothing).  Cancelled, the CQE still hands the buffer back.
 */
static void test_wait(void)
{
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int fds[2];

	t_stream_pair(AF_INET, fds);
	small_buffers(fds, true);
	br = ring_with(3, NBUF, 0);
	t_fill_sndbuf(fds[0]);
	send_sel(fds[0], 0, 3, 0, 30);
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	t_eq(head_of(3), 1);
	cqe = drain_until_cqe(fds[1]);
	t_check_cqe(cqe, 30, BLEN, buf_flags(0));
	io_uring_cqe_seen(&ring, cqe);
	t_eq(head_of(3), 1);

	/* legacy */
	sqe = t_get_sqe(&ring);
	io_uring_prep_provide_buffers(sqe, bufs[8], 32, 1, 8, 50);
	sqe->user_data = 31;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 31, 0, 0);
	usleep(20 * 1000);
	drain(fds[1]);
	t_fill_sndbuf(fds[0]);
	send_sel(fds[0], 0, 8, 0, 32);
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	sqe = t_get_sqe(&ring);
	io_uring_prep_remove_buffers(sqe, 4, 8);
	sqe->user_data = 33;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 33, 0, 0);	/* the waiting send has it */
	cqe = drain_until_cqe(fds[1]);
	t_check_cqe(cqe, 32, 32, buf_flags(50));
	io_uring_cqe_seen(&ring, cqe);

	/* cancelled while waiting: -ECANCELED, with the buffer */
	usleep(20 * 1000);
	drain(fds[1]);
	t_fill_sndbuf(fds[0]);
	send_sel(fds[0], 0, 3, 0, 34);
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	t_eq(head_of(3), 2);
	cancel_ud(34, 35);
	{
		struct t_cqe_want w[] = {
			{ 34, -ECANCELED, buf_flags(1), 0 },
			{ 35, 0, 0, 0 },
		};

		t_reap_cqes(&ring, w, 2);
	}
	t_eq(head_of(3), 2);

	/* A send that fails (the peer is gone) names its buffer too, and
	 * the buffer is consumed. */
	close(fds[1]);
	for (int i = 0; i < 100; i++) {
		if (send(fds[0], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    errno == EPIPE)
			break;
		usleep(2000);
	}
	send_sel(fds[0], 0, 3, 0, 36);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 36, -EPIPE, buf_flags(2));
	t_eq(head_of(3), 3);
	t_eq(io_uring_free_buf_ring(&ring, br, 16, 3), 0);
	close(fds[0]);
}

/* MSG_WAITALL: a big buffer goes out whole over a small socket buffer. */
static void test_waitall(void)
{
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct t_reader r;
	pthread_t th;
	char *big = malloc(2 * BIG);
	int fds[2], err;

	t_assert(big);
	t_fill_pattern(big, BIG, 0, 5);
	t_stream_pair(AF_INET, fds);
	small_buffers(fds, false);
	br = io_uring_setup_buf_ring(&ring, 16, 4, 0, &err);
	t_assert(br);
	io_uring_buf_ring_add(br, big, BIG, 7, io_uring_buf_ring_mask(16), 0);
	io_uring_buf_ring_advance(br, 1);
	send_sel(fds[0], 0, 4, MSG_WAITALL, 40);
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	t_eq(head_of(4), 1);
	r = (struct t_reader){ fds[1], BIG, 0, big + BIG };
	pthread_create(&th, NULL, t_reader_fn, &r);
	cqe = t_wait_cqe(&ring);
	t_check_cqe(cqe, 40, BIG, buf_flags(7));
	io_uring_cqe_seen(&ring, cqe);
	pthread_join(th, NULL);
	t_eq(r.got, BIG);
	t_eq(t_bufcmp(big + BIG, big, BIG, "received"), 0);
	t_eq(io_uring_free_buf_ring(&ring, br, 16, 4), 0);
	close(fds[0]);
	close(fds[1]);
	free(big);
}

int main(void)
{
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	t_ring_init(&ring, 32, 0);
	for (int i = 0; i < 16; i++)
		memset(bufs[i], 'a' + i, BLEN);

	t_stream_pair(AF_INET, fds);
	test_basic(fds, true);
	test_refused(fds[0]);
	close(fds[0]);
	close(fds[1]);
	t_unix_pair(SOCK_STREAM, fds);
	test_basic(fds, true);
	close(fds[0]);
	close(fds[1]);
	t_udp_pair(AF_INET, fds);
	test_basic(fds, false);
	close(fds[0]);
	close(fds[1]);

	test_wait();
	test_waitall();
	io_uring_queue_exit(&ring);
	return 0;
}
