/* SPDX-License-Identifier: MIT */
/*
 * Cancellation.  A request that waits is in exactly one place: a worker's
 * queue or a worker's blocking syscall (iowq.c), the ring's epoll set
 * (poll.c), or the timeout list (timeout.c).  Each place can take out a
 * request matching the criteria; a running worker is interrupted instead
 * (-EALREADY), and its request completes with the interrupted call's
 * result.  Searched in the kernel's order: workers, poll, timeouts.
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "iowq.h"
#include "poll.h"
#include "rsrc.h"
#include "timeout.h"

#define CANCEL_FLAGS (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD |	\
	IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD_FIXED |		\
	IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP)

struct cancel_op {
	uint64_t	addr;
	uint32_t	flags;
	int32_t		fd;
	uint8_t		opcode;
};

bool ursa_cancel_match(struct ursa_cancel_data *cd, struct ursa_req *req)
{
	bool match_ud = cd->flags & IORING_ASYNC_CANCEL_USERDATA;

	if (req->ring != cd->ring)
		return false;
	if (!(cd->flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP)))
		match_ud = true;
	if (!(cd->flags & IORING_ASYNC_CANCEL_ANY)) {
		if (cd->flags & IORING_ASYNC_CANCEL_FD) {
			if (cd->node ? req->file_node != cd->node
				     : (req->file_node || req->fd != cd->fd))
				return false;
		}
		if ((cd->flags & IORING_ASYNC_CANCEL_OP) && req->opcode != cd->opcode)
			return false;
		if (match_ud && req->user_data != cd->data)
			return false;
		if (!(cd->flags & IORING_ASYNC_CANCEL_ALL))
			return true;
	}
	/* ALL / ANY: each request once per pass. */
	if (req->cancel_seq == cd->seq)
		return false;
	req->cancel_seq = cd->seq;
	return true;
}

static int try_cancel(struct ursa_cancel_data *cd)
{
	int ret = ursa_iowq_cancel_match(cd->ring, cd);

	if (ret >= 0)
		return ret;
	ret = ursa_poll_cancel_match(cd->ring, cd);
	if (ret != -ENOENT)
		return ret;
	if (!(cd->flags & IORING_ASYNC_CANCEL_FD))
		ret = ursa_timeout_cancel_match(cd->ring, cd);
	return ret;
}

int ursa_cancel_run(struct ursa_cancel_data *cd)
{
	bool all = cd->flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
	int ret, nr = 0;

	for (;;) {
		ret = try_cancel(cd);
		if (ret == -ENOENT)
			break;
		if (!all)
			return ret;
		nr++;
	}
	/* As the kernel's second pass over the workers: a running match is
	 * reported (-EALREADY) even when poll and timeouts found nothing. */
	ret = ursa_iowq_cancel_match(cd->ring, cd);
	if (ret != -ENOENT && all)
		nr++;
	return all ? nr : ret;
}

static uint64_t next_seq(struct ursa_ring *ring)
{
	return atomic_fetch_add(&ring->cancel_seq, 1) + 1;
}

int ursa_async_cancel_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct cancel_op *c = ursa_req_data(req, struct cancel_op);

	if (req->flags & IOSQE_BUFFER_SELECT)
		return -EINVAL;
	if (sqe->off || sqe->splice_fd_in)
		return -EINVAL;
	c->addr = sqe->addr;
	c->flags = sqe->cancel_flags;
	if (c->flags & ~CANCEL_FLAGS)
		return -EINVAL;
	if (c->flags & IORING_ASYNC_CANCEL_FD) {
		if (c->flags & IORING_ASYNC_CANCEL_ANY)
			return -EINVAL;
		c->fd = sqe->fd;
	}
	if (c->flags & IORING_ASYNC_CANCEL_OP) {
		if (c->flags & IORING_ASYNC_CANCEL_ANY)
			return -EINVAL;
		c->opcode = (uint8_t)sqe->len;
	}
	return 0;
}

/* Resolve the fd criterion to what requests hold. */
static int cancel_fd(struct ursa_cancel_data *cd, int fd, bool fixed)
{
	if (fixed) {
		cd->node = ursa_file_get(cd->ring, (unsigned)fd);
		return cd->node ? 0 : -EBADF;
	}
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	cd->fd = fd;
	return 0;
}

int ursa_async_cancel(struct ursa_req *req, unsigned issue_flags)
{
	struct cancel_op *c = ursa_req_data(req, struct cancel_op);
	struct ursa_cancel_data cd = {
		.ring = req->ring, .data = c->addr, .flags = c->flags,
		.opcode = c->opcode, .fd = -1,
	};
	int ret = 0;

	(void)issue_flags;
	cd.seq = next_seq(req->ring);
	if (c->flags & IORING_ASYNC_CANCEL_FD)
		ret = cancel_fd(&cd, c->fd, (req->flags & IOSQE_FIXED_FILE) ||
				(c->flags & IORING_ASYNC_CANCEL_FD_FIXED));
	if (!ret)
		ret = ursa_cancel_run(&cd);
	if (cd.node)
		ursa_file_node_put(cd.node);
	return ret;
}

/*
 * IORING_REGISTER_SYNC_CANCEL: cancel, then wait (up to the timeout) until
 * no matching request is running any more.
 */
int ursa_register_sync_cancel(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_sync_cancel_reg sc;
	struct ursa_cancel_data cd = { .ring = ring, .fd = -1 };
	uint64_t deadline = 0;
	int ret;
	unsigned i;

	if (!arg || nr != 1)
		return -EINVAL;
	if (ursa_copy_from_user(&sc, arg, sizeof(sc)))
		return -EFAULT;
	if (sc.flags & ~CANCEL_FLAGS)
		return -EINVAL;
	for (i = 0; i < sizeof(sc.pad) / sizeof(sc.pad[0]); i++)
		if (sc.pad[i])
			return -EINVAL;
	for (i = 0; i < sizeof(sc.pad2) / sizeof(sc.pad2[0]); i++)
		if (sc.pad2[i])
			return -EINVAL;
	cd.data = sc.addr;
	cd.flags = sc.flags;
	cd.opcode = sc.opcode;
	if (sc.flags & IORING_ASYNC_CANCEL_FD) {
		ret = cancel_fd(&cd, sc.fd, sc.flags & IORING_ASYNC_CANCEL_FD_FIXED);
		if (ret)
			return ret;
	}
	if (sc.timeout.tv_sec != -1LL || sc.timeout.tv_nsec != -1LL) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec +
			   (uint64_t)sc.timeout.tv_sec * 1000000000ull +
			   (uint64_t)sc.timeout.tv_nsec;
	}
	/* The register path holds uring_lock; cancelled requests never need
	 * it to complete, so waiting here is safe. */
	cd.seq = next_seq(ring);
	ret = ursa_cancel_run(&cd);
	if (ret != -EALREADY)
		goto out;	/* found (or not) at once: the answer as it is */
	while (ret == -EALREADY) {
		struct timespec now, nap = { 0, 1000 * 1000 };

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (deadline && (uint64_t)now.tv_sec * 1000000000ull +
		    (uint64_t)now.tv_nsec >= deadline) {
			ret = -ETIME;
			break;
		}
		nanosleep(&nap, NULL);
		cd.seq = next_seq(ring);
		ret = ursa_cancel_run(&cd);
	}
	if (ret == -ENOENT || ret > 0)
		ret = 0;
out:
	if (cd.node)
		ursa_file_node_put(cd.node);
	return ret;
}

/* Cancel one request wherever it waits: as ursa_iowq_remove answers (1:
 * taken off, the caller completes it), 1 also for a parked poll. */
int ursa_req_try_cancel(struct ursa_req *req)
{
	atomic_store(&req->cancel, 1);
	if (ursa_poll_remove(req))
		return 1;
	return ursa_iowq_remove(req->ring, req);
}
