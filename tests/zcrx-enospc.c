/* SPDX-License-Identifier: MIT */
/*
 * A data CQE that does not fit in the CQ is never overflowed: RECV_ZC ends
 * with -ENOSPC (that final CQE goes to the overflow list and arrives once
 * the application makes room).  The data not received stays in the socket
 * for the next request.
 */
#include "zcrx-common.h"

int main(void)
{
	static unsigned char buf[64 * ZC_PAGE];
	struct io_uring_params p;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct zc z;
	size_t got = 0;
	int fds[2], n = 0, ret;

	memset(&p, 0, sizeof(p));
	p.flags = ZC_RING_FLAGS | IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE;
	p.cq_entries = 8;
	ret = t_setup_ring_params(&ring, 4, &p);
	if (ret)
		t_fail("setup: %s", t_errname(ret));
	zc_init(&z, 128, 64);
	zc_register_or_skip(&ring, &z);
	zc_tcp_pair(fds);
	t_fill_pattern(buf, sizeof(buf), 0, 5);

	zc_send_all(fds[1], buf, sizeof(buf));
	usleep(20000);
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, 1);
	t_submit(&ring, 1);
	/* Let the task run the request (GETEVENTS without waiting) until
	 * the CQ is full and the final CQE went to the overflow list; not
	 * reaping meanwhile, so it never finds room again. */
	for (int i = 0; i < 200; i++) {
		io_uring_get_events(&ring);
		if (IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_CQ_OVERFLOW)
			break;
		usleep(5000);
	}
	t_assert(IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_CQ_OVERFLOW);
	t_eq(io_uring_cq_ready(&ring), 8);
	/* 8 data CQEs (the CQ), then -ENOSPC from the overflow list */
	for (;;) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 1);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			break;
		t_assert(cqe->res > 0 && cqe->res <= (int)ZC_PAGE);
		t_assert(!memcmp(z.area_mem + zc_cqe_off(cqe), buf + got,
				 (size_t)cqe->res));
		got += (size_t)cqe->res;
		n++;
		zc_return(&z, cqe);
		io_uring_cqe_seen(&ring, cqe);
	}
	t_eq(cqe->res, -ENOSPC);
	io_uring_cqe_seen(&ring, cqe);
	t_eq(n, 8);

	/* the rest is still there for a new request */
	zc_flush(&ring, z.reg.zcrx_id);
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id,
		     (unsigned)(sizeof(buf) - got), 2);
	t_submit(&ring, 1);
	for (;;) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 2);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			break;
		t_assert(!memcmp(z.area_mem + zc_cqe_off(cqe), buf + got,
				 (size_t)cqe->res));
		got += (size_t)cqe->res;
		zc_return(&z, cqe);
		io_uring_cqe_seen(&ring, cqe);
		zc_flush(&ring, z.reg.zcrx_id);
	}
	t_eq(cqe->res, 0);
	io_uring_cqe_seen(&ring, cqe);
	t_eq(got, sizeof(buf));

	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	zc_free(&z);
	return T_EXIT_PASS;
}
