/* SPDX-License-Identifier: MIT */
/*
 * Timers: a binary min-heap per ring, fired by whoever waits on the ring's
 * epoll set (the reactor thread, or a DEFER_TASKRUN task waiting in enter):
 * its epoll_pwait2() sleeps no later than the earliest timer, with
 * nanosecond precision, so no timer syscall is ever made.  Arming costs a
 * heap insert, plus a wake-up of the sleeper only when the new timer is
 * due before the time it sleeps until; expiry pops every due timer at once.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timer.h"
#include "poll.h"

enum { T_IDLE, T_QUEUED, T_RUNNING };

/* Heap slots carry the key, so sifting never touches the timers
 * themselves (they live in requests scattered in memory). */
struct heap_slot {
	uint64_t		expires;
	struct ursa_timer	*tm;
};

struct ursa_timers {
	pthread_mutex_t		lock;
	struct heap_slot	*heap;
	unsigned		nr, alloc;
	uint64_t		sleep_until;	/* the sleeper's deadline; 0: none */
};

uint64_t ursa_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void heap_set(struct ursa_timers *t, unsigned i,
			    struct heap_slot s)
{
	t->heap[i] = s;
	s.tm->idx = i;
}

/* A 4-ary heap: half the depth of a binary one, so half the scattered
 * writes of timer indexes per insert or removal. */
#define HEAP_D	4

static void sift_up(struct ursa_timers *t, unsigned i)
{
	struct heap_slot s = t->heap[i];

	while (i) {
		unsigned p = (i - 1) / HEAP_D;

		if (t->heap[p].expires <= s.expires)
			break;
		heap_set(t, i, t->heap[p]);
		i = p;
	}
	heap_set(t, i, s);
}

static void sift_down(struct ursa_timers *t, unsigned i)
{
	struct heap_slot s = t->heap[i];

	for (;;) {
		unsigned c = HEAP_D * i + 1, m = c, k;

		if (c >= t->nr)
			break;
		for (k = c + 1; k < c + HEAP_D && k < t->nr; k++)
			if (t->heap[k].expires < t->heap[m].expires)
				m = k;
		if (t->heap[m].expires >= s.expires)
			break;
		heap_set(t, i, t->heap[m]);
		i = m;
	}
	heap_set(t, i, s);
}

static void heap_remove(struct ursa_timers *t, unsigned i)
{
	t->nr--;
	if (i != t->nr) {
		heap_set(t, i, t->heap[t->nr]);
		sift_down(t, i);
		sift_up(t, i);
	}
}

/*
 * Coalescing.  With many timers queued (a server's per-connection
 * timeouts), the sleeper wakes for the earliest deadline plus a slack and
 * fires everything due by then: one wake-up, one CQE batch and one wake of
 * the waiting task for a whole run of deadlines instead of one each.  A
 * timer never fires early, and at most the slack late; with few timers
 * queued there is no slack, so a lone timeout stays as precise as the
 * sleep itself (the kernel's default 50 us timer slack).
 */
#define COALESCE_MIN_TIMERS	64
#define COALESCE_SLACK_NS	250000ull

static inline uint64_t slack(const struct ursa_timers *t)
{
	return t->nr >= COALESCE_MIN_TIMERS ? COALESCE_SLACK_NS : 0;
}

/* A new earliest timer: wake the sleeper if it would sleep past it
 * (lock held). */
static void rearm(struct ursa_ring *ring, struct ursa_timers *t)
{
	uint64_t want = t->nr ? t->heap[0].expires + slack(t) : 0;

	if (want && (!t->sleep_until || want < t->sleep_until)) {
		t->sleep_until = want;
		ursa_poll_wake_sleeper(ring);
	}
}

/* The sleeper asks how long it may sleep: 0 means no timer. */
uint64_t ursa_timers_next(struct ursa_ring *ring, uint64_t until)
{
	struct ursa_timers *t = __atomic_load_n(&ring->timers, __ATOMIC_ACQUIRE);
	uint64_t next;

	if (!t)
		return until;
	pthread_mutex_lock(&t->lock);
	next = t->nr ? t->heap[0].expires + slack(t) : 0;
	if (next && (!until || next < until))
		until = next;
	t->sleep_until = until ? until : UINT64_MAX;
	pthread_mutex_unlock(&t->lock);
	return until;
}

static struct ursa_timers *timers_get(struct ursa_ring *ring)
{
	struct ursa_timers *t = __atomic_load_n(&ring->timers, __ATOMIC_ACQUIRE);

	if (likely(t))
		return t;
	if (ursa_poll_ensure(ring))
		return NULL;
	pthread_mutex_lock(&ring->completion_lock);
	t = ring->timers;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t) {
			pthread_mutex_init(&t->lock, NULL);
			__atomic_store_n(&ring->timers, t, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&ring->completion_lock);
	return t;
}

int ursa_timer_add(struct ursa_ring *ring, struct ursa_timer *tm)
{
	struct ursa_timers *t = timers_get(ring);

	if (!t)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	if (t->nr == t->alloc) {
		unsigned n = t->alloc ? 2 * t->alloc : 64;
		struct heap_slot *h = realloc(t->heap, n * sizeof(*h));

		if (!h) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
		t->heap = h;
		t->alloc = n;
	}
	t->heap[t->nr].expires = tm->expires;
	t->heap[t->nr].tm = tm;
	tm->idx = t->nr++;
	atomic_store_explicit(&tm->state, T_QUEUED, memory_order_release);
	sift_up(t, tm->idx);
	if (tm->idx == 0)
		rearm(ring, t);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/*
 * Remove a queued timer.  Returns true if it was queued (its callback will
 * not run now); false if it was idle.  A firing timer is waited for until
 * its callback calls ursa_timer_done() or re-adds it.  Never call it from
 * the timer's own callback, nor while holding a lock that callback takes.
 */
bool ursa_timer_cancel(struct ursa_ring *ring, struct ursa_timer *tm)
{
	struct ursa_timers *t = __atomic_load_n(&ring->timers, __ATOMIC_ACQUIRE);

	if (!t)
		return false;
	for (;;) {
		int state;

		pthread_mutex_lock(&t->lock);
		state = atomic_load_explicit(&tm->state, memory_order_acquire);
		if (state == T_QUEUED) {
			heap_remove(t, tm->idx);
			atomic_store_explicit(&tm->state, T_IDLE, memory_order_relaxed);
			pthread_mutex_unlock(&t->lock);
			return true;
		}
		pthread_mutex_unlock(&t->lock);
		if (state != T_RUNNING)
			return false;
		sched_yield();
	}
}

/* A callback is done with its timer's exclusivity (see ursa_timer_cancel). */
void ursa_timer_done(struct ursa_timer *tm)
{
	atomic_store_explicit(&tm->state, T_IDLE, memory_order_release);
}

bool ursa_timer_firing(struct ursa_timer *tm)
{
	return atomic_load_explicit(&tm->state, memory_order_acquire) == T_RUNNING;
}

/* Move a queued timer to a new deadline; false if it was not queued. */
bool ursa_timer_modify(struct ursa_ring *ring, struct ursa_timer *tm,
		       uint64_t expires)
{
	struct ursa_timers *t = __atomic_load_n(&ring->timers, __ATOMIC_ACQUIRE);
	bool ok = false;

	if (!t)
		return false;
	pthread_mutex_lock(&t->lock);
	if (atomic_load_explicit(&tm->state, memory_order_relaxed) == T_QUEUED) {
		tm->expires = expires;
		t->heap[tm->idx].expires = expires;
		sift_down(t, tm->idx);
		sift_up(t, tm->idx);
		rearm(ring, t);
		ok = true;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/* The timerfd fired: run every due timer, outside the lock. */
void ursa_timers_run(struct ursa_ring *ring)
{
	struct ursa_timers *t = __atomic_load_n(&ring->timers, __ATOMIC_ACQUIRE);
	struct ursa_timer *due = NULL, *tm;
	uint64_t now;

	if (!t)
		return;
	now = ursa_now_ns();
	pthread_mutex_lock(&t->lock);
	if (!t->nr || t->heap[0].expires > now) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	while (t->nr && t->heap[0].expires <= now) {
		tm = t->heap[0].tm;
		heap_remove(t, 0);
		atomic_store_explicit(&tm->state, T_RUNNING, memory_order_relaxed);
		tm->next_due = due;
		due = tm;
	}
	pthread_mutex_unlock(&t->lock);

	/* Earliest first: the list was built in reverse. */
	{
		struct ursa_timer *rev = NULL;

		while ((tm = due)) {
			due = tm->next_due;
			tm->next_due = rev;
			rev = tm;
		}
		due = rev;
	}
	while ((tm = due)) {
		due = tm->next_due;
		/* Called RUNNING: the callback ends that with ursa_timer_done()
		 * or by re-adding the timer, before its memory may go. */
		tm->fn(tm);
	}
}

void ursa_timers_destroy(struct ursa_ring *ring)
{
	struct ursa_timers *t = ring->timers;

	if (!t)
		return;
	free(t->heap);
	pthread_mutex_destroy(&t->lock);
	free(t);
	ring->timers = NULL;
}

/* Pop every queued timer (teardown); the caller completes their owners. */
unsigned ursa_timers_drain(struct ursa_ring *ring, struct ursa_timer **out)
{
	struct ursa_timers *t = __atomic_load_n(&ring->timers, __ATOMIC_ACQUIRE);
	struct ursa_timer *list = NULL;
	unsigned n = 0;

	if (!t) {
		*out = NULL;
		return 0;
	}
	pthread_mutex_lock(&t->lock);
	while (t->nr) {
		struct ursa_timer *tm = t->heap[t->nr - 1].tm;

		t->nr--;
		atomic_store_explicit(&tm->state, T_IDLE, memory_order_relaxed);
		tm->next_due = list;
		list = tm;
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	*out = list;
	return n;
}
