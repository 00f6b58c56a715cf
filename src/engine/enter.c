/* SPDX-License-Identifier: MIT */
/*
 * io_uring_enter: submission, then waiting for completions with the
 * kernel's rules (min_complete, timeouts, min_wait, sigmask, -EINTR, -ETIME,
 * -EBADR).  Waiters sleep on a futex word that posters bump.
 */
#include <linux/futex.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "uring_cmd.h"
#include "poll.h"
#include "region.h"
#include "sqpoll.h"


int ursa_futex_wait(_Atomic unsigned *addr, unsigned val,
		    const struct timespec *abs_timeout, int clockid)
{
	int op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;

	if (clockid == CLOCK_REALTIME)
		op |= FUTEX_CLOCK_REALTIME;
	if (syscall(SYS_futex, addr, op, val, abs_timeout, NULL,
		    FUTEX_BITSET_MATCH_ANY) < 0)
		return -errno;
	return 0;
}

void ursa_futex_wake(_Atomic unsigned *addr, int nr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, nr, NULL,
		NULL, 0);
}

static void ts_add_ns(struct timespec *ts, uint64_t ns)
{
	ts->tv_sec += (time_t)(ns / 1000000000ull);
	ts->tv_nsec += (long)(ns % 1000000000ull);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}


struct wait_args {
	const sigset_t	*sigmask;
	bool		sigmask_bad;	/* wrong size: -EINVAL, once we would sleep */
	bool		has_deadline;
	struct timespec	deadline;	/* absolute, CLOCK_MONOTONIC */
	bool		has_min_wait;
	struct timespec	min_deadline;
};

/* IORING_ENTER_EXT_ARG_REG: the argument sits in the registered region
 * (region.c), at the byte offset passed as arg. */
static int ursa_reg_wait_arg(struct ursa_ring *ring, const void *arg,
			     size_t argsz, struct wait_args *w, unsigned flags)
{
	const struct io_uring_reg_wait *rw;
	struct timespec now;
	int err;

	if (argsz != sizeof(struct io_uring_reg_wait))
		return -EINVAL;
	rw = ursa_region_wait_arg(ring, (uintptr_t)arg, &err);
	if (!rw)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rw->flags & IORING_REG_WAIT_TS) {
		w->has_deadline = true;
		w->deadline = now;
		if (flags & IORING_ENTER_ABS_TIMER) {
			w->deadline.tv_sec = (time_t)rw->ts.tv_sec;
			w->deadline.tv_nsec = (long)rw->ts.tv_nsec;
		} else {
			ts_add_ns(&w->deadline, (uint64_t)rw->ts.tv_sec * 1000000000ull +
				  (uint64_t)rw->ts.tv_nsec);
		}
	}
	if (rw->min_wait_usec) {
		w->has_min_wait = true;
		w->min_deadline = now;
		ts_add_ns(&w->min_deadline, (uint64_t)rw->min_wait_usec * 1000);
	}
	if (rw->sigmask) {
		w->sigmask = (const sigset_t *)(uintptr_t)rw->sigmask;
		w->sigmask_bad = rw->sigmask_sz != 8;
	}
	return 0;
}

static int parse_wait_args(struct ursa_ring *ring, unsigned flags,
			   const void *arg, size_t argsz, struct wait_args *w)
{
	const struct io_uring_getevents_arg *ga;
	struct io_uring_getevents_arg gacopy;
	struct timespec now;

	memset(w, 0, sizeof(*w));
	if (!(flags & IORING_ENTER_EXT_ARG)) {
		if (arg) {
			w->sigmask = arg;
			w->sigmask_bad = argsz != 8;	/* the kernel's sigset_t */
		}
		return 0;
	}
	if (flags & IORING_ENTER_EXT_ARG_REG) {
		/* The kernel's IOPOLL wait takes no registered argument. */
		if (ring->setup_flags & IORING_SETUP_IOPOLL)
			return -EINVAL;
		return ursa_reg_wait_arg(ring, arg, argsz, w, flags);
	}
	if (argsz != sizeof(*ga))
		return -EINVAL;
	if (ursa_copy_from_user(&gacopy, arg, sizeof(gacopy)))
		return -EFAULT;
	ga = &gacopy;
	if (ga->sigmask) {
		w->sigmask = (const sigset_t *)(uintptr_t)ga->sigmask;
		w->sigmask_bad = ga->sigmask_sz != 8;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ga->ts) {
		const struct __kernel_timespec *kts =
			(const struct __kernel_timespec *)(uintptr_t)ga->ts;

		struct __kernel_timespec t;

		if (ursa_copy_from_user(&t, kts, sizeof(t)))
			return -EFAULT;
		w->has_deadline = true;
		if (flags & IORING_ENTER_ABS_TIMER) {
			/* An absolute time on the ring's clock, turned into
			 * CLOCK_MONOTONIC for the futex. */
			w->deadline = now;
			if (ring->clockid == CLOCK_MONOTONIC) {
				w->deadline.tv_sec = (time_t)t.tv_sec;
				w->deadline.tv_nsec = (long)t.tv_nsec;
			} else {
				struct timespec cnow;
				int64_t ns;

				clock_gettime(ring->clockid, &cnow);
				ns = ((int64_t)t.tv_sec - cnow.tv_sec) * 1000000000LL +
				     ((int64_t)t.tv_nsec - cnow.tv_nsec);
				if (ns > 0)
					ts_add_ns(&w->deadline, (uint64_t)ns);
			}
		} else {
			w->deadline = now;
			ts_add_ns(&w->deadline, (uint64_t)t.tv_sec * 1000000000ull +
				  (uint64_t)t.tv_nsec);
		}
	}
	if (ga->min_wait_usec) {
		w->has_min_wait = true;
		w->min_deadline = now;
		ts_add_ns(&w->min_deadline, (uint64_t)ga->min_wait_usec * 1000);
	}
	return 0;
}

/*
 * With a sigmask the wait must swap masks atomically with sleeping (so a
 * signal unblocked by the mask interrupts it with -EINTR): ppoll() on an
 * eventfd the posters write while anyone waits.
 */
static int wait_sigmask(struct ursa_ring *ring, const sigset_t *mask,
			const struct timespec *deadline)
{
	struct pollfd pfd;
	struct timespec now, rel, *relp = NULL;
	uint64_t v;
	int ret;

	if (ring->wait_evfd < 0) {
		pthread_mutex_lock(&ring->completion_lock);
		if (ring->wait_evfd < 0)
			ring->wait_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		pthread_mutex_unlock(&ring->completion_lock);
		if (ring->wait_evfd < 0)
			return -ENOMEM;
		return 0;	/* re-check the CQ before sleeping */
	}
	if (deadline) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!ts_before(&now, deadline))
			return -ETIMEDOUT;
		rel.tv_sec = deadline->tv_sec - now.tv_sec;
		rel.tv_nsec = deadline->tv_nsec - now.tv_nsec;
		if (rel.tv_nsec < 0) {
			rel.tv_sec--;
			rel.tv_nsec += 1000000000L;
		}
		relp = &rel;
	}
	pfd.fd = ring->wait_evfd;
	pfd.events = POLLIN;
	ret = ppoll(&pfd, 1, relp, mask);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	if (read(ring->wait_evfd, &v, sizeof(v)) < 0) {
		/* raced with another waiter draining it: fine */
	}
	return 0;
}

/* DEFER_TASKRUN: the waiting task runs the readiness work itself, sleeping
 * in epoll_pwait on the ring's set (workers and other posters write its
 * wake eventfd). */
static int wait_task_work(struct ursa_ring *ring, const sigset_t *mask,
			  const struct timespec *deadline)
{
	int64_t timeout_ns = -1;
	int ret;

	if (deadline) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		timeout_ns = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
			     (deadline->tv_nsec - now.tv_nsec);
		if (timeout_ns <= 0)
			return -ETIMEDOUT;
	}
	ret = ursa_poll_run(ring, timeout_ns, mask);
	if (ret == -EINTR)
		return -EINTR;
	if (deadline) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!ts_before(&now, deadline))
			return -ETIMEDOUT;
	}
	return 0;
}

int ursa_cq_wait(struct ursa_ring *ring, unsigned min_complete, unsigned flags,
		 const void *arg, size_t argsz)
{
	struct wait_args w;
	unsigned target = min_complete;
	bool min_phase, defer;
	unsigned fired;
	int ret;

	ret = parse_wait_args(ring, flags, arg, argsz, &w);
	if (ret)
		return ret;
	if ((ring->setup_flags & IORING_SETUP_DEFER_TASKRUN) &&
	    ring->submitter_tid && ring->submitter_tid != ursa_gettid())
		return -EEXIST;
	if (target > ring->cq_entries)
		target = ring->cq_entries;

	defer = (ring->setup_flags & IORING_SETUP_DEFER_TASKRUN) &&
		__atomic_load_n(&ring->reactor, __ATOMIC_ACQUIRE);
	if (defer)
		ursa_poll_run(ring, 0, NULL);	/* the task's pending work */
	ursa_flush_overflow(ring);
	if (ursa_cq_ready(ring) >= target)
		return 0;

	/* The kernel checks the sigmask only when it is about to sleep. */
	if (w.sigmask_bad)
		return -EINVAL;
	if (w.sigmask) {
		sigset_t copy;

		if (ursa_copy_from_user(&copy, w.sigmask, 8))
			return -EFAULT;
	}
	min_phase = w.has_min_wait;
	ret = 0;
	fired = atomic_load(&ring->timeouts_fired);
	atomic_fetch_add_explicit(&ring->cq_waiters, 1, memory_order_seq_cst);
	for (;;) {
		const struct timespec *dl;
		unsigned seq;

		seq = atomic_load_explicit(&ring->cq_wait_seq, memory_order_acquire);
		atomic_thread_fence(memory_order_seq_cst);
		ursa_flush_overflow(ring);
		if (ursa_cq_ready(ring) >= target)
			break;
		/* An IORING_OP_TIMEOUT that fired ends the wait early. */
		if (atomic_load(&ring->timeouts_fired) != fired)
			break;
		if (ring->cq_dropped) {
			ring->cq_dropped = false;
			ret = -EBADR;
			break;
		}
		dl = w.has_deadline ? &w.deadline : NULL;
		/* IOPOLL: completions of polled commands are found by polling
		 * them, here, instead of sleeping (io_iopoll_check). */
		if (unlikely(ring->setup_flags & IORING_SETUP_IOPOLL) &&
		    ursa_uring_cmd_iopoll(ring)) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (dl && !ts_before(&now, dl)) {
				ret = -ETIME;
				break;
			}
			continue;
		}
		if (min_phase && (!dl || ts_before(&w.min_deadline, dl)))
			dl = &w.min_deadline;
		else
			min_phase = false;
		/* The reactor may have come since (a driver's task work). */
		if (!defer && (ring->setup_flags & IORING_SETUP_DEFER_TASKRUN))
			defer = __atomic_load_n(&ring->reactor, __ATOMIC_ACQUIRE);
		if (defer)
			ret = wait_task_work(ring, w.sigmask, dl);
		else if (w.sigmask)
			ret = wait_sigmask(ring, w.sigmask, dl);
		else
			ret = ursa_futex_wait(&ring->cq_wait_seq, seq, dl,
					      CLOCK_MONOTONIC);
		if (ret == -ETIMEDOUT) {
			if (min_phase) {
				/* min_wait over: any CQE is enough now. */
				min_phase = false;
				target = 1;
				ret = 0;
				continue;
			}
			ret = -ETIME;
			break;
		}
		if (ret == -EINTR)
			break;
		ret = 0;
	}
	atomic_fetch_sub_explicit(&ring->cq_waiters, 1, memory_order_relaxed);
	/* The kernel reports success whenever the CQ holds something. */
	if (ret && ursa_cq_ready(ring))
		ret = 0;
	return ret;
}

int ursa_ring_enter(struct ursa_ring *ring, unsigned to_submit,
		    unsigned min_complete, unsigned flags, const void *arg,
		    size_t argsz)
{
	int ret = 0, ret2;

	if (unlikely(flags & ~URSA_ENTER_FLAGS))
		return -EINVAL;
	if (unlikely(!ring->enabled))
		return -EBADFD;

	if (ring->sqpoll) {
		if (flags & IORING_ENTER_SQ_WAKEUP)
			ursa_sqpoll_wake(ring);
		if (flags & IORING_ENTER_SQ_WAIT) {
			ret2 = ursa_sqpoll_wait_sq(ring);
			if (ret2)
				return ret2;
		}
		ret = (int)to_submit;
	} else if (to_submit) {
		if (ring->submitter_tid && ring->submitter_tid != ursa_gettid())
			return -EEXIST;
		ursa_thread_mark_ctx();
		ursa_uring_lock(ring);
		ret = ursa_submit_sqes(ring, to_submit);
		ursa_uring_unlock(ring);
		if ((unsigned)ret != to_submit)
			return ret;
	}
	if (flags & IORING_ENTER_GETEVENTS) {
		ret2 = ursa_cq_wait(ring, min_complete, flags, arg, argsz);
		if (!ret)
			ret = ret2;
	}
	return ret;
}
