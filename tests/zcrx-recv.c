/* SPDX-License-Identifier: MIT */
/*
 * The device-less data path: a multishot IORING_OP_RECV_ZC posts one
 * 32-byte CQE per area buffer (res = bytes, IORING_CQE_F_MORE, the second
 * half's off = where they are in the area), the application returns the
 * buffers through the refill queue and ZCRX_CTRL_FLUSH_RQ, and the request
 * ends with res 0 and no F_MORE when its len is reached or at EOF.  On
 * CQE32 and CQE_MIXED rings (IORING_CQE_F_32), first attempt inline,
 * after waiting, on a worker (IOSQE_ASYNC) and with POLL_FIRST.
 */
#include <poll.h>

#include "zcrx-common.h"

#define TOTAL	(1u << 20)	/* 256 pages through a 64-page area */

static unsigned char *src;

/*
 * Receive until the request ends; check every byte against src[base..],
 * return buffers as they come and flush when asked.  Returns the bytes
 * received; *final_res gets the final CQE's res.
 */
static size_t drain(struct io_uring *ring, struct zc *z, uint64_t ud,
		    size_t base, bool mixed, int *final_res)
{
	size_t got = 0;

	for (;;) {
		struct io_uring_cqe *cqe = t_wait_cqe(ring);
		uint64_t off;

		t_eq(cqe->user_data, ud);
		if (!(cqe->flags & IORING_CQE_F_MORE)) {
			t_eq(cqe->flags & ~IORING_CQE_F_SOCK_NONEMPTY, 0);
			*final_res = cqe->res;
			io_uring_cqe_seen(ring, cqe);
			return got;
		}
		t_eq(cqe->flags & ~IORING_CQE_F_MORE,
		     mixed ? IORING_CQE_F_32 : 0);
		t_assert(cqe->res > 0 && cqe->res <= (int)ZC_PAGE);
		off = zc_cqe_off(cqe);
		t_eq(off >> IORING_ZCRX_AREA_SHIFT, 0);
		t_assert(off + (uint64_t)cqe->res <= z->area_len);
		t_eq(off % ZC_PAGE, 0);
		t_eq(((const struct io_uring_zcrx_cqe *)(cqe + 1))->__pad, 0);
		if (memcmp(z->area_mem + off, src + base + got, (size_t)cqe->res))
			t_fail("data mismatch at stream offset %zu", base + got);
		got += (size_t)cqe->res;
		zc_return(z, cqe);
		io_uring_cqe_seen(ring, cqe);
		zc_flush(ring, z->reg.zcrx_id);
	}
}

/* One ring flavour: a len-limited receive, then an unlimited one fed in
 * pieces of many sizes and ended by EOF. */
static void run(unsigned ring_flag, bool async, bool poll_first)
{
	bool mixed = ring_flag == IORING_SETUP_CQE_MIXED;
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct zc z;
	size_t got, sent = 0;
	int fds[2], res;
	unsigned step;

	zc_ring_init(&ring, 64, ring_flag);
	zc_init(&z, 128, 64);
	zc_register_or_skip(&ring, &z);
	zc_tcp_pair(fds);

	/* 1. len-limited, data already there: ends with res 0 at len */
	zc_send_all(fds[1], src, 10000);
	sqe = io_uring_get_sqe(&ring);
	zc_prep_recv(sqe, fds[0], z.reg.zcrx_id, 10000, 7);
	if (async)
		sqe->flags |= IOSQE_ASYNC;
	if (poll_first)
		sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	t_submit(&ring, 1);
	got = drain(&ring, &z, 7, 0, mixed, &res);
	t_eq(got, 10000);
	t_eq(res, 0);
	sent = 10000;

	/* 2. unlimited, data arriving in pieces of several sizes while the
	 * request waits; then EOF ends it with res 0 */
	sqe = io_uring_get_sqe(&ring);
	zc_prep_recv(sqe, fds[0], z.reg.zcrx_id, 0, 8);
	if (async)
		sqe->flags |= IOSQE_ASYNC;
	if (poll_first)
		sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	t_submit(&ring, 1);
	got = 0;
	for (step = 1; sent < TOTAL; step = step * 3 + 1) {
		size_t len = step % 70000 + 1;

		if (len > TOTAL - sent)
			len = TOTAL - sent;
		zc_send_all(fds[1], src + sent, len);
		/* take what has arrived; the request stays armed */
		for (;;) {
			struct io_uring_cqe *cqe;
			int r = io_uring_peek_cqe(&ring, &cqe);

			if (r == -EAGAIN) {
				if (got == sent + len - 10000)
					break;
				cqe = t_wait_cqe(&ring);
			}
			t_eq(cqe->user_data, 8);
			t_assert(cqe->flags & IORING_CQE_F_MORE);
			if (memcmp(z.area_mem + zc_cqe_off(cqe),
				   src + 10000 + got, (size_t)cqe->res))
				t_fail("data mismatch at %zu", 10000 + got);
			got += (size_t)cqe->res;
			zc_return(&z, cqe);
			io_uring_cqe_seen(&ring, cqe);
			zc_flush(&ring, z.reg.zcrx_id);
		}
		sent += len;
		zc_flush(&ring, z.reg.zcrx_id);
	}
	t_eq(got, TOTAL - 10000);
	shutdown(fds[1], SHUT_WR);
	got = drain(&ring, &z, 8, sent, mixed, &res);
	t_eq(got, 0);
	t_eq(res, 0);

	/* every buffer came back */
	zc_flush(&ring, z.reg.zcrx_id);
	t_eq(*z.khead, z.rq_tail);

	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	zc_free(&z);
}

int main(void)
{
	src = malloc(TOTAL);
	t_assert(src);
	t_fill_pattern(src, TOTAL, 0, 3);
	run(IORING_SETUP_CQE32, false, false);
	run(IORING_SETUP_CQE_MIXED, false, false);
	run(IORING_SETUP_CQE32, true, false);
	run(IORING_SETUP_CQE32, false, true);
	free(src);
	return T_EXIT_PASS;
}
