/* SPDX-License-Identifier: MIT */
/*
 * Timers: a binary min-heap per ring, driven by one timerfd in the ring's
 * epoll set (so the reactor thread, or a DEFER_TASKRUN task waiting in
 * enter, fires them).  Arming costs a heap insert, plus one timerfd_settime
 * only when the new timer becomes the earliest; expiry pops every due timer
 * in one wake-up.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "timer.h"
#include "poll.h"

enum { T_IDLE, T_QUEUED, T_RUNNING };

struct ursa_timers {
	pthread_mutex_t		lock;
	struct ursa_timer	**heap;
	unsigned		nr, alloc;
	int			tfd;
	uint64_t		armed;		/* what the timerfd is set to; 0: none */
};

uint64_t ursa_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void heap_swap(struct ursa_timers *t, unsigned a, unsigned b)
{
	struct ursa_timer *x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->heap[a]->idx = a;
	t->heap[b]->idx = b;
}

static void sift_up(struct ursa_timers *t, unsigned i)
{
	while (i) {
		unsigned p = (i - 1) / 2;

		if (t->heap[p]->expires <= t->heap[i]->expires)
			break;
		heap_swap(t, i, p);
		i = p;
	}
}

static void sift_down(struct ursa_timers *t, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->nr && t->heap[l]->expires < t->heap[m]->expires)
			m = l;
		if (r < t->nr && t->heap[r]->expires < t->heap[m]->expires)
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

static void heap_remove(struct ursa_timers *t, unsigned i)
{
	t->nr--;
	if (i != t->nr) {
		t->heap[i] = t->heap[t->nr];
		t->heap[i]->idx = i;
		sift_down(t, i);
		sift_up(t, i);
	}
}

/* Point the timerfd at the earliest deadline (lock held). */
static void rearm(struct ursa_timers *t)
{
	uint64_t want = t->nr ? t->heap[0]->expires : 0;
	struct itimerspec its;

	if (want == t->armed)
		return;
	memset(&its, 0, sizeof(its));
	if (want) {
		its.it_value.tv_sec = (time_t)(want / 1000000000ull);
		its.it_value.tv_nsec = (long)(want % 1000000000ull);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(t->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	t->armed = want;
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
			t->tfd = timerfd_create(CLOCK_MONOTONIC,
						TFD_CLOEXEC | TFD_NONBLOCK);
			if (t->tfd < 0 || ursa_poll_add_timerfd(ring, t->tfd)) {
				if (t->tfd >= 0)
					close(t->tfd);
				free(t);
				t = NULL;
			} else {
				pthread_mutex_init(&t->lock, NULL);
				__atomic_store_n(&ring->timers, t, __ATOMIC_RELEASE);
			}
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
		struct ursa_timer **h = realloc(t->heap, n * sizeof(*h));

		if (!h) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
		t->heap = h;
		t->alloc = n;
	}
	tm->idx = t->nr;
	t->heap[t->nr++] = tm;
	atomic_store_explicit(&tm->state, T_QUEUED, memory_order_release);
	sift_up(t, tm->idx);
	if (tm->idx == 0)
		rearm(t);
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
			rearm(t);
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
		sift_down(t, tm->idx);
		sift_up(t, tm->idx);
		rearm(t);
		ok = true;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/* The timerfd fired: run every due timer, outside the lock. */
void ursa_timers_run(struct ursa_ring *ring)
{
	struct ursa_timers *t = ring->timers;
	struct ursa_timer *due = NULL, *tm;
	uint64_t now, v;

	if (!t)
		return;
	if (read(t->tfd, &v, sizeof(v)) < 0) {
		/* not expired yet (rearmed meanwhile): check the heap anyway */
	}
	now = ursa_now_ns();
	pthread_mutex_lock(&t->lock);
	t->armed = 0;
	while (t->nr && t->heap[0]->expires <= now) {
		tm = t->heap[0];
		heap_remove(t, 0);
		atomic_store_explicit(&tm->state, T_RUNNING, memory_order_relaxed);
		tm->next_due = due;
		due = tm;
	}
	rearm(t);
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
	close(t->tfd);
	free(t->heap);
	pthread_mutex_destroy(&t->lock);
	free(t);
	ring->timers = NULL;
}

/* Pop every queued timer (teardown); the caller completes their owners. */
unsigned ursa_timers_drain(struct ursa_ring *ring, struct ursa_timer **out)
{
	struct ursa_timers *t = ring->timers;
	struct ursa_timer *list = NULL;
	unsigned n = 0;

	if (!t) {
		*out = NULL;
		return 0;
	}
	pthread_mutex_lock(&t->lock);
	while (t->nr) {
		struct ursa_timer *tm = t->heap[t->nr - 1];

		t->nr--;
		atomic_store_explicit(&tm->state, T_IDLE, memory_order_relaxed);
		tm->next_due = list;
		list = tm;
		n++;
	}
	rearm(t);
	pthread_mutex_unlock(&t->lock);
	*out = list;
	return n;
}
