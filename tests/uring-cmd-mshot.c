/* SPDX-License-Identifier: MIT */
/*
 * Multishot uring_cmd (seed 001) through the event-notification device
 * (include/ursa/event.h): tags posted by other threads arrive through
 * provided buffers, many per CQE, each CQE with IORING_CQE_F_MORE and its
 * buffer id; -ENOBUFS ends it when the group runs dry (the tags wait for
 * the next FETCH); STOP ends it with res 0; one FETCH at a time; the device
 * fd polls readable while tags wait; a legacy group works too; ring
 * teardown cancels an armed FETCH.  ursa only (the kernel has no such
 * device); the kernel backend skips.
 */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <ursa/event.h>
#include <ursa/ursa.h>
#include "helpers/helpers.h"

#define BGID	1
#define NBUF	8
#define BUFSZ	64		/* 32 tags per CQE */

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static uint16_t bufs[NBUF][BUFSZ / 2];

static void fetch(int fd, uint64_t ud, unsigned bgid)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_uring_cmd(sqe, URSA_EVENT_CMD_FETCH, fd);
	sqe->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)bgid;
	sqe->user_data = ud;
	t_submit(&ring, 1);
}

static int simple_cmd(int fd, unsigned op, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_uring_cmd(sqe, op, fd);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	return 0;
}

static void refill(void)
{
	for (int i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, bufs[i], BUFSZ, (uint16_t)i,
				      io_uring_buf_ring_mask(NBUF), i);
	io_uring_buf_ring_advance(br, NBUF);
}

/* Take CQEs of ud until total tags arrived; check they count up from first;
 * give each buffer back.  Returns the CQEs seen. */
static unsigned collect(uint64_t ud, unsigned first, unsigned total)
{
	unsigned got = 0, cqes = 0;

	while (got < total) {
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);
		unsigned bid, n;

		t_eq(cqe->user_data, ud);
		if (cqe->res <= 0)
			t_fail("ud %llu res %d flags %x", (unsigned long long)cqe->user_data, cqe->res, cqe->flags);
		t_assert(cqe->flags & IORING_CQE_F_MORE);
		t_assert(cqe->flags & IORING_CQE_F_BUFFER);
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		t_assert(bid < NBUF);
		n = (unsigned)cqe->res / 2;
		for (unsigned k = 0; k < n; k++)
			t_eq(bufs[bid][k], (uint16_t)(first + got + k));
		got += n;
		cqes++;
		io_uring_cqe_seen(&ring, cqe);
		/* Consumed: the buffer goes back, as an application does. */
		io_uring_buf_ring_add(br, bufs[bid], BUFSZ, (uint16_t)bid,
				      io_uring_buf_ring_mask(NBUF), 0);
		io_uring_buf_ring_advance(br, 1);
	}
	t_eq(got, total);
	return cqes;
}

struct poster {
	struct ursa_event_dev *ev;
	unsigned first, nr;
};

static void *post_thread(void *arg)
{
	struct poster *p = arg;

	for (unsigned i = 0; i < p->nr; i++) {
		uint16_t t = (uint16_t)(p->first + i);

		t_eq(ursa_event_post(p->ev, &t, 1), 0);
		if (i % 16 == 0)
			usleep(1000);
	}
	return NULL;
}

int main(void)
{
	struct ursa_event_dev *ev;
	struct pollfd pfd;
	uint16_t tags[300];
	unsigned i, cqes;
	int fd, ret;

	if (t_backend_is_kernel())
		t_skip("the event device is ursa's; no kernel counterpart");
	t_ring_init(&ring, 64, 0);
	br = io_uring_setup_buf_ring(&ring, NBUF, BGID, 0, &ret);
	t_assert(br);
	refill();
	fd = ursa_event_dev_create(&ev);
	t_assert(fd >= 0);
	pfd.fd = fd;
	pfd.events = POLLIN;

	/* Tags queued before the FETCH: delivered at issue, 32 per CQE. */
	for (i = 0; i < 100; i++)
		tags[i] = (uint16_t)i;
	t_eq(ursa_event_post(ev, tags, 100), 0);
	t_eq(poll(&pfd, 1, 0), 1);
	fetch(fd, 1, BGID);
	cqes = collect(1, 0, 100);
	t_eq(cqes, 4);			/* 32 + 32 + 32 + 4 */
	t_eq(poll(&pfd, 1, 0), 0);	/* nothing waits now */

	/* A second FETCH while one is armed. */
	fetch(fd, 2, BGID);
	t_expect_cqe(&ring, 2, -EBUSY, 0);

	/* Tags from another thread, while armed (4 buffers left). */
	{
		struct poster p = { ev, 100, 64 };
		pthread_t th;

		t_eq(pthread_create(&th, NULL, post_thread, &p), 0);
		collect(1, 100, 64);
		pthread_join(th, NULL);
	}
	/* Run the group dry: the FETCH ends with -ENOBUFS, no F_MORE; the
	 * tags it could not deliver stay for the next one. */
	{
		unsigned used = 0;

		for (i = 0; i < 300; i++)
			tags[i] = (uint16_t)(164 + i);
		t_eq(ursa_event_post(ev, tags, 300), 0);
		for (;;) {
			struct io_uring_cqe *cqe = t_wait_cqe(&ring);

			t_eq(cqe->user_data, 1);
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				t_eq(cqe->res, -ENOBUFS);
				io_uring_cqe_seen(&ring, cqe);
				break;
			}
			used += (unsigned)cqe->res / 2;
			io_uring_cqe_seen(&ring, cqe);
		}
		t_eq(ursa_event_pending(ev), 300 - used);
		t_eq(poll(&pfd, 1, 0), 1);
		/* Buffers back: a new FETCH takes the rest, then STOP. */
		refill();
		fetch(fd, 3, BGID);
		collect(3, 164 + used, 300 - used);
		simple_cmd(fd, URSA_EVENT_CMD_STOP, 4);
		{
			struct t_cqe_want w[] = { { 3, 0, 0, 0 }, { 4, 0, 0, 0 } };

			t_reap_cqes(&ring, w, 2);
		}
	}
	/* STOP without a FETCH; an unknown command; FETCH without MULTISHOT. */
	simple_cmd(fd, URSA_EVENT_CMD_STOP, 5);
	t_expect_cqe(&ring, 5, -ENOENT, 0);
	simple_cmd(fd, 0x1234, 6);
	t_expect_cqe(&ring, 6, -EOPNOTSUPP, 0);

	/* A legacy group works the same way. */
	{
		static uint16_t lb[4][8];
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_provide_buffers(sqe, lb, 16, 4, 7, 0);
		sqe->user_data = 7;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 7, 0, 0);
		for (i = 0; i < 10; i++)
			tags[i] = (uint16_t)(1000 + i);
		t_eq(ursa_event_post(ev, tags, 10), 0);
		fetch(fd, 8, 7);
		for (unsigned got = 0; got < 10;) {
			struct io_uring_cqe *cqe = t_wait_cqe(&ring);
			unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

			t_eq(cqe->user_data, 8);
			t_assert(cqe->flags & IORING_CQE_F_MORE);
			for (int k = 0; k < cqe->res / 2; k++)
				t_eq(lb[bid][k], 1000 + got + k);
			got += (unsigned)cqe->res / 2;
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	/* Teardown with the FETCH armed: cancelled, nothing hangs. */
	io_uring_queue_exit(&ring);
	ursa_event_dev_destroy(ev);
	return T_EXIT_PASS;
}
