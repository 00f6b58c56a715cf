/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_SETUP_CQE32 rings: CQEs are 32 bytes apart, every
 * opcode fills the extra 16 bytes (zero unless the opcode defines them, e.g.
 * NOP with IORING_NOP_CQE32), results and order are unchanged across many CQ
 * wraps, and batch reaping (peek_batch_cqe, for_each_cqe) steps by 32 bytes.
 */
#include <unistd.h>

#include "helpers/helpers.h"

#ifndef IORING_NOP_CQE32
#define IORING_NOP_CQE32 (1U << 5)
#endif

int main(void)
{
	struct io_uring ring;
	struct io_uring_cqe *cqes[8], *cqe;
	struct io_uring_sqe *sqe;
	char buf[64];
	unsigned head, n;
	int fd;

	t_ring_init(&ring, 8, IORING_SETUP_CQE32);
	t_eq(ring.cq.ring_entries, 16);
	t_assert(ring.flags & IORING_SETUP_CQE32);
	fd = t_temp_fd(4096, 11);

	/* Batch reaping: consecutive CQEs are 32 bytes apart. */
	for (int i = 0; i < 4; i++)
		t_prep_nop(&ring, i);
	t_submit(&ring, 4);
	t_eq(io_uring_wait_cqe_nr(&ring, &cqe, 4), 0);
	t_eq(io_uring_peek_batch_cqe(&ring, cqes, 8), 4);
	for (int i = 0; i < 4; i++) {
		t_check_cqe(cqes[i], i, 0, 0);
		t_eq(cqes[i]->big_cqe[0], 0);
		t_eq(cqes[i]->big_cqe[1], 0);
		if (i)
			t_eq((char *)cqes[i] - (char *)cqes[i - 1], 32);
	}
	io_uring_cq_advance(&ring, 4);

	/* Many wraps of the 16-entry CQ, mixing reads and NOP_CQE32. */
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 3; i++) {
			uint64_t ud = round * 10 + i;

			sqe = t_get_sqe(&ring);
			if (i == 1) {
				io_uring_prep_read(sqe, fd, buf, 64, ud);
			} else {
				io_uring_prep_nop(sqe);
				sqe->nop_flags = IORING_NOP_CQE32;
				sqe->off = ud * 2 + 1;
				sqe->addr = ud * 3 + 1;
			}
			sqe->user_data = ud;
		}
		t_submit(&ring, 3);
		t_eq(io_uring_wait_cqe_nr(&ring, &cqe, 3), 0);
		n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			uint64_t ud = round * 10 + n;

			if (n == 1) {
				t_check_cqe(cqe, ud, 64, 0);
				t_eq(cqe->big_cqe[0], 0);
				t_eq(cqe->big_cqe[1], 0);
				t_assert(t_check_pattern(buf, 64, ud, 11) < 0);
			} else {
				t_check_cqe(cqe, ud, 0, 0);
				t_eq(cqe->big_cqe[0], ud * 2 + 1);
				t_eq(cqe->big_cqe[1], ud * 3 + 1);
			}
			n++;
		}
		t_eq(n, 3);
		io_uring_cq_advance(&ring, n);
	}

	/* Errors on a CQE32 ring also zero the extra words. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, 1000, buf, 64, 0);
	sqe->user_data = 99;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_check_cqe(cqe, 99, -EBADF, 0);
	t_eq(cqe->big_cqe[0], 0);
	t_eq(cqe->big_cqe[1], 0);
	io_uring_cqe_seen(&ring, cqe);

	t_expect_no_cqe(&ring);
	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
