/* SPDX-License-Identifier: MIT */
/*
 * The FUSE-style request channel (include/ursa/fuse_chan.h), on the public
 * driver API and seed 000's kernel-managed, pinned buffer rings.
 *
 * State, under chan->lock: FETCH commands waiting for a request (linked
 * through their pdu), requests waiting for a FETCH, and requests handed to
 * the server, by buffer id.  Completing a command happens after the lock is
 * dropped: a completion may issue linked requests that come back here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ursa/driver.h>
#include <ursa/fuse_chan.h>
#include "drivers.h"

#define MAX_BIDS	65536

struct fuse_req {
	struct fuse_req		*next;
	struct ursa_fuse_in_header hdr;
	const void		*in;
	void			*out;
	size_t			out_len;
	uint64_t		buf_addr;
	uint32_t		buf_len;
	ssize_t			res;
	bool			done;
};

struct ursa_fuse_chan {
	struct ursa_device	*dev;
	pthread_mutex_t		lock;
	pthread_cond_t		cond;		/* a request finished */
	struct ursa_buffer_list	*bl;		/* pinned payload buffers */
	unsigned		bgid;
	bool			registered;
	struct ursa_uring_cmd	*fetchers;	/* waiting FETCHes */
	struct fuse_req		*pending, **pending_tail;
	struct fuse_req		**inflight;	/* by bid */
	uint64_t		unique;
};

/* A waiting command's link, in its driver scratch. */
static inline struct ursa_uring_cmd **fetch_next(struct ursa_uring_cmd *cmd)
{
	return (struct ursa_uring_cmd **)(void *)cmd->pdu;
}

static void finish_req(struct ursa_fuse_chan *chan, struct fuse_req *r,
		       ssize_t res)
{
	r->res = res;
	r->done = true;
	pthread_cond_broadcast(&chan->cond);
}

/*
 * Give request r to the waiting command cmd: a payload buffer from the
 * pinned list, the request copied in.  Returns the command's result, with
 * chan->lock held; <0 means r was not taken (it stays the caller's).
 */
static int dispatch(struct ursa_fuse_chan *chan, struct ursa_uring_cmd *cmd,
		    struct fuse_req *r, unsigned issue_flags)
{
	size_t len = 0, need = sizeof(r->hdr) + r->hdr.len;
	struct ursa_br_sel sel;
	char *buf;

	sel = ursa_ring_buffer_select(cmd, &len, chan->bl, issue_flags);
	if (!sel.addr)
		return -ENOBUFS;
	buf = sel.addr;
	if (len < need) {
		/* Too big for any buffer: the caller hears -E2BIG. */
		ursa_kmbuf_recycle(cmd, chan->bgid, (uint64_t)(uintptr_t)buf,
				   (unsigned)len, sel.buf_id, issue_flags);
		return -E2BIG;
	}
	/* The buffer is engine memory (kernel-managed): plain copies. */
	memcpy(buf, &r->hdr, sizeof(r->hdr));
	memcpy(buf + sizeof(r->hdr), r->in, r->hdr.len);
	r->buf_addr = (uint64_t)(uintptr_t)buf;
	r->buf_len = (uint32_t)len;
	chan->inflight[sel.buf_id] = r;
	return (int)need;
}

/* A FETCH (or the fetch half of a commit): take a pending request, or
 * wait.  Returns a result to complete cmd with, or URSA_EIOCBQUEUED. */
static int fetch(struct ursa_fuse_chan *chan, struct ursa_uring_cmd *cmd,
		 unsigned issue_flags)
{
	struct fuse_req *r;
	int ret;

	if (!chan->registered)
		return -EINVAL;
	r = chan->pending;
	if (r) {
		ret = dispatch(chan, cmd, r, issue_flags);
		if (ret == -E2BIG) {
			chan->pending = r->next;
			if (!chan->pending)
				chan->pending_tail = &chan->pending;
			finish_req(chan, r, -E2BIG);
			return fetch(chan, cmd, issue_flags);
		}
		if (ret >= 0) {
			chan->pending = r->next;
			if (!chan->pending)
				chan->pending_tail = &chan->pending;
		}
		return ret;
	}
	ursa_uring_cmd_mark_cancelable(cmd, issue_flags);
	*fetch_next(cmd) = chan->fetchers;
	chan->fetchers = cmd;
	return -URSA_EIOCBQUEUED;
}

static int commit(struct ursa_fuse_chan *chan, struct ursa_uring_cmd *cmd,
		  unsigned issue_flags)
{
	struct ursa_fuse_commit c;
	struct fuse_req *r;
	size_t n;

	memcpy(&c, ursa_uring_sqe_cmd(cmd->sqe), sizeof(c));
	if (!chan->registered)
		return -EINVAL;
	r = chan->inflight[c.bid];
	if (!r || r->hdr.unique != c.unique || c.reply_len > r->buf_len)
		return -EINVAL;
	chan->inflight[c.bid] = NULL;
	/* The reply sits in the buffer, where the server wrote it. */
	n = c.reply_len < r->out_len ? c.reply_len : r->out_len;
	memcpy(r->out, (const void *)(uintptr_t)r->buf_addr, n);
	ursa_kmbuf_recycle(cmd, chan->bgid, r->buf_addr, r->buf_len, c.bid,
			   issue_flags);
	finish_req(chan, r, (ssize_t)c.reply_len);
	return fetch(chan, cmd, issue_flags);
}

/* The server's ring is going: nothing will answer any more. */
static void disconnect(struct ursa_fuse_chan *chan)
{
	struct fuse_req *r;

	chan->registered = false;
	chan->bl = NULL;
	while ((r = chan->pending)) {
		chan->pending = r->next;
		finish_req(chan, r, -ENOTCONN);
	}
	chan->pending_tail = &chan->pending;
	for (unsigned i = 0; i < MAX_BIDS; i++) {
		if (chan->inflight[i]) {
			finish_req(chan, chan->inflight[i], -ENOTCONN);
			chan->inflight[i] = NULL;
		}
	}
}

static int chan_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	struct ursa_fuse_chan *chan = ursa_device_private(cmd->file);
	struct ursa_uring_cmd **pp;
	int ret = -EOPNOTSUPP;

	pthread_mutex_lock(&chan->lock);
	if (issue_flags & URSA_URING_F_CANCEL) {
		for (pp = &chan->fetchers; *pp; pp = fetch_next(*pp)) {
			if (*pp == cmd) {
				*pp = *fetch_next(cmd);
				break;
			}
		}
		disconnect(chan);
		pthread_mutex_unlock(&chan->lock);
		ursa_uring_cmd_done(cmd, -ECANCELED, issue_flags);
		return 0;
	}
	switch (cmd->cmd_op) {
	case URSA_FUSE_CMD_REGISTER:
		if (chan->registered) {
			ret = -EBUSY;
			break;
		}
		if (!ursa_is_kmbuf_ring(cmd, cmd->sqe->buf_group, issue_flags)) {
			ret = -EINVAL;
			break;
		}
		ret = ursa_buf_ring_pin(cmd, cmd->sqe->buf_group, issue_flags,
					&chan->bl);
		if (!ret) {
			chan->bgid = cmd->sqe->buf_group;
			chan->registered = true;
		}
		break;
	case URSA_FUSE_CMD_UNREGISTER:
		if (!chan->registered)
			ret = -EINVAL;
		else if (chan->fetchers)
			ret = -EBUSY;
		else {
			ret = ursa_buf_ring_unpin(cmd, chan->bgid, issue_flags);
			disconnect(chan);
		}
		break;
	case URSA_FUSE_CMD_FETCH:
		ret = fetch(chan, cmd, issue_flags);
		break;
	case URSA_FUSE_CMD_COMMIT_AND_FETCH:
		ret = commit(chan, cmd, issue_flags);
		break;
	}
	pthread_mutex_unlock(&chan->lock);
	return ret;
}

static void chan_release(struct ursa_device *dev)
{
	struct ursa_fuse_chan *chan = ursa_device_private(dev);

	pthread_mutex_destroy(&chan->lock);
	pthread_cond_destroy(&chan->cond);
	free(chan->inflight);
	free(chan);
}

static const struct ursa_file_operations chan_fops = {
	.uring_cmd	= chan_cmd,
	.release	= chan_release,
};

int ursa_fuse_chan_create(struct ursa_fuse_chan **out)
{
	struct ursa_fuse_chan *chan = calloc(1, sizeof(*chan));
	int fd;

	if (!chan)
		return -ENOMEM;
	chan->inflight = calloc(MAX_BIDS, sizeof(*chan->inflight));
	if (!chan->inflight) {
		free(chan);
		return -ENOMEM;
	}
	pthread_mutex_init(&chan->lock, NULL);
	pthread_cond_init(&chan->cond, NULL);
	chan->pending_tail = &chan->pending;
	fd = ursa_device_create(&chan_fops, chan, URSA_DEV_NOWAIT, &chan->dev);
	if (fd < 0) {
		pthread_mutex_destroy(&chan->lock);
		pthread_cond_destroy(&chan->cond);
		free(chan->inflight);
		free(chan);
		return fd;
	}
	if (out)
		*out = chan;
	return fd;
}

ssize_t ursa_fuse_chan_call(struct ursa_fuse_chan *chan, uint32_t opcode,
			    const void *in, size_t in_len, void *out,
			    size_t out_len)
{
	struct fuse_req r;
	struct ursa_uring_cmd *cmd;
	int ret;

	if (in_len > UINT32_MAX)
		return -E2BIG;
	memset(&r, 0, sizeof(r));
	r.hdr.opcode = opcode;
	r.hdr.len = (uint32_t)in_len;
	r.in = in;
	r.out = out;
	r.out_len = out_len;
	pthread_mutex_lock(&chan->lock);
	if (!chan->registered) {
		pthread_mutex_unlock(&chan->lock);
		return -ENOTCONN;
	}
	r.hdr.unique = ++chan->unique;
	for (;;) {
		cmd = chan->fetchers;
		if (!cmd) {
			/* No server thread waiting: the next FETCH takes it. */
			*chan->pending_tail = &r;
			chan->pending_tail = &r.next;
			break;
		}
		chan->fetchers = *fetch_next(cmd);
		ret = dispatch(chan, cmd, &r, 0);
		if (ret == -E2BIG) {
			/* This waiting FETCH stays for the next request. */
			*fetch_next(cmd) = chan->fetchers;
			chan->fetchers = cmd;
			pthread_mutex_unlock(&chan->lock);
			return -E2BIG;
		}
		/* Done outside the lock: a completion may issue more. */
		pthread_mutex_unlock(&chan->lock);
		ursa_uring_cmd_done(cmd, ret, 0);
		pthread_mutex_lock(&chan->lock);
		if (ret >= 0)
			break;
		/* -ENOBUFS: that FETCH ended without it; try the next. */
	}
	while (!r.done)
		pthread_cond_wait(&chan->cond, &chan->lock);
	pthread_mutex_unlock(&chan->lock);
	return r.res;
}

void ursa_fuse_chan_destroy(struct ursa_fuse_chan *chan)
{
	if (chan)
		ursa_device_close(chan->dev);
}

static int chan_driver_open(struct ursa_driver *drv, int flags)
{
	(void)drv;
	(void)flags;
	return ursa_fuse_chan_create(NULL);
}

const struct ursa_driver_info ursa_fuse_chan_driver = {
	.name	= "ursa_fuse_chan",
	.open	= chan_driver_open,
};
