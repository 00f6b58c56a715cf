/* SPDX-License-Identifier: MIT */
/*
 * Description: CQ overflow with IORING_FEAT_NODROP: completions beyond the
 * CQ size are kept, IORING_SQ_CQ_OVERFLOW is raised (io_uring_cq_has_overflow),
 * the dropped-CQE counter stays 0, submission keeps working (6.18 returns no
 * -EBUSY here; kernels before 5.19 did), and every CQE is delivered exactly
 * once in order after the application reaps (io_uring_get_events / peek flush
 * the backlog), for normal, DEFER_TASKRUN and CQE32 rings.
 */
#include <unistd.h>

#include "helpers/helpers.h"

#define CQ 8

static void run(unsigned flags)
{
	struct io_uring ring;
	struct io_uring_params p;
	struct io_uring_cqe *cqe;
	uint64_t next = 0, expect = 0;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = flags | IORING_SETUP_CQSIZE;
	p.cq_entries = CQ;
	ret = t_setup_ring_params(&ring, CQ, &p);
	if (ret)
		t_fail("setup flags 0x%x: %s", flags, t_errname(ret));
	t_assert(p.features & IORING_FEAT_NODROP);
	t_eq(ring.cq.ring_entries, CQ);

	/* Fill the CQ exactly: no overflow yet. */
	for (unsigned i = 0; i < CQ; i++)
		t_prep_nop(&ring, next++);
	t_submit(&ring, CQ);
	t_eq(io_uring_cq_ready(&ring), CQ);
	t_assert(!io_uring_cq_has_overflow(&ring));

	/* Three more batches: 24 CQEs go to the overflow backlog. */
	for (int b = 0; b < 3; b++) {
		for (unsigned i = 0; i < CQ; i++)
			t_prep_nop(&ring, next++);
		t_submit(&ring, CQ);
		t_assert(io_uring_cq_has_overflow(&ring));
		t_eq(io_uring_cq_ready(&ring), CQ);
	}
	/* Nothing was dropped. */
	t_eq(*ring.cq.koverflow, 0);

	/* Reap half, then flush explicitly: the CQ fills up again. */
	for (unsigned i = 0; i < CQ / 2; i++)
		t_expect_cqe(&ring, expect++, 0, 0);
	t_eq(io_uring_cq_ready(&ring), CQ / 2);
	t_eq(io_uring_get_events(&ring), 0);
	t_eq(io_uring_cq_ready(&ring), CQ);
	t_assert(io_uring_cq_has_overflow(&ring));

	/* Reap everything; peek/wait flush the backlog as needed. */
	while (expect < next) {
		cqe = t_wait_cqe(&ring);
		t_check_cqe(cqe, expect, 0, 0);
		io_uring_cqe_seen(&ring, cqe);
		expect++;
	}
	t_expect_no_cqe(&ring);
	t_assert(!io_uring_cq_has_overflow(&ring));
	t_eq(*ring.cq.koverflow, 0);

	/* The ring is fully usable afterwards. */
	for (unsigned i = 0; i < 3; i++)
		t_prep_nop(&ring, 1000 + i);
	t_submit(&ring, 3);
	for (unsigned i = 0; i < 3; i++)
		t_expect_cqe(&ring, 1000 + i, 0, 0);

	/* Overflowed CQEs with real results keep them (reads of a pipe). */
	{
		int fds[2];
		char buf[4];

		t_pipe(fds);
		for (unsigned i = 0; i < CQ; i++)
			t_prep_nop(&ring, 2000 + i);
		t_submit(&ring, CQ);
		t_eq(write(fds[1], "abcd", 4), 4);
		for (unsigned i = 0; i < 4; i++) {
			struct io_uring_sqe *sqe = t_get_sqe(&ring);

			io_uring_prep_read(sqe, fds[0], buf + i, 1, 0);
			sqe->user_data = 3000 + i;
			sqe->flags |= IOSQE_IO_LINK;
		}
		t_submit(&ring, 4);
		usleep(1000);
		for (unsigned i = 0; i < CQ; i++)
			t_expect_cqe(&ring, 2000 + i, 0, 0);
		for (unsigned i = 0; i < 4; i++)
			t_expect_cqe(&ring, 3000 + i, 1, 0);
		t_assert(!memcmp(buf, "abcd", 4));
		close(fds[0]);
		close(fds[1]);
	}
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
}

int main(void)
{
	run(0);
	run(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	run(IORING_SETUP_CQE32);
	run(IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
	return T_EXIT_PASS;
}
