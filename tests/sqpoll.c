/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_SETUP_SQPOLL: the SQ thread picks up NOPs and file
 * reads once the tail is published (completions are seen by polling the CQ
 * without entering), sets IORING_SQ_NEED_WAKEUP after sq_thread_idle, is
 * woken by io_uring_submit, and io_uring_sqring_wait waits for SQ space.
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

/*
 * io_uring_submit on an SQPOLL ring reports the SQEs not yet consumed by the
 * SQ thread, which may still include earlier ones whose head update it has
 * not published yet; so it is at least n, not exactly n.
 */
static void sq_submit(struct io_uring *ring, int n)
{
	int ret = io_uring_submit(ring);

	if (ret < n || ret > (int)ring->sq.ring_entries)
		t_fail("io_uring_submit = %d, expected %d..%u", ret, n,
		       ring->sq.ring_entries);
}

/* Poll the CQ without entering until a CQE shows up (bounded). */
static struct io_uring_cqe *spin_cqe(struct io_uring *ring)
{
	uint64_t end = t_now_usec() + T_WAIT_SECS * 1000000ull;
	struct io_uring_cqe *cqe;
	unsigned head;

	do {
		io_uring_for_each_cqe(ring, head, cqe)
			return cqe;
		usleep(100);
	} while (t_now_usec() < end);
	t_fail("no CQE from the SQ thread");
	return NULL;
}

static int setup_sqpoll(struct io_uring *ring, unsigned entries,
			unsigned idle_ms)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = idle_ms;
	ret = t_setup_ring_params(ring, entries, &p);
	if (ret)
		t_fail("SQPOLL setup: %s", t_errname(ret));
	/* Normal (non-registered) files are usable from the SQ thread. */
	t_assert(p.features & IORING_FEAT_SQPOLL_NONFIXED);
	return 0;
}

static void test_nops_and_reads(void)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	char bufs[4][512];
	int fd;

	setup_sqpoll(&ring, 8, 1000);
	fd = t_temp_fd(4096, 3);

	for (unsigned i = 0; i < 4; i++)
		t_prep_nop(&ring, i + 1);
	sq_submit(&ring, 4);
	for (unsigned i = 0; i < 4; i++) {
		cqe = spin_cqe(&ring);
		t_check_cqe(cqe, i + 1, 0, 0);
		io_uring_cqe_seen(&ring, cqe);
	}

	for (unsigned i = 0; i < 4; i++) {
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_read(sqe, fd, bufs[i], 512, 1024 * i + 7);
		sqe->user_data = 10 + i;
	}
	sq_submit(&ring, 4);
	for (unsigned i = 0; i < 4; i++) {
		cqe = spin_cqe(&ring);
		/* Completion order among independent reads is not fixed. */
		t_assert(cqe->user_data >= 10 && cqe->user_data < 14);
		t_eq(cqe->res, 512);
		t_eq(cqe->flags, 0);
		unsigned k = (unsigned)cqe->user_data - 10;
		if (t_check_pattern(bufs[k], 512, 1024 * k + 7, 3) >= 0)
			t_fail("read %u: wrong data", k);
		io_uring_cqe_seen(&ring, cqe);
	}
	/* Errors are reported the same way: bad fd. */
	io_uring_prep_read(t_get_sqe(&ring), 1000, bufs[0], 10, 0);
	sq_submit(&ring, 1);
	cqe = spin_cqe(&ring);
	t_eq(cqe->res, -EBADF);
	io_uring_cqe_seen(&ring, cqe);

	close(fd);
	io_uring_queue_exit(&ring);
}

static void test_idle_wakeup(void)
{
	struct io_uring ring;
	uint64_t end;

	setup_sqpoll(&ring, 8, 10);
	t_prep_nop(&ring, 1);
	sq_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 0, 0);

	/* After sq_thread_idle (10 ms) without work the thread sleeps. */
	end = t_now_usec() + T_WAIT_SECS * 1000000ull;
	while (!(IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_NEED_WAKEUP)) {
		if (t_now_usec() > end)
			t_fail("IORING_SQ_NEED_WAKEUP never set");
		usleep(1000);
	}
	t_assert(io_uring_sq_ready(&ring) == 0);

	/* io_uring_submit sees NEED_WAKEUP and wakes the thread. */
	for (int round = 0; round < 3; round++) {
		t_prep_nop(&ring, 10 + round);
		t_prep_nop(&ring, 20 + round);
		sq_submit(&ring, 2);
		t_expect_cqe(&ring, 10 + round, 0, 0);
		t_expect_cqe(&ring, 20 + round, 0, 0);
		usleep(30000);
	}
	io_uring_queue_exit(&ring);
}

static void test_sqring_wait(void)
{
	struct io_uring ring;
	int ret;

	setup_sqpoll(&ring, 4, 1000);
	/* Space is available right away on an empty ring. */
	ret = io_uring_sqring_wait(&ring);
	t_assert(ret >= 0);
	for (unsigned i = 0; i < 4; i++)
		t_prep_nop(&ring, i);
	sq_submit(&ring, 4);
	/* Wait until the SQ thread consumed at least one SQE. */
	ret = io_uring_sqring_wait(&ring);
	t_assert(ret >= 0);
	t_assert(io_uring_sq_space_left(&ring) > 0);
	for (unsigned i = 0; i < 4; i++)
		t_expect_cqe(&ring, i, 0, 0);
	io_uring_queue_exit(&ring);
}

int main(void)
{
	test_nops_and_reads();
	test_idle_wakeup();
	test_sqring_wait();
	return T_EXIT_PASS;
}
