/* SPDX-License-Identifier: MIT */
/*
 * IORING_SETUP_SQPOLL: a thread consumes the SQ as the application fills
 * it.  After sq_thread_idle milliseconds without work it sets
 * IORING_SQ_NEED_WAKEUP and sleeps until io_uring_enter(SQ_WAKEUP).
 */
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "sqpoll.h"

struct ursa_sqpoll {
	pthread_t		thread;
	_Atomic unsigned	wake_seq;	/* futex: SQ_WAKEUP */
	_Atomic unsigned	space_seq;	/* futex: SQ entries consumed */
	_Atomic unsigned	space_waiters;
	_Atomic bool		stop;
	int			cpu;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool sq_has_work(struct ursa_ring *ring)
{
	return atomic_load_explicit(ring->sq_tail, memory_order_acquire) !=
	       ring->cached_sq_head;
}

static void *sqpoll_main(void *arg)
{
	struct ursa_ring *ring = arg;
	struct ursa_sqpoll *sq = ring->sqpoll;
	uint64_t last = now_ms();
	unsigned spins = 0;
	sigset_t set;

	sigfillset(&set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	if (sq->cpu >= 0) {
		cpu_set_t cpus;

		CPU_ZERO(&cpus);
		CPU_SET(sq->cpu, &cpus);
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	}
	while (!atomic_load(&sq->stop)) {
		if (ring->enabled && sq_has_work(ring)) {
			pthread_mutex_lock(&ring->uring_lock);
			ursa_submit_sqes(ring, ring->sq_entries);
			pthread_mutex_unlock(&ring->uring_lock);
			if (atomic_load(&sq->space_waiters)) {
				atomic_fetch_add(&sq->space_seq, 1);
				ursa_futex_wake(&sq->space_seq, INT_MAX);
			}
			last = now_ms();
			spins = 0;
			continue;
		}
		if (now_ms() - last < ring->sq_thread_idle_ms) {
			if (++spins % 64 == 0)
				sched_yield();
			else
				__builtin_ia32_pause();
			continue;
		}
		{
			unsigned seq = atomic_load(&sq->wake_seq);

			atomic_fetch_or(ring->sq_flags, IORING_SQ_NEED_WAKEUP);
			atomic_thread_fence(memory_order_seq_cst);
			if (!sq_has_work(ring) && !atomic_load(&sq->stop))
				ursa_futex_wait(&sq->wake_seq, seq, NULL,
						CLOCK_MONOTONIC);
			atomic_fetch_and(ring->sq_flags, ~IORING_SQ_NEED_WAKEUP);
			last = now_ms();
		}
	}
	return NULL;
}

int ursa_sqpoll_create(struct ursa_ring *ring, const struct io_uring_params *p)
{
	struct ursa_sqpoll *sq = calloc(1, sizeof(*sq));
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (!sq)
		return -ENOMEM;
	sq->cpu = -1;
	if (p->flags & IORING_SETUP_SQ_AFF) {
		if ((long)p->sq_thread_cpu >= ncpu) {
			free(sq);
			return -EINVAL;
		}
		sq->cpu = (int)p->sq_thread_cpu;
	}
	ring->sqpoll = sq;
	if (pthread_create(&sq->thread, NULL, sqpoll_main, ring) != 0) {
		ring->sqpoll = NULL;
		free(sq);
		return -ENOMEM;
	}
	return 0;
}

void ursa_sqpoll_wake(struct ursa_ring *ring)
{
	struct ursa_sqpoll *sq = ring->sqpoll;

	atomic_fetch_add(&sq->wake_seq, 1);
	ursa_futex_wake(&sq->wake_seq, 1);
}

void ursa_sqpoll_destroy(struct ursa_ring *ring)
{
	struct ursa_sqpoll *sq = ring->sqpoll;

	atomic_store(&sq->stop, true);
	ursa_sqpoll_wake(ring);
	pthread_join(sq->thread, NULL);
	free(sq);
	ring->sqpoll = NULL;
}

/* IORING_ENTER_SQ_WAIT: return once the SQ has a free entry. */
int ursa_sqpoll_wait_sq(struct ursa_ring *ring)
{
	struct ursa_sqpoll *sq = ring->sqpoll;
	int ret = 0;

	atomic_fetch_add(&sq->space_waiters, 1);
	for (;;) {
		unsigned seq = atomic_load(&sq->space_seq);
		unsigned used = atomic_load_explicit(ring->sq_tail, memory_order_acquire) -
				atomic_load_explicit(ring->sq_head, memory_order_acquire);

		if (used < ring->sq_entries)
			break;
		/* As the kernel: waiting for room does not wake a sleeping
		 * poller; the application sets IORING_ENTER_SQ_WAKEUP. */
		ret = ursa_futex_wait(&sq->space_seq, seq, NULL, CLOCK_MONOTONIC);
		if (ret == -EINTR)
			break;
		ret = 0;
	}
	atomic_fetch_sub(&sq->space_waiters, 1);
	return ret;
}
