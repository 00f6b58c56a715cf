/* SPDX-License-Identifier: MIT */
/*
 * IO_URING_QUERY_ZCRX: what this zcrx implements.  ursa answers with what
 * it does: device-less and imported queues, no dmabuf areas, both control
 * opcodes, no rx_buf_len choice, and the refill-queue header the
 * registration lays out (head and tail, the entries aligned after them).
 */
#include "zcrx-common.h"

int main(void)
{
	struct io_uring_query_zcrx q;
	struct io_uring_query_hdr h;
	struct io_uring ring;
	struct zc z;
	int ret;

	memset(&q, 0xaa, sizeof(q));
	memset(&h, 0, sizeof(h));
	h.query_op = IO_URING_QUERY_ZCRX;
	h.query_data = (uint64_t)(uintptr_t)&q;
	h.size = sizeof(q);
	ret = io_uring_register(-1, IORING_REGISTER_QUERY, &h, 0);
	if (t_backend_is_kernel() &&
	    (ret || h.result || !(q.register_flags & ZCRX_REG_NODEV)))
		t_skip("kernel has no device-less zcrx to describe");
	t_eq(ret, 0);
	t_eq(h.result, 0);
	t_eq(h.size, sizeof(q));
	t_eq(q.register_flags & (ZCRX_REG_NODEV | ZCRX_REG_IMPORT),
	     ZCRX_REG_NODEV | ZCRX_REG_IMPORT);
	t_eq(q.__resv2, 0);
	t_assert(q.nr_ctrl_opcodes >= __ZCRX_CTRL_LAST);
	t_assert(q.rq_hdr_size >= 8);
	t_assert(q.rq_hdr_alignment && !(q.rq_hdr_alignment & (q.rq_hdr_alignment - 1)));
	if (!t_backend_is_kernel()) {
		t_eq(q.register_flags, ZCRX_REG_NODEV | ZCRX_REG_IMPORT);
		t_eq(q.area_flags, 0);
		t_eq(q.nr_ctrl_opcodes, __ZCRX_CTRL_LAST);
		t_eq(q.features, 0);
		t_eq(q.rq_hdr_size, 8);
		t_eq(q.rq_hdr_alignment, 64);
	}

	/* a short buffer gets the first bytes only */
	memset(&q, 0xaa, sizeof(q));
	h.size = 8;
	h.result = 0;
	t_eq(io_uring_register(-1, IORING_REGISTER_QUERY, &h, 0), 0);
	t_eq(h.size, 8);
	t_eq(q.register_flags & ZCRX_REG_NODEV, ZCRX_REG_NODEV);
	t_eq(q.area_flags, 0xaaaaaaaaaaaaaaaaull);

	/* the layout it announces is the one registration writes back */
	zc_ring_init(&ring, 8, IORING_SETUP_CQE32);
	zc_init(&z, 8, 4);
	zc_register_or_skip(&ring, &z);
	h.size = sizeof(q);
	h.result = 0;
	t_eq(io_uring_register(-1, IORING_REGISTER_QUERY, &h, 0), 0);
	t_eq(z.reg.offsets.rqes,
	     (q.rq_hdr_size + q.rq_hdr_alignment - 1) & ~(q.rq_hdr_alignment - 1));
	io_uring_queue_exit(&ring);
	zc_free(&z);
	return T_EXIT_PASS;
}
