/* SPDX-License-Identifier: MIT */
/*
 * ZCRX_CTRL_FLUSH_RQ: refill-queue entries go back to the free list and the
 * head moves to the tail (at most rq_entries at a time).  Malformed entries
 * are consumed and ignored: another area id, __pad set, an offset past the
 * area, a buffer the application does not hold (never received, or
 * returned twice).  The buffers count exactly: an area of N buffers
 * serves N data CQEs between flushes, never more.
 */
#include "zcrx-common.h"

#define PAGES	4

static struct io_uring ring;
static struct zc z;
static int fds[2];

/* Receive PAGES messages of 100 bytes, one CQE each, into offs[]. */
static void fill(uint64_t ud, uint64_t offs[PAGES])
{
	char msg[100];

	memset(msg, 'a', sizeof(msg));
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, ud);
	t_submit(&ring, 1);
	for (int i = 0; i < PAGES; i++) {
		struct io_uring_cqe *cqe;

		zc_send_all(fds[1], msg, sizeof(msg));
		cqe = t_wait_cqe(&ring);
		t_check_cqe(cqe, ud, 100, IORING_CQE_F_MORE);
		offs[i] = zc_cqe_off(cqe);
		io_uring_cqe_seen(&ring, cqe);
	}
}

/* One more message: -ENOMEM if the area is dry, else a data CQE. */
static int probe(uint64_t ud)
{
	struct io_uring_cqe *cqe;
	char msg[10] = "x";
	int res;

	zc_send_all(fds[1], msg, sizeof(msg));
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void put_rqe(uint64_t off, uint32_t pad)
{
	struct io_uring_zcrx_rqe *rqe = &z.rqes[z.rq_tail & z.rq_mask];

	rqe->off = off;
	rqe->len = ZC_PAGE;
	rqe->__pad = pad;
	z.rq_tail++;
	__atomic_store_n(z.ktail, z.rq_tail, __ATOMIC_RELEASE);
}

int main(void)
{
	uint64_t offs[PAGES];

	zc_ring_init(&ring, 32, IORING_SETUP_CQE32);
	zc_init(&z, 8, PAGES);
	zc_register_or_skip(&ring, &z);
	zc_tcp_pair(fds);

	/* an empty RQ flushes to nothing */
	zc_flush(&ring, z.reg.zcrx_id);
	t_eq(*z.khead, 0);

	fill(1, offs);
	t_eq(probe(1), -ENOMEM);	/* dry, the request ended */
	/* buffers were distinct pages of the area */
	for (int i = 0; i < PAGES; i++)
		for (int j = 0; j < i; j++)
			t_assert(offs[i] != offs[j]);

	/* malformed entries: all consumed, none frees anything */
	put_rqe(offs[0] | (1ull << IORING_ZCRX_AREA_SHIFT), 0);	/* area 1 */
	put_rqe(offs[0], 1);					/* __pad */
	put_rqe(z.area_len, 0);					/* past the area */
	put_rqe(~IORING_ZCRX_AREA_MASK, 0);
	zc_flush(&ring, z.reg.zcrx_id);
	t_eq(__atomic_load_n(z.khead, __ATOMIC_ACQUIRE), 4);
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, 2);
	t_submit(&ring, 1);
	t_eq(probe(2), -ENOMEM);

	/* one good entry (the offset inside the page does not matter),
	 * returned twice: one buffer back, not two */
	put_rqe(offs[1] + 17, 0);
	put_rqe(offs[1], 0);
	zc_flush(&ring, z.reg.zcrx_id);
	t_eq(*z.khead, 6);
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, 3);
	t_submit(&ring, 1);
	/* the one buffer (with what the failed probes left queued) */
	t_assert(probe(3) >= 10);
	t_eq(probe(3), -ENOMEM);	/* and no second */

	/* all of them back (the RQ wraps: 8 entries, 6 used so far) */
	for (int i = 0; i < PAGES; i++)
		put_rqe(offs[i], 0);
	zc_flush(&ring, z.reg.zcrx_id);
	t_eq(*z.khead, z.rq_tail);
	{
		char junk[256];

		while (recv(fds[0], junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
	}
	fill(4, offs);		/* PAGES buffers again */

	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	zc_free(&z);
	return T_EXIT_PASS;
}
