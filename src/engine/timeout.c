/* SPDX-License-Identifier: MIT */
/*
 * IORING_OP_TIMEOUT, TIMEOUT_REMOVE (and updates), LINK_TIMEOUT.
 *
 * Ownership: an armed timeout is on ring->timeouts, under timeout_lock.
 * Whoever takes it off that list (its timer firing, a completion count
 * being reached, a remove, the guarded request of a link timeout finishing,
 * teardown) completes it; anyone else backs off.  A taker other than the
 * timer callback cancels the timer first (waiting out a callback that is
 * already running), so the request is never freed under a callback.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeout.h"
#include "cancel.h"
#include "timer.h"

#define TIMEOUT_FLAGS (IORING_TIMEOUT_ABS | IORING_TIMEOUT_CLOCK_MASK |	\
	IORING_TIMEOUT_ETIME_SUCCESS | IORING_TIMEOUT_MULTISHOT |		\
	IORING_TIMEOUT_IMMEDIATE_ARG)

struct timeout_op {
	struct ursa_timer	timer;
	uint64_t		interval;	/* ns: relative time (multishot period) */
	uint64_t		target;		/* CQEs to see, counted as cq_posted */
	struct ursa_req		*prev;		/* LINK_TIMEOUT: the guarded request */
	struct ursa_req		*tnext;		/* ring->timeouts, doubly linked */
	struct ursa_req		*tprev;
	uint32_t		flags;
	uint32_t		count;		/* sqe->off */
	uint32_t		repeats;	/* multishot: left; 0 = forever */
	bool			linked;
	bool			listed;
};

/* Update/remove request. */
struct timeout_rem {
	uint64_t		addr;		/* user_data of the target */
	uint64_t		ns;
	uint32_t		flags;
	bool			abs;
};

static inline struct timeout_op *top(struct ursa_req *req)
{
	return ursa_req_data(req, struct timeout_op);
}

static struct ursa_req *timer_req(struct ursa_timer *tm)
{
	return (struct ursa_req *)((char *)tm - offsetof(struct ursa_req, op));
}

/* Read a timespec (or the immediate value) into ns; -EFAULT / -EINVAL. */
static int read_time(uint64_t uptr_or_ns, bool immediate, uint64_t *ns)
{
	struct __kernel_timespec ts;

	if (immediate) {
		*ns = uptr_or_ns;
		return 0;
	}
	if (ursa_copy_from_user(&ts, (const void *)(uintptr_t)uptr_or_ns,
				sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0)
		return -EINVAL;
	*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

static int clock_of(uint32_t flags)
{
	if (flags & IORING_TIMEOUT_BOOTTIME)
		return CLOCK_BOOTTIME;
	if (flags & IORING_TIMEOUT_REALTIME)
		return CLOCK_REALTIME;
	return CLOCK_MONOTONIC;
}

/* Deadline on our monotonic timer base.  Absolute times on another clock
 * are converted once, at arming (a later change of the wall clock is not
 * followed). */
static uint64_t deadline_of(uint32_t flags, uint64_t ns)
{
	uint64_t now = ursa_now_ns();

	if (!(flags & IORING_TIMEOUT_ABS))
		return now + ns;
	if (clock_of(flags) != CLOCK_MONOTONIC) {
		struct timespec c;
		uint64_t cnow;

		clock_gettime(clock_of(flags), &c);
		cnow = (uint64_t)c.tv_sec * 1000000000ull + (uint64_t)c.tv_nsec;
		return ns > cnow ? now + (ns - cnow) : now;
	}
	return ns;
}

/* ------------------------------------------------------------------ list */

static bool counts(const struct timeout_op *t)
{
	return t->count && !t->linked && !(t->flags & IORING_TIMEOUT_MULTISHOT);
}

/* Publish whether any timeout waits for a completion count (read by the
 * CQE posting paths without the lock). */
static void recount_targets(struct ursa_ring *ring)
{
	__atomic_store_n(&ring->has_count_timeouts, ring->nr_count_timeouts != 0,
			 __ATOMIC_RELEASE);
}

static void list_add(struct ursa_ring *ring, struct ursa_req *req)
{
	struct timeout_op *t = top(req);

	t->tprev = NULL;
	t->tnext = ring->timeouts;
	if (ring->timeouts)
		top(ring->timeouts)->tprev = req;
	ring->timeouts = req;
	t->listed = true;
	if (counts(t))
		ring->nr_count_timeouts++;
}

static bool list_del(struct ursa_ring *ring, struct ursa_req *req)
{
	struct timeout_op *t = top(req);

	if (!t->listed)
		return false;
	if (t->tprev)
		top(t->tprev)->tnext = t->tnext;
	else
		ring->timeouts = t->tnext;
	if (t->tnext)
		top(t->tnext)->tprev = t->tprev;
	t->listed = false;
	if (counts(t))
		ring->nr_count_timeouts--;
	return true;
}

/* Post a timeout's CQE; it does not count towards other timeouts' counts. */
static void timeout_post(struct ursa_req *req, int res, uint32_t cflags)
{
	struct ursa_ring *ring = req->ring;

	pthread_mutex_lock(&ring->completion_lock);
	ring->cq_timeouts++;
	pthread_mutex_unlock(&ring->completion_lock);
	req->cflags = cflags;
	ursa_req_complete(req, res);
}

/* ------------------------------------------------------------------ firing */

static void timeout_fire(struct ursa_timer *tm)
{
	struct ursa_req *req = timer_req(tm);
	struct ursa_ring *ring = req->ring;
	struct timeout_op *t = top(req);
	int res = -ETIME;

	pthread_mutex_lock(&ring->timeout_lock);
	if (!t->listed) {
		/* Someone else took it; they complete it. */
		pthread_mutex_unlock(&ring->timeout_lock);
		ursa_timer_done(tm);
		return;
	}
	if ((t->flags & IORING_TIMEOUT_MULTISHOT) && t->repeats != 1) {
		/* Another period: post with F_MORE and stay armed. */
		if (t->repeats)
			t->repeats--;
		tm->expires += t->interval;
		pthread_mutex_unlock(&ring->timeout_lock);
		atomic_fetch_add(&ring->timeouts_fired, 1);
		pthread_mutex_lock(&ring->completion_lock);
		ring->cq_timeouts++;
		pthread_mutex_unlock(&ring->completion_lock);
		ursa_post_cqe(ring, req->user_data, -ETIME, IORING_CQE_F_MORE, NULL);
		if (ursa_timer_add(ring, tm)) {
			pthread_mutex_lock(&ring->timeout_lock);
			list_del(ring, req);
			pthread_mutex_unlock(&ring->timeout_lock);
			ursa_timer_done(tm);
			timeout_post(req, -ENOMEM, 0);
		}
		return;
	}
	list_del(ring, req);
	recount_targets(ring);
	pthread_mutex_unlock(&ring->timeout_lock);
	ursa_timer_done(tm);
	atomic_fetch_add(&ring->timeouts_fired, 1);
	/* ETIME_SUCCESS: still -ETIME, but not a failure for the link. */
	if (t->flags & IORING_TIMEOUT_ETIME_SUCCESS)
		req->flags |= REQ_F_NOFAIL;
	timeout_post(req, res, 0);
}

/*
 * A link timeout fired: cancel the request it guards.  The guarded request
 * cannot be freed while we hold timeout_lock (its completion takes the
 * lock to detach us first), so it is safe to look for it here.
 */
static void link_timeout_fire(struct ursa_timer *tm)
{
	struct ursa_req *lt = timer_req(tm);
	struct ursa_ring *ring = lt->ring;
	struct timeout_op *t = top(lt);
	struct ursa_req *prev;
	int removed, res;

	pthread_mutex_lock(&ring->timeout_lock);
	prev = t->prev;
	if (!prev || !t->listed) {
		pthread_mutex_unlock(&ring->timeout_lock);
		ursa_timer_done(tm);
		return;
	}
	list_del(ring, lt);
	t->prev = NULL;
	prev->link_timeout = NULL;
	removed = ursa_req_try_cancel(prev);
	pthread_mutex_unlock(&ring->timeout_lock);
	ursa_timer_done(tm);
	/*
	 * The timeout's result is the cancel's, as the kernel's
	 * (io_try_cancel ?: -ETIME): -ETIME when the request was stopped,
	 * -EALREADY when a worker runs it (interrupted, it ends by itself),
	 * -ENOENT when nothing can reach it (a driver holds it).
	 */
	if (removed == 1) {
		ursa_req_complete(prev, -ECANCELED);
		res = -ETIME;
	} else if (removed == 2) {
		res = -ETIME;
	} else if (removed == 0) {
		res = -EALREADY;
	} else {
		res = -ENOENT;
	}
	timeout_post(lt, res, 0);
}

/* ------------------------------------------------------------ TIMEOUT op */

static int timeout_prep_common(struct ursa_req *req,
			       const struct io_uring_sqe *sqe, bool linked)
{
	struct timeout_op *t = top(req);
	struct ursa_ring *ring = req->ring;
	uint64_t ns;
	int ret;

	memset(t, 0, sizeof(*t));
	if (sqe->buf_index || sqe->len != 1 || sqe->splice_fd_in)
		return -EINVAL;
	t->count = (uint32_t)sqe->off;
	if (t->count && linked)
		return -EINVAL;
	t->flags = sqe->timeout_flags;
	if (t->flags & ~TIMEOUT_FLAGS)
		return -EINVAL;
	if (__builtin_popcount(t->flags & IORING_TIMEOUT_CLOCK_MASK) > 1)
		return -EINVAL;
	if ((t->flags & IORING_TIMEOUT_MULTISHOT) && (t->flags & IORING_TIMEOUT_ABS))
		return -EINVAL;
	if (t->flags & IORING_TIMEOUT_MULTISHOT)
		t->repeats = t->count;
	ret = read_time(sqe->addr, t->flags & IORING_TIMEOUT_IMMEDIATE_ARG, &ns);
	if (ret)
		return ret;
	t->interval = ns;
	t->linked = linked;
	if (linked) {
		if (!ring->link_head)
			return -EINVAL;
		if (ring->link_last->opcode == IORING_OP_LINK_TIMEOUT)
			return -EINVAL;
		t->prev = ring->link_last;
	}
	return 0;
}

int ursa_timeout_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return timeout_prep_common(req, sqe, false);
}

int ursa_link_timeout_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return timeout_prep_common(req, sqe, true);
}

int ursa_timeout(struct ursa_req *req, unsigned issue_flags)
{
	struct ursa_ring *ring = req->ring;
	struct timeout_op *t = top(req);
	int ret;

	(void)issue_flags;
	t->timer.fn = timeout_fire;
	t->timer.expires = deadline_of(t->flags, t->interval);
	pthread_mutex_lock(&ring->timeout_lock);
	if (t->count && !(t->flags & IORING_TIMEOUT_MULTISHOT)) {
		/* Complete after count more CQEs (other timeouts' excluded). */
		pthread_mutex_lock(&ring->completion_lock);
		t->target = ring->cq_posted - ring->cq_timeouts + t->count;
		pthread_mutex_unlock(&ring->completion_lock);
	}
	list_add(ring, req);
	recount_targets(ring);
	ret = ursa_timer_add(ring, &t->timer);
	if (ret) {
		list_del(ring, req);
		recount_targets(ring);
	}
	pthread_mutex_unlock(&ring->timeout_lock);
	return ret ? ret : URSA_ISSUE_QUEUED;
}

/* Called after CQEs were posted while count timeouts exist. */
void ursa_timeouts_flush(struct ursa_ring *ring)
{
	struct ursa_req *done = NULL, *req, *next;
	uint64_t seen;

	pthread_mutex_lock(&ring->completion_lock);
	seen = ring->cq_posted - ring->cq_timeouts;
	pthread_mutex_unlock(&ring->completion_lock);

	pthread_mutex_lock(&ring->timeout_lock);
	for (req = ring->timeouts; req; req = next) {
		struct timeout_op *t = top(req);

		next = t->tnext;
		if (counts(t) && (int64_t)(seen - t->target) >= 0) {
			list_del(ring, req);
			t->tnext = done;
			done = req;
		}
	}
	recount_targets(ring);
	pthread_mutex_unlock(&ring->timeout_lock);

	while ((req = done)) {
		done = top(req)->tnext;
		ursa_timer_cancel(ring, &top(req)->timer);
		timeout_post(req, 0, 0);
	}
}

/* ------------------------------------------------------ TIMEOUT_REMOVE op */

int ursa_timeout_remove_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct timeout_rem *r = ursa_req_data(req, struct timeout_rem);
	int ret;

	memset(r, 0, sizeof(*r));
	if (req->flags & (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT))
		return -EINVAL;
	if (sqe->buf_index || sqe->len || sqe->splice_fd_in)
		return -EINVAL;
	r->addr = sqe->addr;
	r->flags = sqe->timeout_flags;
	if (r->flags & IORING_TIMEOUT_UPDATE_MASK) {
		if (__builtin_popcount(r->flags & IORING_TIMEOUT_CLOCK_MASK) > 1)
			return -EINVAL;
		if (r->flags & ~(IORING_TIMEOUT_UPDATE_MASK | IORING_TIMEOUT_ABS |
				 IORING_TIMEOUT_CLOCK_MASK |
				 IORING_TIMEOUT_IMMEDIATE_ARG))
			return -EINVAL;
		ret = read_time(sqe->addr2,
				r->flags & IORING_TIMEOUT_IMMEDIATE_ARG, &r->ns);
		if (ret)
			return ret;
	} else if (r->flags) {
		return -EINVAL;
	}
	return 0;
}

static struct ursa_req *find_timeout(struct ursa_ring *ring, uint64_t ud,
				     bool linked)
{
	struct ursa_req *t;

	for (t = ring->timeouts; t; t = top(t)->tnext)
		if (t->user_data == ud && top(t)->linked == linked)
			return t;
	return NULL;
}

int ursa_timeout_remove(struct ursa_req *req, unsigned issue_flags)
{
	struct timeout_rem *r = ursa_req_data(req, struct timeout_rem);
	struct ursa_ring *ring = req->ring;
	bool update = r->flags & IORING_TIMEOUT_UPDATE_MASK;
	bool linked = r->flags & IORING_LINK_TIMEOUT_UPDATE;
	struct ursa_req *t;

	(void)issue_flags;
	pthread_mutex_lock(&ring->timeout_lock);
	t = find_timeout(ring, r->addr, linked);
	if (!t) {
		pthread_mutex_unlock(&ring->timeout_lock);
		return -ENOENT;
	}
	if (update) {
		struct timeout_op *to = top(t);
		uint32_t keep = to->flags & ~(IORING_TIMEOUT_ABS |
					      IORING_TIMEOUT_CLOCK_MASK);
		bool ok;

		to->flags = keep | (r->flags & (IORING_TIMEOUT_ABS |
						IORING_TIMEOUT_CLOCK_MASK));
		to->interval = r->ns;
		ok = ursa_timer_modify(ring, &to->timer,
				       deadline_of(to->flags, r->ns));
		pthread_mutex_unlock(&ring->timeout_lock);
		return ok ? 0 : -EALREADY;
	}
	list_del(ring, t);
	recount_targets(ring);
	pthread_mutex_unlock(&ring->timeout_lock);
	ursa_timer_cancel(ring, &top(t)->timer);
	timeout_post(t, -ECANCELED, 0);
	return 0;
}

/* ----------------------------------------------------- link timeout hooks */

/* The guarded request is about to wait: start the clock. */
void ursa_link_timeout_arm(struct ursa_req *prev)
{
	struct ursa_ring *ring = prev->ring;
	struct ursa_req *lt;
	struct timeout_op *t;

	pthread_mutex_lock(&ring->timeout_lock);
	lt = prev->link_timeout;
	if (!lt || top(lt)->listed || top(lt)->prev != prev) {
		pthread_mutex_unlock(&ring->timeout_lock);
		return;
	}
	t = top(lt);
	t->timer.fn = link_timeout_fire;
	t->timer.expires = deadline_of(t->flags, t->interval);
	list_add(ring, lt);
	if (ursa_timer_add(ring, &t->timer))
		list_del(ring, lt);
	pthread_mutex_unlock(&ring->timeout_lock);
}

/* The guarded request finished (its CQE is posted): the link timeout is
 * cancelled, unless it fired and owns itself. */
void ursa_link_timeout_disarm(struct ursa_req *prev)
{
	struct ursa_ring *ring = prev->ring;
	struct ursa_req *lt;
	bool owned;

	pthread_mutex_lock(&ring->timeout_lock);
	lt = prev->link_timeout;
	prev->link_timeout = NULL;
	owned = lt && top(lt)->prev == prev;
	if (owned) {
		top(lt)->prev = NULL;
		list_del(ring, lt);
	}
	pthread_mutex_unlock(&ring->timeout_lock);
	if (!owned)
		return;
	ursa_timer_cancel(ring, &top(lt)->timer);
	timeout_post(lt, -ECANCELED, 0);
}

/* The guarded request failed before it ran (a failed chain): the link
 * timeout goes with it, -ECANCELED, never armed. */
int ursa_link_timeout(struct ursa_req *req, unsigned issue_flags)
{
	(void)req;
	(void)issue_flags;
	return -ECANCELED;
}

/* ------------------------------------------------------------ cancellation */

int ursa_timeout_cancel_match(struct ursa_ring *ring, struct ursa_cancel_data *cd)
{
	struct ursa_req *t;

	pthread_mutex_lock(&ring->timeout_lock);
	for (t = ring->timeouts; t; t = top(t)->tnext)
		if (!top(t)->linked && ursa_cancel_match(cd, t))
			break;
	if (t) {
		list_del(ring, t);
		recount_targets(ring);
	}
	pthread_mutex_unlock(&ring->timeout_lock);
	if (!t)
		return -ENOENT;
	ursa_timer_cancel(ring, &top(t)->timer);
	timeout_post(t, -ECANCELED, 0);
	return 0;
}

/* Teardown: every armed timeout completes with -ECANCELED. */
void ursa_timeouts_cancel_all(struct ursa_ring *ring)
{
	struct ursa_req *list, *t;

	pthread_mutex_lock(&ring->timeout_lock);
	list = ring->timeouts;
	ring->timeouts = NULL;
	ring->nr_count_timeouts = 0;
	for (t = list; t; t = top(t)->tnext) {
		top(t)->listed = false;
		if (top(t)->linked && top(t)->prev) {
			top(t)->prev->link_timeout = NULL;
			top(t)->prev = NULL;
		}
	}
	__atomic_store_n(&ring->has_count_timeouts, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ring->timeout_lock);
	while ((t = list)) {
		list = top(t)->tnext;
		ursa_timer_cancel(ring, &top(t)->timer);
		timeout_post(t, -ECANCELED, 0);
	}
}
