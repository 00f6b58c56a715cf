/* SPDX-License-Identifier: MIT */
/*
 * The one place a result becomes a CQE: posting, the overflow backlog
 * (IORING_FEAT_NODROP), eventfd notification and the wake-up of waiters.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine.h"
#include "poll.h"
#include "timeout.h"

#define COMPL_F_BIG	0x80000000u	/* internal: compl entry has a 32b tail */

static __thread bool tls_in_worker;

/* A thread completing a batch (fired timers, ready fds) wakes waiters once
 * at the end of the batch instead of once per CQE. */
static __thread struct ursa_ring *tls_batch_ring;
static __thread bool tls_batch_wake;

/* ... and posts the CQEs of that batch under one lock acquisition. */
#define TLS_BATCH	64
static __thread struct ursa_compl tls_compl[TLS_BATCH];
static __thread unsigned tls_nr_compl;

static void tls_batch_flush(struct ursa_ring *ring);

void ursa_wake_batch_begin(struct ursa_ring *ring)
{
	tls_batch_ring = ring;
	tls_batch_wake = false;
	tls_nr_compl = 0;
}

void ursa_wake_batch_end(struct ursa_ring *ring)
{
	bool wake;

	tls_batch_flush(ring);
	wake = tls_batch_wake;
	tls_batch_ring = NULL;
	tls_batch_wake = false;
	if (wake)
		ursa_cq_wake(ring);
}

/* Queue a CQE in this thread's batch if one is open for ring. */
bool ursa_batch_post(struct ursa_ring *ring, uint64_t user_data, int32_t res,
		     uint32_t cflags, const uint64_t *big)
{
	struct ursa_compl *c;

	if (tls_batch_ring != ring)
		return false;
	if (tls_nr_compl == TLS_BATCH)
		tls_batch_flush(ring);
	c = &tls_compl[tls_nr_compl++];
	c->user_data = user_data;
	c->res = res;
	c->flags = cflags | (big ? COMPL_F_BIG : 0);
	if (big) {
		c->big[0] = big[0];
		c->big[1] = big[1];
	}
	return true;
}



static inline unsigned cqe_shift(const struct ursa_ring *ring)
{
	return ring->cqe32 ? 1 : 0;
}

static inline struct io_uring_cqe *cqe_at(struct ursa_ring *ring, unsigned pos)
{
	return (struct io_uring_cqe *)(ring->cqes +
		((size_t)(pos & ring->cq_mask) << cqe_shift(ring)) * 16);
}

static inline void write_cqe(struct io_uring_cqe *cqe, uint64_t user_data,
			     int32_t res, uint32_t flags)
{
	cqe->user_data = user_data;
	cqe->res = res;
	cqe->flags = flags;
}

/*
 * Append an overflow entry.  If the allocation fails the CQE is lost: count
 * it in cq_overflow and remember it so a later wait reports -EBADR, exactly
 * as the kernel does.
 */
static void overflow_add(struct ursa_ring *ring, uint64_t user_data,
			 int32_t res, uint32_t flags, const uint64_t *big)
{
	struct ursa_ocqe *o = malloc(sizeof(*o));

	if (!o) {
		__atomic_store_n(ring->cq_overflow, *ring->cq_overflow + 1,
				 __ATOMIC_RELAXED);
		ring->cq_dropped = true;
		return;
	}
	o->next = NULL;
	o->user_data = user_data;
	o->res = res;
	o->flags = flags;
	o->has_big = big != NULL;
	if (big) {
		o->big[0] = big[0];
		o->big[1] = big[1];
	}
	if (!ring->ocq_head)
		atomic_fetch_or(ring->sq_flags, IORING_SQ_CQ_OVERFLOW);
	*ring->ocq_tail = o;
	ring->ocq_tail = &o->next;
	ring->nr_overflow++;
}

/*
 * Place one CQE in the ring, or return false if it does not fit.  A 32-byte
 * CQE on a CQE_MIXED ring takes two slots and never wraps: a skip CQE pads
 * the last slot when it would.  Called with completion_lock held.
 */
static bool cq_fill(struct ursa_ring *ring, uint64_t user_data, int32_t res,
		    uint32_t flags, const uint64_t *big)
{
	unsigned head = atomic_load_explicit(ring->cq_head, memory_order_acquire);
	unsigned tail = ring->cached_cq_tail;
	unsigned space = ring->cq_entries - (tail - head);
	struct io_uring_cqe *cqe;

	if (ring->cqe_mixed && big) {
		unsigned need = 2;

		if ((tail & ring->cq_mask) == ring->cq_mask)
			need = 3;
		if (space < need)
			return false;
		if (need == 3) {
			write_cqe(cqe_at(ring, tail), 0, 0, IORING_CQE_F_SKIP);
			tail++;
		}
		cqe = cqe_at(ring, tail);
		write_cqe(cqe, user_data, res, flags | IORING_CQE_F_32);
		cqe->big_cqe[0] = big[0];
		cqe->big_cqe[1] = big[1];
		ring->cached_cq_tail = tail + 2;
		return true;
	}
	if (!space)
		return false;
	cqe = cqe_at(ring, tail);
	write_cqe(cqe, user_data, res, flags);
	if (ring->cqe32) {
		cqe->big_cqe[0] = big ? big[0] : 0;
		cqe->big_cqe[1] = big ? big[1] : 0;
	}
	ring->cached_cq_tail = tail + 1;
	return true;
}

static void post_locked(struct ursa_ring *ring, uint64_t user_data,
			int32_t res, uint32_t flags, const uint64_t *big)
{
	ring->cq_posted++;
	/* Order is kept: once anything overflowed, new CQEs queue behind it. */
	if (unlikely(ring->ocq_head) ||
	    unlikely(!cq_fill(ring, user_data, res, flags, big)))
		overflow_add(ring, user_data, res, flags, big);
}

/* Publish the tail and tell whoever waits.  async: posted away from the
 * submitter (IORING_REGISTER_EVENTFD_ASYNC signals only those). */
static void commit_and_wake(struct ursa_ring *ring, unsigned old_tail,
			    bool worker)
{
	bool posted = ring->cached_cq_tail != old_tail;

	atomic_store_explicit(ring->cq_tail, ring->cached_cq_tail,
			      memory_order_release);
	if (!posted)
		return;
	if (ring->evfd >= 0 &&
	    !(atomic_load_explicit(ring->cq_flags, memory_order_relaxed) &
	      IORING_CQ_EVENTFD_DISABLED) &&
	    (!ring->evfd_async_only || worker))
		eventfd_write(ring->evfd, 1);
	if (tls_batch_ring == ring) {
		tls_batch_wake = true;
		return;
	}
	ursa_cq_wake(ring);
}

void ursa_cq_wake(struct ursa_ring *ring)
{
	/* Pairs with the waiter's increment of cq_waiters before it reads
	 * the tail: either it sees our tail or we see it waiting. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ring->cq_waiters, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&ring->cq_wait_seq, 1,
					  memory_order_release);
		ursa_futex_wake(&ring->cq_wait_seq, INT_MAX);
		if (ring->wait_evfd >= 0)
			eventfd_write(ring->wait_evfd, 1);
		if (ring->setup_flags & IORING_SETUP_DEFER_TASKRUN)
			ursa_poll_wake(ring);
	}
}

void ursa_mark_worker_thread(void)
{
	tls_in_worker = true;
}

void ursa_post_cqe(struct ursa_ring *ring, uint64_t user_data, int32_t res,
		   uint32_t cflags, const uint64_t *big)
{
	unsigned old;

	if (tls_batch_ring == ring)
		tls_batch_flush(ring);
	pthread_mutex_lock(&ring->completion_lock);
	old = ring->cached_cq_tail;
	post_locked(ring, user_data, res, cflags, big);
	commit_and_wake(ring, old, tls_in_worker);
	pthread_mutex_unlock(&ring->completion_lock);
	if (unlikely(__atomic_load_n(&ring->has_count_timeouts, __ATOMIC_ACQUIRE)))
		ursa_timeouts_flush(ring);
}

/*
 * A multishot CQE (IORING_CQE_F_MORE): posted only if it fits in the CQ
 * with nothing overflowed; otherwise false, and the caller ends the
 * request with a final CQE, as the kernel does rather than overflow.
 */
bool ursa_post_cqe_more(struct ursa_ring *ring, uint64_t user_data, int32_t res)
{
	return ursa_post_cqe_more_flags(ring, user_data, res, 0);
}

bool ursa_post_cqe_more_flags(struct ursa_ring *ring, uint64_t user_data,
			      int32_t res, uint32_t cflags)
{
	return ursa_post_cqe_more_big(ring, user_data, res, cflags, NULL);
}

bool ursa_post_cqe_more_big(struct ursa_ring *ring, uint64_t user_data,
			    int32_t res, uint32_t cflags, const uint64_t *big)
{
	bool ok = false;
	unsigned old;

	/* Completions batched so far go first, in order. */
	if (ursa_in_submit(ring))
		ursa_flush_compl(ring);
	if (tls_batch_ring == ring)
		tls_batch_flush(ring);
	pthread_mutex_lock(&ring->completion_lock);
	old = ring->cached_cq_tail;
	if (!ring->ocq_head) {
		ok = cq_fill(ring, user_data, res, cflags | IORING_CQE_F_MORE, big);
		if (ok)
			ring->cq_posted++;
	}
	commit_and_wake(ring, old, tls_in_worker);
	pthread_mutex_unlock(&ring->completion_lock);
	if (ok && unlikely(__atomic_load_n(&ring->has_count_timeouts,
					   __ATOMIC_ACQUIRE)))
		ursa_timeouts_flush(ring);
	return ok;
}

void ursa_flush_compl(struct ursa_ring *ring)
{
	unsigned i, old;

again:
	if (!ring->nr_compl)
		return;
	pthread_mutex_lock(&ring->completion_lock);
	old = ring->cached_cq_tail;
	for (i = 0; i < ring->nr_compl; i++) {
		struct ursa_compl *c = &ring->compl[i];
		bool big = c->flags & COMPL_F_BIG;

		post_locked(ring, c->user_data, c->res, c->flags & ~COMPL_F_BIG,
			    big ? c->big : NULL);
	}
	ring->nr_compl = 0;
	commit_and_wake(ring, old, tls_in_worker);
	pthread_mutex_unlock(&ring->completion_lock);
	if (unlikely(__atomic_load_n(&ring->has_count_timeouts, __ATOMIC_ACQUIRE))) {
		/* Timeouts completed by these CQEs batch their own: post them
		 * too before returning. */
		ursa_timeouts_flush(ring);
		goto again;
	}
}

static void tls_batch_flush(struct ursa_ring *ring)
{
	unsigned i, old;

	if (!tls_nr_compl)
		return;
	pthread_mutex_lock(&ring->completion_lock);
	old = ring->cached_cq_tail;
	for (i = 0; i < tls_nr_compl; i++) {
		struct ursa_compl *c = &tls_compl[i];

		post_locked(ring, c->user_data, c->res, c->flags & ~COMPL_F_BIG,
			    (c->flags & COMPL_F_BIG) ? c->big : NULL);
	}
	tls_nr_compl = 0;
	commit_and_wake(ring, old, tls_in_worker);
	pthread_mutex_unlock(&ring->completion_lock);
	if (unlikely(__atomic_load_n(&ring->has_count_timeouts, __ATOMIC_ACQUIRE)))
		ursa_timeouts_flush(ring);
}

void ursa_flush_overflow(struct ursa_ring *ring)
{
	struct ursa_ocqe *o;
	unsigned old;

	if (!__atomic_load_n(&ring->ocq_head, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&ring->completion_lock);
	old = ring->cached_cq_tail;
	while ((o = ring->ocq_head)) {
		if (!cq_fill(ring, o->user_data, o->res, o->flags,
			     o->has_big ? o->big : NULL))
			break;
		ring->ocq_head = o->next;
		ring->nr_overflow--;
		free(o);
	}
	if (!ring->ocq_head) {
		ring->ocq_tail = &ring->ocq_head;
		atomic_fetch_and(ring->sq_flags, ~IORING_SQ_CQ_OVERFLOW);
	}
	commit_and_wake(ring, old, false);
	pthread_mutex_unlock(&ring->completion_lock);
}

void ursa_overflow_free(struct ursa_ring *ring)
{
	struct ursa_ocqe *o, *next;

	for (o = ring->ocq_head; o; o = next) {
		next = o->next;
		free(o);
	}
	ring->ocq_head = NULL;
	ring->ocq_tail = &ring->ocq_head;
}

unsigned ursa_cq_ready(struct ursa_ring *ring)
{
	return atomic_load_explicit(ring->cq_tail, memory_order_acquire) -
	       atomic_load_explicit(ring->cq_head, memory_order_acquire);
}
