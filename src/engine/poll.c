/* SPDX-License-Identifier: MIT */
/*
 * Readiness waits through epoll.  Each ring has one epoll set and a reactor
 * thread, created on the first wait.  Every fd with waiting requests has an
 * entry (fd number -> waiters) registered level-triggered with the union of
 * its waiters' interests; when it fires, the ready waiters are re-issued on
 * the reactor thread.  The registration stays: a multishot receive that
 * parks again after each batch, or the next one-shot request on the fd,
 * finds it armed and costs no epoll_ctl.  Level-triggered, so a request
 * that parks after partial progress (data still queued) is woken at once,
 * never lost.  An event that finds no waiter for it (the requests finished
 * or went) narrows the registration, or drops it (EPOLL_CTL_DEL: error and
 * hang-up events cannot be masked, so a silent registration would spin).
 *
 * Known limit: the registration names the fd number.  If the application
 * closes an fd that requests are waiting on and the number is reused, the
 * kernel would keep the old file alive for those requests; here they stay
 * parked until cancelled (teardown cancels them).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "poll.h"
#include "timer.h"
#include "cancel.h"

#define NR_BUCKETS	256

struct poll_waiter_list {
	struct ursa_req *head, **tail;
};

struct poll_entry {
	struct poll_entry	*hnext;
	int			fd;
	bool			registered;	/* in the epoll set (maybe disarmed) */
	uint32_t		armed;		/* epoll events currently armed */
	struct ursa_req		*persist;	/* just woken: may park again free */
	uint64_t		persist_seq;	/* ... if still that request (seq) */
	struct ursa_req		*waiters;	/* FIFO via req->next */
	struct ursa_req		**wtail;
};

struct ursa_reactor {
	int			epfd;
	int			wakefd;
	int			etfd;		/* POLL_ADD set (nested), or -1 */
	struct poll_entry	*pbuckets[NR_BUCKETS];	/* POLL_ADD waiters */
	pthread_t		thread;
	bool			has_thread;
	pthread_mutex_t		lock;
	bool			exiting;
	struct poll_entry	*buckets[NR_BUCKETS];
};

/* The interest of a waiting request is kept in its file_node-free slot:
 * req->cflags is unused until completion, so it carries the events. */
static inline unsigned req_events(const struct ursa_req *req)
{
	return req->cflags;
}

static struct poll_entry *bucket_find(struct poll_entry **buckets, int fd,
				      bool create)
{
	struct poll_entry **pp = &buckets[(unsigned)fd % NR_BUCKETS], *e;

	for (e = *pp; e; e = e->hnext)
		if (e->fd == fd)
			return e;
	if (!create)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fd = fd;
	e->wtail = &e->waiters;
	e->hnext = *pp;
	*pp = e;
	return e;
}

static struct poll_entry *entry_find(struct ursa_reactor *r, int fd, bool create)
{
	return bucket_find(r->buckets, fd, create);
}

static uint32_t wanted_events(const struct poll_entry *e)
{
	const struct ursa_req *req;
	uint32_t ev = 0;

	for (req = e->waiters; req; req = req->next) {
		if (req_events(req) & URSA_POLL_IN)
			ev |= EPOLLIN | EPOLLRDHUP;
		if (req_events(req) & URSA_POLL_OUT)
			ev |= EPOLLOUT;
	}
	return ev;
}

/*
 * Arm e for its waiters (req just joined them), keeping what is armed
 * already (a superset only costs a spurious wake-up, narrowed then); r->lock
 * held.  The registration names an fd number, which the application may have
 * closed and reused since we last touched it (epoll then dropped it): so
 * only the request the last event woke, parking again at once, trusts it
 * without a syscall; anyone else re-registers (MOD, or ADD if it was gone).
 */
static int entry_arm(struct ursa_reactor *r, struct poll_entry *e,
		     const struct ursa_req *req)
{
	struct epoll_event ev;
	uint32_t want = wanted_events(e);
	/* (The pointer alone could be a recycled request.) */
	bool trusted = req && req == e->persist && req->seq == e->persist_seq;
	int ret;

	e->persist = NULL;
	if (!want)
		return 0;
	if (e->registered && trusted && !(want & ~e->armed))
		return 0;
	if (e->registered)
		want |= e->armed;
	ev.events = want;
	ev.data.u64 = (uint64_t)(unsigned)e->fd;
	ret = epoll_ctl(r->epfd, e->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			e->fd, &ev);
	if (ret < 0 && errno == ENOENT)
		ret = epoll_ctl(r->epfd, EPOLL_CTL_ADD, e->fd, &ev);
	else if (ret < 0 && errno == EEXIST)
		ret = epoll_ctl(r->epfd, EPOLL_CTL_MOD, e->fd, &ev);
	if (ret < 0)
		return -errno;
	e->registered = true;
	e->armed = want;
	return 0;
}

static void poll_ops_dispatch(struct ursa_ring *ring, struct ursa_reactor *r);

/* An event nobody waits for: arm only what the waiters want, or leave the
 * set (r->lock held). */
static void entry_narrow(struct ursa_reactor *r, struct poll_entry *e)
{
	uint32_t want = wanted_events(e);
	struct epoll_event ev;

	if (!e->registered || want == e->armed)
		return;
	if (!want) {
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, e->fd, NULL);
		e->registered = false;
		e->armed = 0;
		return;
	}
	ev.events = want;
	ev.data.u64 = (uint64_t)(unsigned)e->fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, e->fd, &ev) == 0)
		e->armed = want;
}

/* Handle one batch of epoll events: re-issue the waiters that are ready.
 * Returns false when the reactor is told to exit. */
static bool reactor_dispatch(struct ursa_ring *ring, struct ursa_reactor *r,
			     struct epoll_event *evs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64;
		uint32_t got = evs[i].events;
		struct ursa_req *ready = NULL, **rtail = &ready, *req, **pp;
		struct poll_entry *e;

		if (fd == r->etfd) {
			poll_ops_dispatch(ring, r);
			continue;
		}
		if (fd == r->wakefd) {
			uint64_t v;
			bool exiting;

			if (read(r->wakefd, &v, sizeof(v)) < 0) {
				/* spurious: nothing to drain */
			}
			pthread_mutex_lock(&r->lock);
			exiting = r->exiting;
			pthread_mutex_unlock(&r->lock);
			if (exiting)
				return false;
			continue;
		}
		pthread_mutex_lock(&r->lock);
		e = entry_find(r, fd, false);
		if (!e) {
			pthread_mutex_unlock(&r->lock);
			continue;
		}
		/* Errors and hang-ups wake everyone: the retry reports. */
		for (pp = &e->waiters; (req = *pp);) {
			unsigned want = req_events(req);
			bool go = (got & (EPOLLERR | EPOLLHUP)) ||
				  ((want & URSA_POLL_IN) &&
				   (got & (EPOLLIN | EPOLLRDHUP))) ||
				  ((want & URSA_POLL_OUT) && (got & EPOLLOUT));
			if (!go) {
				pp = &req->next;
				continue;
			}
			*pp = req->next;
			req->next = NULL;
			*rtail = req;
			rtail = &req->next;
		}
		e->wtail = &e->waiters;
		for (req = e->waiters; req; req = req->next)
			e->wtail = &req->next;
		if (!ready)
			entry_narrow(r, e);
		e->persist = ready;	/* the first may park again for free */
		if (ready)
			e->persist_seq = ready->seq;
		pthread_mutex_unlock(&r->lock);

		while ((req = ready)) {
			ready = req->next;
			req->next = NULL;
			req->cflags = 0;
			ursa_req_reissue(req, URSA_ISSUE_NONBLOCK);
		}
	}
	return true;
}

/*
 * Wait up to timeout_ns (-1: no limit) for readiness or the next timer and
 * handle what is due; with sigmask the wait is epoll_pwait2's (atomic mask
 * swap).  Used by the reactor thread and, on DEFER_TASKRUN rings, by the
 * task waiting in io_uring_enter.  Returns 0, -EINTR, or -ECANCELED when
 * the reactor is exiting.
 */
int ursa_poll_run(struct ursa_ring *ring, int64_t timeout_ns,
		  const sigset_t *sigmask)
{
	struct ursa_reactor *r = ring->reactor;
	struct epoll_event evs[64];
	struct timespec ts, *tsp = NULL;
	uint64_t now = 0, until = 0;
	int n;
	bool more;

	/* Sleep no longer than the caller wants nor past the next timer. */
	if (timeout_ns >= 0) {
		now = ursa_now_ns();
		until = now + (uint64_t)timeout_ns;
		if (!until)
			until = 1;
	}
	until = ursa_timers_next(ring, until);
	if (until) {
		uint64_t rel;

		if (!now)
			now = ursa_now_ns();
		rel = until > now ? until - now : 0;
		ts.tv_sec = (time_t)(rel / 1000000000ull);
		ts.tv_nsec = (long)(rel % 1000000000ull);
		tsp = &ts;
	}
	n = epoll_pwait2(r->epfd, evs, 64, tsp, sigmask);
	if (n < 0)
		return errno == EINTR ? -EINTR : 0;
	ursa_wake_batch_begin(ring);
	ursa_timers_run(ring);
	more = reactor_dispatch(ring, r, evs, n);
	ursa_wake_batch_end(ring);
	return more ? 0 : -ECANCELED;
}

static void *reactor_main(void *arg)
{
	struct ursa_ring *ring = arg;
	sigset_t set;

	sigfillset(&set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	while (ursa_poll_run(ring, -1, NULL) != -ECANCELED)
		;
	return NULL;
}

/* Wake a task blocked in ursa_poll_run (a DEFER_TASKRUN waiter). */
void ursa_poll_wake(struct ursa_ring *ring)
{
	struct ursa_reactor *r = __atomic_load_n(&ring->reactor, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	if (r && write(r->wakefd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow here */
	}
}

static int etfd_ensure(struct ursa_reactor *r);

static int reactor_create(struct ursa_ring *ring)
{
	struct ursa_reactor *r = calloc(1, sizeof(*r));
	struct epoll_event ev;

	if (!r)
		return -ENOMEM;
	r->etfd = -1;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->epfd < 0 || r->wakefd < 0)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)(unsigned)r->wakefd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->wakefd, &ev) < 0)
		goto fail;
	/* The POLL_ADD set exists from the start: the reactor reads etfd
	 * without the lock. */
	if (etfd_ensure(r))
		goto fail;
	pthread_mutex_init(&r->lock, NULL);
	/* DEFER_TASKRUN: readiness is handled by the task when it waits in
	 * io_uring_enter (GETEVENTS), as the kernel runs its task work then;
	 * no reactor thread, no hand-off between threads. */
	r->has_thread = !(ring->setup_flags & IORING_SETUP_DEFER_TASKRUN);
	__atomic_store_n(&ring->reactor, r, __ATOMIC_RELEASE);
	if (r->has_thread &&
	    pthread_create(&r->thread, NULL, reactor_main, ring) != 0) {
		__atomic_store_n(&ring->reactor, NULL, __ATOMIC_RELEASE);
		pthread_mutex_destroy(&r->lock);
		goto fail;
	}
	return 0;
fail:
	if (r->etfd >= 0)
		close(r->etfd);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->wakefd >= 0)
		close(r->wakefd);
	free(r);
	return -ENOMEM;
}

/* The ring's reactor, created on first use. */
int ursa_poll_ensure(struct ursa_ring *ring)
{
	int ret = 0;

	if (likely(__atomic_load_n(&ring->reactor, __ATOMIC_ACQUIRE)))
		return 0;
	pthread_mutex_lock(&ring->completion_lock);
	if (!ring->reactor)
		ret = reactor_create(ring);
	pthread_mutex_unlock(&ring->completion_lock);
	/* DEFER_TASKRUN: a task already waiting sleeps on the futex, not
	 * in the reactor it did not have; wake it to run the work here. */
	if (!ret && (ring->setup_flags & IORING_SETUP_DEFER_TASKRUN))
		ursa_cq_wake(ring);
	return ret;
}

/* A timer became due earlier than the sleeper planned: wake it to
 * recompute (a write to the reactor's eventfd). */
void ursa_poll_wake_sleeper(struct ursa_ring *ring)
{
	ursa_poll_wake(ring);
}

/* Take a parked request off its fd's waiters (cancellation).  True if it
 * was there: the caller completes it. */
bool ursa_poll_remove(struct ursa_req *req)
{
	struct ursa_reactor *r = __atomic_load_n(&req->ring->reactor,
						 __ATOMIC_ACQUIRE);
	struct poll_entry *e;
	struct ursa_req **pp;
	bool found = false;

	if (!r)
		return false;
	pthread_mutex_lock(&r->lock);
	e = entry_find(r, req->fd, false);
	if (e) {
		for (pp = &e->waiters; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				req->next = NULL;
				found = true;
				break;
			}
		}
		e->wtail = &e->waiters;
		for (struct ursa_req *w = e->waiters; w; w = w->next)
			e->wtail = &w->next;
	}
	pthread_mutex_unlock(&r->lock);
	if (found)
		req->cflags = 0;
	return found;
}

/* Cancel by criteria: the first matching parked request gets -ECANCELED. */
int ursa_poll_cancel_match(struct ursa_ring *ring, struct ursa_cancel_data *cd)
{
	struct ursa_reactor *r = __atomic_load_n(&ring->reactor, __ATOMIC_ACQUIRE);
	struct ursa_req *found = NULL;
	int b;

	if (!r)
		return -ENOENT;
	pthread_mutex_lock(&r->lock);
	for (b = 0; b < 2 * NR_BUCKETS && !found; b++) {
		struct poll_entry *e = b < NR_BUCKETS ? r->buckets[b] :
				       r->pbuckets[b - NR_BUCKETS];

		for (; e && !found; e = e->hnext) {
			struct ursa_req **pp;

			for (pp = &e->waiters; *pp; pp = &(*pp)->next) {
				if (ursa_cancel_match(cd, *pp)) {
					found = *pp;
					*pp = found->next;
					found->next = NULL;
					break;
				}
			}
			if (found) {
				e->wtail = &e->waiters;
				for (struct ursa_req *w = e->waiters; w; w = w->next)
					e->wtail = &w->next;
			}
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (!found)
		return -ENOENT;
	found->cflags = 0;
	ursa_req_complete(found, -ECANCELED);
	return 0;
}

int ursa_poll_arm(struct ursa_req *req, unsigned events)
{
	struct ursa_ring *ring = req->ring;
	struct ursa_reactor *r;
	struct poll_entry *e;
	int ret;

	ret = ursa_poll_ensure(ring);
	if (ret)
		return ret;
	r = ring->reactor;
	pthread_mutex_lock(&r->lock);
	if (r->exiting) {
		pthread_mutex_unlock(&r->lock);
		return -ECANCELED;
	}
	e = entry_find(r, req->fd, true);
	if (!e) {
		pthread_mutex_unlock(&r->lock);
		return -ENOMEM;
	}
	req->cflags = events;
	req->flags |= REQ_F_POLLED;
	req->next = NULL;
	*e->wtail = req;
	e->wtail = &req->next;
	ret = entry_arm(r, e, req);
	/* Cancelled while being parked (a link timeout fired): take it back;
	 * the canceller looked under this lock before or sees the flag. */
	if (!ret && atomic_load(&req->cancel))
		ret = -ECANCELED;
	if (ret) {
		/* Not pollable (regular file: EPERM): take it back. */
		struct ursa_req **pp;

		for (pp = &e->waiters; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				break;
			}
		}
		e->wtail = &e->waiters;
		for (struct ursa_req *w = e->waiters; w; w = w->next)
			e->wtail = &w->next;
		req->next = NULL;
		req->cflags = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void ursa_poll_cancel_all(struct ursa_ring *ring)
{
	struct ursa_reactor *r = ring->reactor;
	struct ursa_req *all = NULL, *req;
	int b;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->exiting = true;
	for (b = 0; b < NR_BUCKETS; b++) {
		struct poll_entry *e;

		for (e = r->buckets[b]; e; e = e->hnext) {
			while ((req = e->waiters)) {
				e->waiters = req->next;
				req->next = all;
				all = req;
			}
			e->wtail = &e->waiters;
		}
		for (e = r->pbuckets[b]; e; e = e->hnext) {
			while ((req = e->waiters)) {
				e->waiters = req->next;
				req->next = all;
				all = req;
			}
			e->wtail = &e->waiters;
		}
	}
	pthread_mutex_unlock(&r->lock);
	while ((req = all)) {
		all = req->next;
		req->next = NULL;
		req->cflags = 0;
		ursa_req_complete(req, -ECANCELED);
	}
}

void ursa_poll_destroy(struct ursa_ring *ring)
{
	struct ursa_reactor *r = ring->reactor;
	uint64_t one = 1;
	int b;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->exiting = true;
	pthread_mutex_unlock(&r->lock);
	if (write(r->wakefd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow here */
	}
	if (r->has_thread)
		pthread_join(r->thread, NULL);
	for (b = 0; b < NR_BUCKETS; b++) {
		struct poll_entry *e, *next;

		for (e = r->buckets[b]; e; e = next) {
			next = e->hnext;
			free(e);
		}
	}
	for (b = 0; b < NR_BUCKETS; b++) {
		struct poll_entry *e, *next;

		for (e = r->pbuckets[b]; e; e = next) {
			next = e->hnext;
			free(e);
		}
	}
	if (r->etfd >= 0)
		close(r->etfd);
	close(r->epfd);
	close(r->wakefd);
	pthread_mutex_destroy(&r->lock);
	free(r);
	ring->reactor = NULL;
}

/* ---------------------------------------------------------- POLL_ADD/REMOVE */

/*
 * IORING_OP_POLL_ADD waits on a second epoll set nested in the ring's: its
 * registrations are edge-triggered (the kernel's poll requests are, unless
 * IORING_POLL_ADD_LEVEL), persistent for multishot, and name the union of
 * the waiters' events.  A registration goes when its last waiter does.
 */
struct poll_op {
	uint32_t	events;		/* epoll/poll mask asked for */
	bool		multi;
	bool		level;
};

struct poll_update {
	uint64_t	old_ud;
	uint64_t	new_ud;
	uint32_t	events;
	bool		upd_events, upd_ud, multi;
};

static inline struct poll_op *pop_of(struct ursa_req *req)
{
	return ursa_req_data(req, struct poll_op);
}

static uint32_t poll_entry_events(const struct poll_entry *e, bool *level)
{
	const struct ursa_req *req;
	uint32_t ev = 0;

	*level = false;
	for (req = e->waiters; req; req = req->next) {
		const struct poll_op *p = (const struct poll_op *)req->op.bytes;

		ev |= p->events;
		if (p->level)
			*level = true;
	}
	return ev;
}

/* (Re)register e in the POLL_ADD set; removes it when nobody waits. */
static int poll_entry_sync(struct ursa_reactor *r, struct poll_entry *e)
{
	struct epoll_event ev;
	bool level;
	uint32_t want = poll_entry_events(e, &level);
	int ret;

	if (!want && !e->waiters) {
		if (e->armed)
			epoll_ctl(r->etfd, EPOLL_CTL_DEL, e->fd, NULL);
		e->armed = 0;
		return 0;
	}
	ev.events = want | (level ? 0 : EPOLLET);
	ev.data.u64 = (uint64_t)(unsigned)e->fd;
	/* Unchanged: leave it.  A MOD re-checks readiness and would report
	 * an edge-triggered event again. */
	if (e->armed == (ev.events | 1u))
		return 0;
	ret = epoll_ctl(r->etfd, e->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			e->fd, &ev);
	if (ret < 0 && errno == EEXIST)
		ret = epoll_ctl(r->etfd, EPOLL_CTL_MOD, e->fd, &ev);
	else if (ret < 0 && errno == ENOENT)
		ret = epoll_ctl(r->etfd, EPOLL_CTL_ADD, e->fd, &ev);
	if (ret < 0)
		return -errno;
	e->armed = ev.events | 1u;	/* non-zero: registered */
	return 0;
}

static int etfd_ensure(struct ursa_reactor *r)
{
	struct epoll_event ev;

	if (r->etfd >= 0)
		return 0;
	r->etfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->etfd < 0)
		return -errno;
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)(unsigned)r->etfd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->etfd, &ev) < 0) {
		close(r->etfd);
		r->etfd = -1;
		return -errno;
	}
	return 0;
}

static void list_retail(struct poll_entry *e)
{
	struct ursa_req *w;

	e->wtail = &e->waiters;
	for (w = e->waiters; w; w = w->next)
		e->wtail = &w->next;
}

/* Park a POLL_ADD request (r->lock held). */
static int poll_op_park(struct ursa_reactor *r, struct ursa_req *req)
{
	struct poll_entry *e;
	int ret;

	ret = etfd_ensure(r);
	if (ret)
		return ret;
	e = bucket_find(r->pbuckets, req->fd, true);
	if (!e)
		return -ENOMEM;
	req->next = NULL;
	*e->wtail = req;
	e->wtail = &req->next;
	ret = poll_entry_sync(r, e);
	if (ret) {
		struct ursa_req **pp;

		for (pp = &e->waiters; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				break;
			}
		}
		list_retail(e);
		req->next = NULL;
		poll_entry_sync(r, e);
	}
	return ret;
}

/* Post a multishot poll CQE unless the CQ is full or overflowing: the
 * kernel ends multishot requests rather than overflow them. */
static void poll_ops_dispatch(struct ursa_ring *ring, struct ursa_reactor *r)
{
	struct epoll_event evs[64];
	int n, i;

	n = epoll_wait(r->etfd, evs, 64, 0);
	for (i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64;
		uint32_t got = evs[i].events;
		struct ursa_req *done = NULL, *req, **pp;
		struct poll_entry *e;

		pthread_mutex_lock(&r->lock);
		e = bucket_find(r->pbuckets, fd, false);
		if (!e) {
			pthread_mutex_unlock(&r->lock);
			continue;
		}
		for (pp = &e->waiters; (req = *pp);) {
			struct poll_op *p = pop_of(req);
			uint32_t mask = got & (p->events | EPOLLERR | EPOLLHUP);

			if (!mask) {
				pp = &req->next;
				continue;
			}
			if (p->multi && ursa_post_cqe_more(ring, req->user_data,
							   (int32_t)mask)) {
				pp = &req->next;
				continue;
			}
			/* one-shot, or a multishot that cannot post more */
			*pp = req->next;
			req->next = done;
			req->res = (int32_t)mask;
			done = req;
		}
		list_retail(e);
		poll_entry_sync(r, e);
		pthread_mutex_unlock(&r->lock);
		while ((req = done)) {
			done = req->next;
			req->next = NULL;
			ursa_req_complete(req, req->res);
		}
	}
}

int ursa_poll_add_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct poll_op *p = pop_of(req);
	uint32_t flags;

	if (sqe->buf_index || sqe->off || sqe->addr)
		return -EINVAL;
	flags = sqe->len;
	if (flags & ~(IORING_POLL_ADD_MULTI | IORING_POLL_ADD_LEVEL))
		return -EINVAL;
	if ((flags & IORING_POLL_ADD_MULTI) && (req->flags & IOSQE_CQE_SKIP_SUCCESS))
		return -EINVAL;
	p->events = sqe->poll32_events & ~(uint32_t)(EPOLLONESHOT | EPOLLET |
						     EPOLLEXCLUSIVE);
	p->multi = flags & IORING_POLL_ADD_MULTI;
	p->level = flags & IORING_POLL_ADD_LEVEL;
	return 0;
}

int ursa_poll_add(struct ursa_req *req, unsigned issue_flags)
{
	struct ursa_reactor *r;
	int ret;

	(void)issue_flags;
	ret = ursa_poll_ensure(req->ring);
	if (ret)
		return ret;
	r = req->ring->reactor;
	pthread_mutex_lock(&r->lock);
	ret = r->exiting ? -ECANCELED : poll_op_park(r, req);
	pthread_mutex_unlock(&r->lock);
	if (ret == -EPERM)
		ret = -EPERM;	/* not pollable: the kernel says the same */
	return ret ? ret : URSA_ISSUE_QUEUED;
}

int ursa_poll_remove_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct poll_update *u = ursa_req_data(req, struct poll_update);
	uint32_t flags;

	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	flags = sqe->len;
	if (flags & ~(IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA |
		      IORING_POLL_ADD_MULTI))
		return -EINVAL;
	if (flags == IORING_POLL_ADD_MULTI)
		return -EINVAL;	/* meaningless without an update */
	u->old_ud = sqe->addr;
	u->upd_events = flags & IORING_POLL_UPDATE_EVENTS;
	u->upd_ud = flags & IORING_POLL_UPDATE_USER_DATA;
	u->multi = flags & IORING_POLL_ADD_MULTI;
	u->new_ud = sqe->off;
	if (!u->upd_ud && u->new_ud)
		return -EINVAL;
	if (u->upd_events)
		u->events = sqe->poll32_events;
	else if (sqe->poll32_events)
		return -EINVAL;
	return 0;
}

int ursa_poll_remove_op(struct ursa_req *req, unsigned issue_flags)
{
	struct poll_update *u = ursa_req_data(req, struct poll_update);
	struct ursa_reactor *r = __atomic_load_n(&req->ring->reactor,
						 __ATOMIC_ACQUIRE);
	struct ursa_req *preq = NULL;
	int b, ret = 0;

	(void)issue_flags;
	if (!r)
		return -ENOENT;
	pthread_mutex_lock(&r->lock);
	for (b = 0; b < NR_BUCKETS && !preq; b++) {
		struct poll_entry *e;

		for (e = r->pbuckets[b]; e && !preq; e = e->hnext) {
			struct ursa_req **pp;

			for (pp = &e->waiters; *pp; pp = &(*pp)->next) {
				if ((*pp)->user_data == u->old_ud &&
				    (*pp)->ring == req->ring) {
					preq = *pp;
					*pp = preq->next;
					preq->next = NULL;
					list_retail(e);
					poll_entry_sync(r, e);
					break;
				}
			}
		}
	}
	if (preq && (u->upd_events || u->upd_ud)) {
		struct poll_op *p = pop_of(preq);

		if (u->upd_events) {
			p->events = u->events & 0xffff;
			p->multi = u->multi;
		}
		if (u->upd_ud)
			preq->user_data = u->new_ud;
		if (!poll_op_park(r, preq)) {
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (!preq)
		return -ENOENT;
	ursa_req_complete(preq, -ECANCELED);
	return ret;
}
