/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_REGISTER_RESIZE_RINGS: only DEFER_TASKRUN rings;
 * growing and shrinking the CQ (and SQ) keeps pending CQEs in order and
 * the ring keeps working; pending CQEs that do not fit give -EOVERFLOW;
 * bad flags and sizes give -EINVAL.
 */
#include "helpers/helpers.h"

static void nops(struct io_uring *ring, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		t_assert(sqe);
		io_uring_prep_nop(sqe);
		sqe->user_data = base + i;
	}
	t_eq(io_uring_submit(ring), (int)n);
}

int main(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	int ret;

	/* A ring without DEFER_TASKRUN: -EINVAL. */
	t_ring_init(&ring, 8, 0);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 16;
	ret = io_uring_resize_rings(&ring, &p);
	if (ret == -EINVAL || ret == -EOPNOTSUPP) {
		/* expected (or a kernel without resizing) */
	} else {
		t_fail("resize of a non-DEFER_TASKRUN ring gave %d", ret);
	}
	io_uring_queue_exit(&ring);

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	ret = io_uring_queue_init_params(8, &ring, &p);
	if (ret == -ENOSYS || ret == -EPERM)
		t_skip("kernel refuses io_uring");
	t_eq(ret, 0);
	t_eq(p.cq_entries, 16);

	/* 10 CQEs pending, then grow to a 64-entry CQ. */
	nops(&ring, 8, 100);
	nops(&ring, 2, 108);
	t_eq(io_uring_get_events(&ring), 0);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 16;
	p.cq_entries = 64;
	p.flags = IORING_SETUP_CQSIZE;
	ret = io_uring_resize_rings(&ring, &p);
	if (ret == -EINVAL && t_backend_is_kernel())
		t_skip("kernel without ring resizing");
	t_eq(ret, 0);
	t_eq(ring.sq.ring_entries, 16);
	t_eq(ring.cq.ring_entries, 64);
	for (unsigned i = 0; i < 10; i++)
		t_expect_cqe(&ring, 100 + i, 0, 0);
	/* The ring keeps working at its new size. */
	nops(&ring, 16, 200);
	for (unsigned i = 0; i < 16; i++)
		t_expect_cqe(&ring, 200 + i, 0, 0);

	/* Shrinking below the pending CQEs: -EOVERFLOW. */
	nops(&ring, 12, 300);
	t_eq(io_uring_get_events(&ring), 0);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 4;
	p.cq_entries = 8;
	p.flags = IORING_SETUP_CQSIZE;
	t_eq(io_uring_resize_rings(&ring, &p), -EOVERFLOW);
	for (unsigned i = 0; i < 12; i++)
		t_expect_cqe(&ring, 300 + i, 0, 0);
	/* Now it fits. */
	t_eq(io_uring_resize_rings(&ring, &p), 0);
	t_eq(ring.cq.ring_entries, 8);
	nops(&ring, 4, 400);
	for (unsigned i = 0; i < 4; i++)
		t_expect_cqe(&ring, 400 + i, 0, 0);

	/* Bad flags; CQ smaller than SQ. */
	memset(&p, 0, sizeof(p));
	p.sq_entries = 8;
	p.flags = IORING_SETUP_SQPOLL;
	t_eq(io_uring_resize_rings(&ring, &p), -EINVAL);
	p.flags = IORING_SETUP_CQSIZE;
	p.sq_entries = 32;
	p.cq_entries = 8;
	t_eq(io_uring_resize_rings(&ring, &p), -EINVAL);
	io_uring_queue_exit(&ring);
	return 0;
}
