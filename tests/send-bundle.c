/* SPDX-License-Identifier: MIT */
/*
 * Description: SEND bundles (IORING_RECVSEND_BUNDLE with
 * IOSQE_BUFFER_SELECT), as the kernel (6.18) answers: several ring buffers
 * go out in one send, res is the byte count and the CQE names the first
 * buffer; sqe->len limits the first round only (an entry that does not fit
 * waits for the next), and a bundle goes on while the group has buffers,
 * each round's CQE but the last carrying IORING_CQE_F_MORE; a legacy group
 * gives one buffer a round; a missing group is -ENOENT, an empty one
 * -ENOBUFS; incremental rings; a bundle waiting for room holds its buffers
 * (the head moved) and goes out whole (bundles imply MSG_WAITALL); a
 * cancelled one hands its first buffer back; with IOSQE_ASYNC a bundle is
 * cancelled when the socket has room at once, else it waits.  Also: a receive bundle on a
 * missing group is -ENOENT, and IORING_FEAT_RECVSEND_BUNDLE is reported.
 */
#include <pthread.h>
#include <signal.h>

#include "net-util.h"

#define BLEN	64
#define BIG	(256 * 1024)

static struct io_uring ring;
static char bufs[16][BLEN];

static struct io_uring_sqe *last_sqe;

static void bundle(int fd, unsigned len, int bgid, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	last_sqe = sqe;
	io_uring_prep_send_bundle(sqe, fd, len, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)bgid;
	sqe->user_data = ud;
}

static void sqe_last_async(void)
{
	last_sqe->flags |= IOSQE_ASYNC;
}

static void add_bufs(struct io_uring_buf_ring *br, int first, int n)
{
	for (int i = 0; i < n; i++)
		io_uring_buf_ring_add(br, bufs[first + i], BLEN,
				      (unsigned short)(first + i),
				      io_uring_buf_ring_mask(16), i);
	io_uring_buf_ring_advance(br, n);
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

static void expect_data(int fd, const void *want, size_t n)
{
	static char got[2 * BIG];
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

static void test_ring(int fds[2])
{
	struct io_uring_buf_ring *br;
	int err;

	br = io_uring_setup_buf_ring(&ring, 16, 1, 0, &err);
	t_assert(br);
	/* all eight in one send */
	add_bufs(br, 0, 8);
	bundle(fds[0], 0, 1, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 8 * BLEN, buf_flags(0));
	expect_data(fds[1], bufs[0], 8 * BLEN);
	t_eq(head_of(1), 8);

	/* len 100: the first round takes what fits whole (one buffer; the
	 * second would be cut), then the rest goes in a second round */
	add_bufs(br, 0, 8);
	bundle(fds[0], 100, 1, 2);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, BLEN, buf_flags(0) | IORING_CQE_F_MORE);
	t_expect_cqe(&ring, 2, 7 * BLEN, buf_flags(1));
	expect_data(fds[1], bufs[0], 8 * BLEN);
	t_eq(head_of(1), 16);

	/* a len below the first buffer cuts it */
	add_bufs(br, 0, 2);
	bundle(fds[0], 10, 1, 3);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, 10, buf_flags(0) | IORING_CQE_F_MORE);
	t_expect_cqe(&ring, 3, BLEN, buf_flags(1));
	expect_data(fds[1], bufs[0], 10);
	expect_data(fds[1], bufs[1], BLEN);
	t_eq(head_of(1), 18);

	/* dry */
	bundle(fds[0], 0, 1, 4);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, -ENOBUFS, 0);
	/* a zero-length entry at the head */
	io_uring_buf_ring_add(br, bufs[0], 0, 3, io_uring_buf_ring_mask(16), 0);
	io_uring_buf_ring_advance(br, 1);
	bundle(fds[0], 0, 1, 5);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, -ENOBUFS, 0);
	t_eq(head_of(1), 18);
	t_eq(io_uring_free_buf_ring(&ring, br, 16, 1), 0);
	/* no group */
	bundle(fds[0], 0, 1, 6);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -ENOENT, 0);
}

/* A legacy group: one buffer a round, F_MORE until the list is empty. */
static void test_legacy(int fds[2])
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_provide_buffers(sqe, bufs[8], 32, 3, 9, 200);
	sqe->user_data = 10;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 10, 0, 0);
	bundle(fds[0], 0, 9, 11);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 11, 32, buf_flags(200) | IORING_CQE_F_MORE);
	t_expect_cqe(&ring, 11, 32, buf_flags(201) | IORING_CQE_F_MORE);
	t_expect_cqe(&ring, 11, 32, buf_flags(202));
	expect_data(fds[1], bufs[8], 96);
}

/* Incremental rings: entries shrink in place. */
static void test_inc(int fds[2])
{
	struct io_uring_buf_ring *br;
	struct io_uring_sqe *sqe;
	int err;

	br = io_uring_setup_buf_ring(&ring, 16, 5, IOU_PBUF_RING_INC, &err);
	if (!br) {
		printf("no incremental rings (%s)\n", t_errname(err));
		return;
	}
	io_uring_buf_ring_add(br, bufs[0], BLEN, 7, io_uring_buf_ring_mask(16), 0);
	io_uring_buf_ring_advance(br, 1);
	/* a plain send of 10 takes 10 bytes of the entry */
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, fds[0], NULL, 10, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 5;
	sqe->user_data = 20;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, 10, buf_flags(7) | IORING_CQE_F_BUF_MORE);
	t_eq(head_of(5), 0);
	t_eq(br->bufs[0].len, BLEN - 10);
	/* a bundle takes the rest and the next entries */
	io_uring_buf_ring_add(br, bufs[1], BLEN, 8, io_uring_buf_ring_mask(16), 0);
	io_uring_buf_ring_advance(br, 1);
	bundle(fds[0], 0, 5, 21);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, 2 * BLEN - 10, buf_flags(7));
	t_eq(head_of(5), 2);
	expect_data(fds[1], bufs[0], BLEN);
	expect_data(fds[1], bufs[1], BLEN);
	t_eq(io_uring_free_buf_ring(&ring, br, 16, 5), 0);
}

/* Two big buffers over a small socket buffer: one CQE with all of it. */
static void test_wait(void)
{
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct t_reader r;
	pthread_t th;
	char *big = malloc(4 * BIG);
	int fds[2], err;

	t_assert(big);
	t_fill_pattern(big, 2 * BIG, 0, 9);
	t_stream_pair(AF_INET, fds);
	small_buffers(fds, false);
	br = io_uring_setup_buf_ring(&ring, 16, 6, 0, &err);
	t_assert(br);
	io_uring_buf_ring_add(br, big, BIG, 4, io_uring_buf_ring_mask(16), 0);
	io_uring_buf_ring_add(br, big + BIG, BIG, 5, io_uring_buf_ring_mask(16), 1);
	io_uring_buf_ring_advance(br, 2);
	bundle(fds[0], 0, 6, 30);
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	t_eq(head_of(6), 2);	/* taken at selection */
	r = (struct t_reader){ fds[1], 2 * BIG, 0, big + 2 * BIG };
	pthread_create(&th, NULL, t_reader_fn, &r);
	cqe = t_wait_cqe(&ring);
	t_check_cqe(cqe, 30, 2 * BIG, buf_flags(4));
	io_uring_cqe_seen(&ring, cqe);
	pthread_join(th, NULL);
	t_eq(r.got, 2 * BIG);
	t_eq(t_bufcmp(big + 2 * BIG, big, 2 * BIG, "received"), 0);

	/* cancelled while it waits: the first buffer comes back in the CQE */
	close(fds[0]);
	close(fds[1]);
	t_stream_pair(AF_INET, fds);
	small_buffers(fds, true);
	add_bufs(br, 0, 3);
	t_fill_sndbuf(fds[0]);
	bundle(fds[0], 0, 6, 31);
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	t_eq(head_of(6), 5);
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);
		struct t_cqe_want w[] = {
			{ 31, -ECANCELED, buf_flags(0), 0 },
			{ 32, 0, 0, 0 },
		};

		io_uring_prep_cancel64(sqe, 31, 0);
		sqe->user_data = 32;
		t_submit(&ring, 1);
		t_reap_cqes(&ring, w, 2);
	}
	t_eq(head_of(6), 5);

	/* IOSQE_ASYNC: no multishot request runs on io-wq, so a bundle
	 * waits for room (here: none; cancelled before it took anything) */
	add_bufs(br, 0, 2);
	bundle(fds[0], 0, 6, 33);
	sqe_last_async();
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	t_eq(head_of(6), 5);
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);
		struct t_cqe_want w[] = {
			{ 33, -ECANCELED, 0, 0 },
			{ 34, 0, 0, 0 },
		};

		io_uring_prep_cancel64(sqe, 33, 0);
		sqe->user_data = 34;
		t_submit(&ring, 1);
		t_reap_cqes(&ring, w, 2);
	}
	t_eq(head_of(6), 5);
	close(fds[0]);
	close(fds[1]);
	/* ... and is cancelled at once if there is room already */
	t_stream_pair(AF_INET, fds);
	bundle(fds[0], 0, 6, 35);
	sqe_last_async();
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 35, -ECANCELED, 0);
	t_eq(head_of(6), 5);
	t_eq(io_uring_free_buf_ring(&ring, br, 16, 6), 0);
	close(fds[0]);
	close(fds[1]);
	free(big);
}

int main(void)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqe;
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof(p));
	if (t_setup_ring_params(&ring, 32, &p))
		t_fail("ring setup");
	t_assert(p.features & IORING_FEAT_RECVSEND_BUNDLE);
	for (int i = 0; i < 16; i++)
		memset(bufs[i], 'a' + i, BLEN);

	t_stream_pair(AF_INET, fds);
	test_ring(fds);
	test_legacy(fds);
	test_inc(fds);

	/* A receive bundle looks its group up as a send does. */
	t_eq(send(fds[1], "r", 1, 0), 1);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, fds[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 55;
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	sqe->user_data = 40;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 40, -ENOENT, 0);
	close(fds[0]);
	close(fds[1]);

	t_unix_pair(SOCK_STREAM, fds);
	test_ring(fds);
	close(fds[0]);
	close(fds[1]);

	test_wait();
	io_uring_queue_exit(&ring);
	return 0;
}
