/* SPDX-License-Identifier: MIT */
/*
 * Readiness waits through epoll.  Each ring has one epoll set and a reactor
 * thread, created on the first wait.  Every fd with waiting requests has an
 * entry (fd number -> waiters) registered level-triggered and one-shot with
 * the union of its waiters' interests; when it fires, the ready waiters are
 * re-issued on the reactor thread and the entry is re-armed for the rest.
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

#define NR_BUCKETS	256

struct poll_waiter_list {
	struct ursa_req *head, **tail;
};

struct poll_entry {
	struct poll_entry	*hnext;
	int			fd;
	uint32_t		armed;		/* epoll events currently armed */
	struct ursa_req		*waiters;	/* FIFO via req->next */
	struct ursa_req		**wtail;
};

struct ursa_reactor {
	int			epfd;
	int			wakefd;
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

static struct poll_entry *entry_find(struct ursa_reactor *r, int fd, bool create)
{
	struct poll_entry **pp = &r->buckets[(unsigned)fd % NR_BUCKETS], *e;

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

/* (Re)arm e for its waiters; called with r->lock held. */
static int entry_arm(struct ursa_reactor *r, struct poll_entry *e)
{
	struct epoll_event ev;
	uint32_t want = wanted_events(e);
	int ret;

	if (!want)
		return 0;
	ev.events = want | EPOLLONESHOT;
	ev.data.u64 = (uint64_t)(unsigned)e->fd;
	ret = epoll_ctl(r->epfd, e->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			e->fd, &ev);
	if (ret < 0 && errno == ENOENT)
		ret = epoll_ctl(r->epfd, EPOLL_CTL_ADD, e->fd, &ev);
	else if (ret < 0 && errno == EEXIST)
		ret = epoll_ctl(r->epfd, EPOLL_CTL_MOD, e->fd, &ev);
	if (ret < 0)
		return -errno;
	e->armed = want;
	return 0;
}

/* Handle one batch of epoll events: re-issue the waiters that are ready.
 * Returns false when the reactor is told to exit. */
static bool reactor_dispatch(struct ursa_reactor *r, struct epoll_event *evs,
			     int n)
{
	int i;

	for (i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64;
		uint32_t got = evs[i].events;
		struct ursa_req *ready = NULL, **rtail = &ready, *req, **pp;
		struct poll_entry *e;

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
		e->armed = 0;	/* one-shot: disarmed now */
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
		if (e->waiters)
			entry_arm(r, e);
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
 * Wait up to timeout_ms for readiness and handle it; with sigmask the wait
 * is epoll_pwait's (atomic mask swap).  Used by the reactor thread and, on
 * DEFER_TASKRUN rings, by the task waiting in io_uring_enter.
 * Returns 0, -EINTR, or -ECANCELED when the reactor is exiting.
 */
int ursa_poll_run(struct ursa_ring *ring, int timeout_ms, const sigset_t *sigmask)
{
	struct ursa_reactor *r = ring->reactor;
	struct epoll_event evs[64];
	int n;

	n = epoll_pwait(r->epfd, evs, 64, timeout_ms, sigmask);
	if (n < 0)
		return errno == EINTR ? -EINTR : 0;
	return reactor_dispatch(r, evs, n) ? 0 : -ECANCELED;
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

static int reactor_create(struct ursa_ring *ring)
{
	struct ursa_reactor *r = calloc(1, sizeof(*r));
	struct epoll_event ev;

	if (!r)
		return -ENOMEM;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->epfd < 0 || r->wakefd < 0)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)(unsigned)r->wakefd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->wakefd, &ev) < 0)
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
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->wakefd >= 0)
		close(r->wakefd);
	free(r);
	return -ENOMEM;
}

int ursa_poll_arm(struct ursa_req *req, unsigned events)
{
	struct ursa_ring *ring = req->ring;
	struct ursa_reactor *r;
	struct poll_entry *e;
	int ret;

	if (unlikely(!__atomic_load_n(&ring->reactor, __ATOMIC_ACQUIRE))) {
		pthread_mutex_lock(&ring->completion_lock);
		ret = ring->reactor ? 0 : reactor_create(ring);
		pthread_mutex_unlock(&ring->completion_lock);
		if (ret)
			return ret;
	}
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
	ret = entry_arm(r, e);
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
	close(r->epfd);
	close(r->wakefd);
	pthread_mutex_destroy(&r->lock);
	free(r);
	ring->reactor = NULL;
}
