/* SPDX-License-Identifier: MIT */
/*
 * Description: SQPOLL sleeping and SQ-space waits.  With a short
 * sq_thread_idle the poller sets IORING_SQ_NEED_WAKEUP once idle (not
 * before the idle time has passed) and io_uring_submit() wakes it.  The SQ
 * filled completely while the poller sleeps stays unconsumed;
 * io_uring_sqring_wait() (IORING_ENTER_SQ_WAIT) then blocks, since SQ_WAIT
 * does not wake the poller, and returns once IORING_ENTER_SQ_WAKEUP has let
 * the poller free the SQ; SQ_WAIT|SQ_WAKEUP in one call returns with space;
 * SQ_WAIT with space returns at once, and on a ring without SQPOLL it is
 * ignored.  io_uring_enter on an SQPOLL ring returns to_submit as given.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "helpers/helpers.h"

static void setup_sqpoll(struct io_uring *ring, unsigned entries,
			 unsigned idle_ms)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = idle_ms;
	ret = t_setup_ring_params(ring, entries, &p);
	if (ret)
		t_fail("SQPOLL setup: %s", t_errname(ret));
}

static unsigned sq_flags(struct io_uring *ring)
{
	return __atomic_load_n(ring->sq.kflags, __ATOMIC_ACQUIRE);
}

static unsigned sq_head(struct io_uring *ring)
{
	return __atomic_load_n(ring->sq.khead, __ATOMIC_ACQUIRE);
}

/* Wait (bounded) until the poller has gone to sleep. */
static void wait_need_wakeup(struct io_uring *ring)
{
	uint64_t end = t_now_usec() + T_WAIT_SECS * 1000000ull;

	while (!(sq_flags(ring) & IORING_SQ_NEED_WAKEUP)) {
		if (t_now_usec() > end)
			t_fail("IORING_SQ_NEED_WAKEUP never set");
		usleep(500);
	}
}

/*
 * After a wakeup the flag stays set until the poller runs and clears it:
 * let it run (and go idle again, the idle time being short) before looking.
 */
static void wait_asleep(struct io_uring *ring)
{
	usleep(30000);
	wait_need_wakeup(ring);
}

/*
 * Publish the SQEs prepared so far to the poller without entering, as
 * io_uring_submit would but without its wakeup.
 */
static void publish_tail(struct io_uring *ring)
{
	ring->sq.sqe_head = ring->sq.sqe_tail;
	__atomic_store_n(ring->sq.ktail, ring->sq.sqe_tail, __ATOMIC_RELEASE);
}

static int enter(struct io_uring *ring, unsigned to_submit, unsigned flags)
{
	return io_uring_enter((unsigned)ring->ring_fd, to_submit, 0, flags,
			      NULL);
}

/* Fill every SQ slot with a NOP (ud base + i) and publish, no wakeup. */
static void fill_sq(struct io_uring *ring, unsigned entries, uint64_t base)
{
	for (unsigned i = 0; i < entries; i++)
		t_prep_nop(ring, base + i);
	t_assert(io_uring_get_sqe(ring) == NULL);
	t_eq(io_uring_sq_space_left(ring), 0);
	publish_tail(ring);
}

static void expect_nops(struct io_uring *ring, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++)
		t_expect_cqe(ring, base + i, 0, 0);
}

/* ------------------------------------------------------ idle and wakeup */

static void test_idle(void)
{
	enum { IDLE_MS = 200 };
	struct io_uring ring;
	uint64_t t0, t1;

	setup_sqpoll(&ring, 8, IDLE_MS);
	/* The poller starts busy (or at least not asleep for long). */
	t0 = t_now_usec();
	t_prep_nop(&ring, 1);
	t_assert(io_uring_submit(&ring) >= 1);
	t_expect_cqe(&ring, 1, 0, 0);
	wait_need_wakeup(&ring);
	t1 = t_now_usec();
	/* Not before the idle time (less a scheduler tick of slack). */
	if (t1 - t0 < (IDLE_MS - 50) * 1000ull)
		t_fail("NEED_WAKEUP after %llu ms, idle is %d ms",
		       (unsigned long long)((t1 - t0) / 1000), IDLE_MS);

	/* io_uring_submit sees the flag and wakes the poller. */
	for (unsigned round = 0; round < 3; round++) {
		if (round)
			usleep(30000);	/* (the flag is stale just after) */
		wait_need_wakeup(&ring);
		t_prep_nop(&ring, 10 + round);
		t_assert(io_uring_submit(&ring) >= 1);
		t_expect_cqe(&ring, 10 + round, 0, 0);
	}
	io_uring_queue_exit(&ring);
}

/* --------------------------------------------- SQ full while it sleeps */

struct waiter {
	struct io_uring *ring;
	int ret;
	_Atomic int done;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->ret = io_uring_sqring_wait(w->ring);
	atomic_store(&w->done, 1);
	return NULL;
}

static void test_full_sq(void)
{
	enum { ENTRIES = 4 };
	struct io_uring ring;
	struct waiter w = { .ring = &ring };
	pthread_t th;
	unsigned head;
	uint64_t end;

	setup_sqpoll(&ring, ENTRIES, 10);
	t_prep_nop(&ring, 1);
	t_assert(io_uring_submit(&ring) >= 1);
	t_expect_cqe(&ring, 1, 0, 0);

	/* SQ_WAIT with room returns at once. */
	t_eq(io_uring_sqring_wait(&ring), 0);
	t_eq(enter(&ring, 0, IORING_ENTER_SQ_WAIT), 0);

	/* Asleep: fill the SQ; nothing is consumed while it sleeps. */
	wait_asleep(&ring);
	head = sq_head(&ring);
	fill_sq(&ring, ENTRIES, 100);
	usleep(50000);
	t_eq(sq_head(&ring), head);
	t_expect_no_cqe(&ring);
	t_assert(sq_flags(&ring) & IORING_SQ_NEED_WAKEUP);

	/* SQ_WAIT alone does not wake the poller: the waiter stays. */
	if (pthread_create(&th, NULL, waiter_fn, &w))
		t_fail("pthread_create");
	usleep(100000);
	if (atomic_load(&w.done))
		t_fail("io_uring_sqring_wait returned (%d) with the SQ full "
		       "and the poller asleep (the kernel keeps waiting "
		       "until something wakes the poller)", w.ret);
	t_eq(sq_head(&ring), head);
	t_expect_no_cqe(&ring);

	/* Wake the poller: it frees the SQ, and the waiter returns. */
	t_eq(enter(&ring, 0, IORING_ENTER_SQ_WAKEUP), 0);
	end = t_now_usec() + T_WAIT_SECS * 1000000ull;
	while (!atomic_load(&w.done)) {
		if (t_now_usec() > end)
			t_fail("io_uring_sqring_wait did not return after the "
			       "poller freed the SQ");
		usleep(1000);
	}
	pthread_join(th, NULL);
	t_eq(w.ret, 0);
	t_assert(io_uring_sq_space_left(&ring) > 0);
	expect_nops(&ring, ENTRIES, 100);

	/* Again, with SQ_WAIT|SQ_WAKEUP in one call from this thread. */
	wait_asleep(&ring);
	fill_sq(&ring, ENTRIES, 200);
	usleep(20000);
	t_expect_no_cqe(&ring);
	t_eq(enter(&ring, 0, IORING_ENTER_SQ_WAIT | IORING_ENTER_SQ_WAKEUP),
	     0);
	t_assert(io_uring_sq_space_left(&ring) > 0);
	expect_nops(&ring, ENTRIES, 200);

	/* And the usual way: a full SQ published by io_uring_submit, which
	 * wakes the poller; io_uring_sqring_wait then finds room. */
	wait_asleep(&ring);
	for (unsigned i = 0; i < ENTRIES; i++)
		t_prep_nop(&ring, 300 + i);
	t_assert(io_uring_get_sqe(&ring) == NULL);
	t_eq(io_uring_submit(&ring), ENTRIES);
	t_eq(io_uring_sqring_wait(&ring), 0);
	t_assert(io_uring_sq_space_left(&ring) > 0);
	expect_nops(&ring, ENTRIES, 300);

	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
}

/* ------------------------------------------- enter's return with SQPOLL */

static void test_enter_return(void)
{
	struct io_uring ring;

	setup_sqpoll(&ring, 4, 1000);
	/* The poller does the submitting: enter reports to_submit as is,
	 * even with nothing queued. */
	t_eq(enter(&ring, 0, 0), 0);
	t_eq(enter(&ring, 3, 0), 3);
	t_eq(enter(&ring, 100, IORING_ENTER_SQ_WAKEUP), 100);
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);

	/* Without SQPOLL, SQ_WAIT is accepted and does nothing. */
	t_ring_init(&ring, 4, 0);
	t_eq(enter(&ring, 0, IORING_ENTER_SQ_WAIT), 0);
	t_eq(enter(&ring, 0, IORING_ENTER_SQ_WAIT | IORING_ENTER_SQ_WAKEUP),
	     0);
	io_uring_queue_exit(&ring);
}

int main(void)
{
	test_enter_return();
	test_idle();
	test_full_sq();
	return T_EXIT_PASS;
}
