/* SPDX-License-Identifier: MIT */
/*
 * EPOLL_CTL: epoll_ctl(2) made inline.  EPOLL_WAIT: collect ready events
 * from an epoll set without sleeping; with none ready, the request waits
 * for the epoll fd itself to become readable (it is pollable, and may sit
 * in the ring's own epoll set) and tries again, as the kernel's op re-arms
 * on the epoll file.
 */
#include <string.h>
#include <sys/epoll.h>

#include "epoll.h"

struct epoll_ctl_op {
	int			epfd;
	int			op;
	int			fd;
	struct epoll_event	ev;	/* our copy, for the ops that take one */
};

struct epoll_wait_op {
	uint64_t	events;		/* the application's array */
	int		maxevents;
};

int ursa_epoll_ctl_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct epoll_ctl_op *c = ursa_req_data(req, struct epoll_ctl_op);

	memset(c, 0, sizeof(*c));
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	c->epfd = sqe->fd;
	c->op = (int)sqe->len;
	c->fd = (int)sqe->off;
	/* The kernel copies the event for every op but DEL (unknown ops
	 * included, which then fail with -EINVAL), here at prep. */
	if (c->op != EPOLL_CTL_DEL &&
	    ursa_copy_from_user(&c->ev, (const void *)(uintptr_t)sqe->addr,
				sizeof(c->ev)))
		return -EFAULT;
	return 0;
}

int ursa_epoll_ctl(struct ursa_req *req, unsigned issue_flags)
{
	struct epoll_ctl_op *c = ursa_req_data(req, struct epoll_ctl_op);

	(void)issue_flags;
	return epoll_ctl(c->epfd, c->op, c->fd, &c->ev) < 0 ? -errno : 0;
}

int ursa_epoll_wait_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct epoll_wait_op *w = ursa_req_data(req, struct epoll_wait_op);

	if (sqe->off || sqe->rw_flags || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	w->maxevents = (int)sqe->len;
	w->events = sqe->addr;
	return 0;
}

/*
 * epoll_wait(2) with the same checks as the kernel's op (maxevents range,
 * an epoll fd, a writable array).  A worker (IOSQE_ASYNC, or a file the
 * ring's epoll set refused) may sleep in it; a cancel interrupts it.
 */
int ursa_epoll_wait(struct ursa_req *req, unsigned issue_flags)
{
	struct epoll_wait_op *w = ursa_req_data(req, struct epoll_wait_op);
	int timeout = (issue_flags & URSA_ISSUE_WORKER) ? -1 : 0;
	int n;

	for (;;) {
		n = epoll_wait(req->fd, (struct epoll_event *)(uintptr_t)w->events,
			       w->maxevents, timeout);
		if (n > 0)
			return n;
		if (n == 0)
			return URSA_ISSUE_RETRY;
		if (errno != EINTR)
			return -errno;
		if (atomic_load(&req->cancel))
			return -ECANCELED;
	}
}
