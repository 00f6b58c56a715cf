/* SPDX-License-Identifier: MIT */
/*
 * The event-notification device (include/ursa/event.h), on the public
 * driver API: tags queue under the device lock; the armed multishot FETCH
 * is fed from the ring's task context (ursa_uring_cmd_complete_in_task), where
 * a buffer is selected and its CQE posted in one go, as the multishot
 * contract asks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ursa/driver.h>
#include <ursa/event.h>
#include "drivers.h"

struct ursa_event_dev {
	struct ursa_device	*dev;
	pthread_mutex_t		lock;
	uint16_t		*q;		/* circular: [head, head + n) */
	unsigned		head, n, cap;
	struct ursa_uring_cmd	*fetch;		/* the armed FETCH */
	unsigned		bgid;
	bool			tw_pending;	/* a feed is scheduled */
	int			end_res;	/* end the FETCH with this ... */
	bool			end;		/* ... at the scheduled feed */
};

/* Deliver queued tags to the FETCH.  Returns true if it must end, with
 * *res its last result.  Called with ev->lock held. */
static bool feed(struct ursa_event_dev *ev, struct ursa_uring_cmd *cmd,
		 unsigned issue_flags, int *res)
{
	while (ev->n) {
		size_t len = 0;
		struct ursa_br_sel sel;
		unsigned k, cnt;
		uint16_t *out;
		int err;

		sel = ursa_uring_cmd_buffer_select(cmd, ev->bgid, &len, issue_flags);
		if (!sel.addr) {
			*res = sel.val < 0 ? (int)sel.val : -ENOBUFS;
			return true;
		}
		cnt = (unsigned)(len / sizeof(uint16_t));
		if (cnt > ev->n)
			cnt = ev->n;
		out = cnt ? malloc(cnt * sizeof(*out)) : NULL;
		if (!cnt)
			err = -ENOBUFS;		/* a buffer too small for a tag */
		else if (!out)
			err = -ENOMEM;
		else {
			for (k = 0; k < cnt; k++)
				out[k] = ev->q[(ev->head + k) % ev->cap];
			err = ursa_copy_to_user(sel.addr, out, cnt * sizeof(*out));
		}
		free(out);
		if (err) {
			/* The buffer goes back; the fetch ends with err. */
			sel.val = err;
			ursa_mshot_cmd_post_cqe(cmd, &sel, issue_flags);
			*res = err;
			return true;
		}
		ev->head = (ev->head + cnt) % ev->cap;
		ev->n -= cnt;
		sel.val = (ssize_t)(cnt * sizeof(uint16_t));
		if (ursa_mshot_cmd_post_cqe(cmd, &sel, issue_flags)) {
			/* The CQ is full: this last CQE carries the tags. */
			*res = (int)(cnt * sizeof(uint16_t));
			return true;
		}
	}
	if (!ev->n)
		ursa_device_set_readable(ev->dev, false);
	return false;
}

static void feed_in_task(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	struct ursa_event_dev *ev = ursa_device_private(cmd->file);
	bool end;
	int res = 0;

	pthread_mutex_lock(&ev->lock);
	ev->tw_pending = false;
	if (ev->end) {
		end = true;
		res = ev->end_res;
		ev->end = false;
	} else {
		end = feed(ev, cmd, issue_flags, &res);
	}
	if (end)
		ev->fetch = NULL;
	pthread_mutex_unlock(&ev->lock);
	/* Outside the lock: completing may issue linked requests. */
	if (end)
		ursa_uring_cmd_done(cmd, res, issue_flags);
}

/* End the armed FETCH with res (STOP, cancel): now, or by the feed already
 * scheduled, which owns the command until it has run. */
static int end_fetch(struct ursa_event_dev *ev, int res, unsigned issue_flags)
{
	struct ursa_uring_cmd *f;

	pthread_mutex_lock(&ev->lock);
	f = ev->fetch;
	if (!f) {
		pthread_mutex_unlock(&ev->lock);
		return -ENOENT;
	}
	if (ev->tw_pending) {
		ev->end = true;
		ev->end_res = res;
		pthread_mutex_unlock(&ev->lock);
		return 0;
	}
	ev->fetch = NULL;
	pthread_mutex_unlock(&ev->lock);
	ursa_uring_cmd_done(f, res, issue_flags);
	return 0;
}

static int event_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	struct ursa_event_dev *ev = ursa_device_private(cmd->file);
	bool end;
	int res = 0;

	if (issue_flags & URSA_URING_F_CANCEL) {
		/* Ring teardown: only the FETCH is ever cancelable. */
		if (end_fetch(ev, -ECANCELED, issue_flags) == -ENOENT)
			ursa_uring_cmd_done(cmd, -ECANCELED, issue_flags);
		return 0;
	}
	switch (cmd->cmd_op) {
	case URSA_EVENT_CMD_FETCH:
		if (!(cmd->flags & IORING_URING_CMD_MULTISHOT))
			return -EINVAL;
		pthread_mutex_lock(&ev->lock);
		if (ev->fetch) {
			pthread_mutex_unlock(&ev->lock);
			return -EBUSY;
		}
		ev->bgid = cmd->sqe->buf_group;
		ev->fetch = cmd;
		ev->end = false;
		ursa_uring_cmd_mark_cancelable(cmd, issue_flags);
		end = feed(ev, cmd, issue_flags, &res);
		if (end)
			ev->fetch = NULL;
		pthread_mutex_unlock(&ev->lock);
		if (end) {
			ursa_uring_cmd_done(cmd, res, issue_flags);
			return -URSA_EIOCBQUEUED;
		}
		return 0;	/* armed: multishot stays */
	case URSA_EVENT_CMD_STOP:
		return end_fetch(ev, 0, issue_flags);
	}
	return -EOPNOTSUPP;
}

static void event_release(struct ursa_device *dev)
{
	struct ursa_event_dev *ev = ursa_device_private(dev);

	pthread_mutex_destroy(&ev->lock);
	free(ev->q);
	free(ev);
}

static const struct ursa_file_operations event_fops = {
	.uring_cmd	= event_cmd,
	.release	= event_release,
};

int ursa_event_dev_create(struct ursa_event_dev **out)
{
	struct ursa_event_dev *ev = calloc(1, sizeof(*ev));
	int fd;

	if (!ev)
		return -ENOMEM;
	pthread_mutex_init(&ev->lock, NULL);
	fd = ursa_device_create(&event_fops, ev, URSA_DEV_NOWAIT, &ev->dev);
	if (fd < 0) {
		pthread_mutex_destroy(&ev->lock);
		free(ev);
		return fd;
	}
	if (out)
		*out = ev;
	return fd;
}

int ursa_event_post(struct ursa_event_dev *ev, const uint16_t *tags,
		    unsigned nr)
{
	struct ursa_uring_cmd *f = NULL;

	pthread_mutex_lock(&ev->lock);
	if (ev->n + nr > ev->cap) {
		unsigned cap = ev->cap ? ev->cap : 256;
		uint16_t *q;

		while (cap < ev->n + nr)
			cap *= 2;
		q = malloc(cap * sizeof(*q));
		if (!q) {
			pthread_mutex_unlock(&ev->lock);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < ev->n; i++)
			q[i] = ev->q[(ev->head + i) % ev->cap];
		free(ev->q);
		ev->q = q;
		ev->head = 0;
		ev->cap = cap;
	}
	for (unsigned i = 0; i < nr; i++)
		ev->q[(ev->head + ev->n + i) % ev->cap] = tags[i];
	ev->n += nr;
	if (nr)
		ursa_device_set_readable(ev->dev, true);
	if (ev->fetch && !ev->tw_pending && nr) {
		ev->tw_pending = true;
		f = ev->fetch;
	}
	pthread_mutex_unlock(&ev->lock);
	if (f)
		ursa_uring_cmd_complete_in_task(f, feed_in_task);
	return 0;
}

unsigned ursa_event_pending(struct ursa_event_dev *ev)
{
	unsigned n;

	pthread_mutex_lock(&ev->lock);
	n = ev->n;
	pthread_mutex_unlock(&ev->lock);
	return n;
}

void ursa_event_dev_destroy(struct ursa_event_dev *ev)
{
	if (ev)
		ursa_device_close(ev->dev);
}

static int event_driver_open(struct ursa_driver *drv, int flags)
{
	(void)drv;
	(void)flags;
	return ursa_event_dev_create(NULL);
}

const struct ursa_driver_info ursa_event_driver = {
	.name	= "ursa_event",
	.open	= event_driver_open,
};
