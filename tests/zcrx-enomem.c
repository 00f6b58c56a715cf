/* SPDX-License-Identifier: MIT */
/*
 * The area runs dry: with no free buffer and data waiting, RECV_ZC ends
 * with -ENOMEM (no F_MORE) after the CQEs of what fitted.  Buffers sitting
 * in the refill queue do not count until ZCRX_CTRL_FLUSH_RQ takes them
 * back: the device-less copy path, like the kernel's, never consumes the
 * refill queue by itself.  After a flush a new request receives the rest.
 */
#include "zcrx-common.h"

#define PAGES	4

int main(void)
{
	static unsigned char buf[PAGES * 2 * ZC_PAGE], out[sizeof(buf)];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct zc z;
	size_t got = 0;
	int fds[2], i;

	zc_ring_init(&ring, 32, IORING_SETUP_CQE32);
	zc_init(&z, 16, PAGES);
	zc_register_or_skip(&ring, &z);
	zc_tcp_pair(fds);
	t_fill_pattern(buf, sizeof(buf), 0, 9);

	/* twice the area: a data CQE per buffer (a page at most: how much
	 * depends on how TCP delivered it), then -ENOMEM */
	zc_send_all(fds[1], buf, sizeof(buf));
	usleep(20000);
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, 1);
	t_submit(&ring, 1);
	for (i = 0; i < PAGES; i++) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 1);
		t_eq(cqe->flags, IORING_CQE_F_MORE);
		t_assert(cqe->res > 0 && cqe->res <= (int)ZC_PAGE);
		memcpy(out + got, z.area_mem + zc_cqe_off(cqe), (size_t)cqe->res);
		got += (size_t)cqe->res;
		/* returned, but not flushed: still not free */
		zc_return(&z, cqe);
		io_uring_cqe_seen(&ring, cqe);
	}
	t_expect_cqe(&ring, 1, -ENOMEM, 0);
	t_eq(*z.khead, 0);	/* nothing consumed the refill queue */

	/* flush: the buffers are back, a new request takes the rest */
	zc_flush(&ring, z.reg.zcrx_id);
	t_eq(*z.khead, PAGES);
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id,
		     (unsigned)(sizeof(buf) - got), 2);
	t_submit(&ring, 1);
	for (;;) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 2);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			break;
		memcpy(out + got, z.area_mem + zc_cqe_off(cqe), (size_t)cqe->res);
		got += (size_t)cqe->res;
		zc_return(&z, cqe);
		io_uring_cqe_seen(&ring, cqe);
		zc_flush(&ring, z.reg.zcrx_id);
	}
	t_eq(cqe->res, 0);
	io_uring_cqe_seen(&ring, cqe);
	/* keep the buffers of the last CQEs: the area is dry again */
	t_eq(got, sizeof(buf));
	t_assert(!memcmp(buf, out, sizeof(buf)));

	/* small messages one at a time: a buffer each, kept by us */
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, 3);
	t_submit(&ring, 1);
	for (i = 0; i < PAGES; i++) {
		zc_send_all(fds[1], buf, 100);
		cqe = t_wait_cqe(&ring);
		t_check_cqe(cqe, 3, 100, IORING_CQE_F_MORE);
		io_uring_cqe_seen(&ring, cqe);
	}
	/* the area is dry and nothing is pending: the request waits (no
	 * -ENOMEM without data), then fails when data comes */
	{
		struct __kernel_timespec ts = { .tv_nsec = 50000000 };

		t_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), -ETIME);
	}
	zc_send_all(fds[1], buf, 100);
	t_expect_cqe(&ring, 3, -ENOMEM, 0);

	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	zc_free(&z);
	return T_EXIT_PASS;
}
