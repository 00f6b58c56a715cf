/* SPDX-License-Identifier: MIT */
/*
 * Description: many NOPs submitted in batches of every size up to the SQ
 * depth: io_uring_submit returns the batch size, every NOP completes once,
 * in submission order, and the SQ/CQ accounting helpers (sq_ready,
 * sq_space_left, cq_ready, peek_batch_cqe, for_each_cqe + cq_advance) agree.
 */
#include "helpers/helpers.h"

#define DEPTH 32

static uint64_t next_ud = 1;

static void batch(struct io_uring *ring, unsigned n, int reap_mode)
{
	struct io_uring_cqe *cqes[DEPTH];
	uint64_t first = next_ud;
	unsigned seen = 0, head, got;
	struct io_uring_cqe *cqe;
	int ret;

	for (unsigned i = 0; i < n; i++)
		t_prep_nop(ring, next_ud++);
	t_eq(io_uring_sq_ready(ring), n);
	t_eq(io_uring_sq_space_left(ring), DEPTH - n);

	ret = io_uring_submit_and_wait(ring, n);
	t_eq(ret, n);
	t_eq(io_uring_sq_ready(ring), 0);
	t_eq(io_uring_cq_ready(ring), n);

	switch (reap_mode) {
	case 0:
		/* One at a time. */
		for (unsigned i = 0; i < n; i++)
			t_expect_cqe(ring, first + i, 0, 0);
		break;
	case 1:
		/* peek_batch_cqe, possibly in two halves. */
		got = io_uring_peek_batch_cqe(ring, cqes, n / 2 ? n / 2 : 1);
		for (unsigned i = 0; i < got; i++)
			t_check_cqe(cqes[i], first + i, 0, 0);
		io_uring_cq_advance(ring, got);
		seen = got;
		got = io_uring_peek_batch_cqe(ring, cqes, DEPTH);
		t_eq(got, n - seen);
		for (unsigned i = 0; i < got; i++)
			t_check_cqe(cqes[i], first + seen + i, 0, 0);
		io_uring_cq_advance(ring, got);
		break;
	default:
		io_uring_for_each_cqe(ring, head, cqe) {
			t_check_cqe(cqe, first + seen, 0, 0);
			seen++;
		}
		t_eq(seen, n);
		io_uring_cq_advance(ring, seen);
		break;
	}
	t_eq(io_uring_cq_ready(ring), 0);
	t_expect_no_cqe(ring);
}

int main(void)
{
	struct io_uring ring;

	t_ring_init(&ring, DEPTH, 0);
	t_eq(ring.sq.ring_entries, DEPTH);
	t_eq(ring.cq.ring_entries, 2 * DEPTH);

	for (int round = 0; round < 3; round++)
		for (unsigned n = 1; n <= DEPTH; n++)
			batch(&ring, n, (int)(n + round) % 3);

	/* The SQ is full after DEPTH get_sqe calls; one more returns NULL. */
	for (unsigned i = 0; i < DEPTH; i++)
		t_prep_nop(&ring, next_ud++);
	t_assert(io_uring_get_sqe(&ring) == NULL);
	t_submit(&ring, DEPTH);
	for (unsigned i = 0; i < DEPTH; i++)
		t_expect_cqe(&ring, next_ud - DEPTH + i, 0, 0);

	/* Submitting nothing returns 0 and posts nothing. */
	t_submit(&ring, 0);
	t_expect_no_cqe(&ring);

	/* Many small submits without reaping, up to the CQ size, then reap. */
	for (unsigned i = 0; i < 2 * DEPTH; i++) {
		t_prep_nop(&ring, 1000 + i);
		t_submit(&ring, 1);
	}
	t_eq(io_uring_cq_ready(&ring), 2 * DEPTH);
	for (unsigned i = 0; i < 2 * DEPTH; i++)
		t_expect_cqe(&ring, 1000 + i, 0, 0);

	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
