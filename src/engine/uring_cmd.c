/* SPDX-License-Identifier: MIT */
/*
 * IORING_OP_URING_CMD (and URING_CMD128): commands to a driver's device
 * (include/ursa/driver.h), or to a socket (cmd_net.c), as the kernel's
 * io_uring/uring_cmd.c dispatches to a file's ->uring_cmd.
 *
 * A command the driver keeps (URSA_EIOCBQUEUED, or a live multishot) sits
 * on its ring's list until the driver ends it with ursa_uring_cmd_done, so
 * ring teardown can deliver URSA_URING_F_CANCEL to the cancelable ones and
 * wait for the rest, as the kernel's exit work does.
 *
 * The driver may complete a command from another thread while ursa is
 * still inside a call into the driver for it (the issue itself, a cancel,
 * a task-work callback).  state says who finishes it then: a done() that
 * finds the command BUSY only records the result, and whoever made it busy
 * completes it on the way out.
 */
#include <stdlib.h>
#include <string.h>

#include "uring_cmd.h"
#include "cmd_net.h"
#include "device.h"
#include "kbuf.h"
#include "rsrc.h"
#include "timer.h"
#include "poll.h"

enum {
	CMD_IDLE,	/* not in the driver's hands */
	CMD_BUSY,	/* ursa is calling into the driver for it */
	CMD_QUEUED,	/* the driver holds it */
	CMD_DONE_EARLY,	/* done() came while BUSY */
};

struct uring_cmd_state {
	struct ursa_uring_cmd	cmd;		/* first: cmd_to_req() */
	struct ursa_device	*dev;		/* referenced; NULL for sockets */
	struct io_uring_sqe	*sqe_copy;	/* malloc'd (64 or 128 bytes) */
	_Atomic int		state;
	int32_t			early_res;
	uint64_t		early_res2;
	uint16_t		buf_id;		/* a buffer the command holds */
	bool			has_buf;
	bool			early_big;
	bool			on_list;
	bool			polled;		/* completion found by ->uring_cmd_iopoll */
};

static inline struct uring_cmd_state *cmd_state(struct ursa_req *req)
{
	return ursa_req_data(req, struct uring_cmd_state);
}

static inline struct ursa_req *cmd_to_req(struct ursa_uring_cmd *cmd)
{
	return (struct ursa_req *)((char *)cmd - offsetof(struct ursa_req, op));
}

static inline struct uring_cmd_state *to_state(struct ursa_uring_cmd *cmd)
{
	return (struct uring_cmd_state *)(void *)cmd;
}

int ursa_uring_cmd_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct uring_cmd_state *s = cmd_state(req);
	struct ursa_ring *ring = req->ring;
	bool big = ring->compat_big_sqe || req->opcode == IORING_OP_URING_CMD128;

	memset(s, 0, sizeof(*s));
	if (sqe->__pad1)
		return -EINVAL;
	s->cmd.flags = sqe->uring_cmd_flags;
	if (s->cmd.flags & ~IORING_URING_CMD_MASK)
		return -EINVAL;
	if (s->cmd.flags & IORING_URING_CMD_FIXED) {
		if (s->cmd.flags & IORING_URING_CMD_MULTISHOT)
			return -EINVAL;
	}
	/* A multishot command takes its buffers from a group, and only it. */
	if (!(s->cmd.flags & IORING_URING_CMD_MULTISHOT) !=
	    !(req->flags & IOSQE_BUFFER_SELECT))
		return -EINVAL;
	s->cmd.cmd_op = sqe->cmd_op;
	/*
	 * The driver reads the SQE when the command runs, which may be after
	 * the application reused the slot (links, drain, workers): keep a
	 * copy, as the kernel does when a command goes async.
	 */
	s->sqe_copy = malloc((big ? 2 : 1) * sizeof(*sqe));
	if (!s->sqe_copy)
		return -ENOMEM;
	memcpy(s->sqe_copy, sqe, (big ? 2 : 1) * sizeof(*sqe));
	s->cmd.sqe = s->sqe_copy;
	return 0;
}

void ursa_uring_cmd_cleanup(struct ursa_req *req)
{
	struct uring_cmd_state *s = cmd_state(req);

	free(s->sqe_copy);
	s->sqe_copy = NULL;
	if (s->dev) {
		ursa_device_put(s->dev);
		s->dev = NULL;
	}
}

/* --------------------------------------------------- the list of held cmds */

static void list_add(struct ursa_req *req)
{
	struct ursa_ring *ring = req->ring;

	pthread_mutex_lock(&ring->cmd_lock);
	req->next = ring->uring_cmds;
	ring->uring_cmds = req;
	cmd_state(req)->on_list = true;
	ring->nr_uring_cmds++;
	pthread_mutex_unlock(&ring->cmd_lock);
}

/* Off the list; the count drops only in list_done(), after the CQE is
 * posted, so teardown never frees the ring under a completing driver. */
static void list_del(struct ursa_req *req)
{
	struct ursa_ring *ring = req->ring;
	struct ursa_req **pp;

	pthread_mutex_lock(&ring->cmd_lock);
	if (cmd_state(req)->on_list) {
		for (pp = &ring->uring_cmds; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				break;
			}
		}
		cmd_state(req)->on_list = false;
	}
	pthread_mutex_unlock(&ring->cmd_lock);
}

static void list_done(struct ursa_ring *ring)
{
	pthread_mutex_lock(&ring->cmd_lock);
	if (!--ring->nr_uring_cmds)
		pthread_cond_broadcast(&ring->cmd_cond);
	pthread_mutex_unlock(&ring->cmd_lock);
}

/* ------------------------------------------------------------ completion */

static void cmd_finish(struct ursa_req *req, int32_t ret, uint64_t res2, bool big)
{
	struct uring_cmd_state *s = cmd_state(req);
	struct ursa_ring *ring = req->ring;
	bool counted = s->on_list;

	list_del(req);
	/* A buffer the command holds goes to the CQE (seed 000, 9/9). */
	req->cflags = s->has_buf ? IORING_CQE_F_BUFFER |
			((uint32_t)s->buf_id << IORING_CQE_BUFFER_SHIFT) : 0;
	if (big && (req->ring->cqe32 || req->ring->cqe_mixed)) {
		req->extra1 = res2;
		req->extra2 = 0;
		req->flags |= REQ_F_BIG_CQE;
	}
	ursa_req_complete(req, ret);
	if (counted)
		list_done(ring);
}

/* Leave BUSY: back to what the call made of it, or finish a done() that
 * came meanwhile.  Returns true if the command was finished here. */
static bool cmd_unbusy(struct ursa_req *req, int to)
{
	struct uring_cmd_state *s = cmd_state(req);
	int expect = CMD_BUSY;

	if (atomic_compare_exchange_strong(&s->state, &expect, to))
		return false;
	/* CMD_DONE_EARLY */
	cmd_finish(req, s->early_res, s->early_res2, s->early_big);
	return true;
}

static void cmd_done(struct ursa_uring_cmd *cmd, int32_t ret, uint64_t res2,
		     bool big)
{
	struct ursa_req *req = cmd_to_req(cmd);
	struct uring_cmd_state *s = to_state(cmd);
	int st = atomic_load(&s->state);

	for (;;) {
		if (st == CMD_BUSY) {
			s->early_res = ret;
			s->early_res2 = res2;
			s->early_big = big;
			if (atomic_compare_exchange_weak(&s->state, &st,
							 CMD_DONE_EARLY))
				return;
			continue;
		}
		if (st == CMD_DONE_EARLY)
			return;		/* a second done(): the driver's bug */
		if (atomic_compare_exchange_weak(&s->state, &st, CMD_IDLE))
			break;
	}
	cmd_finish(req, ret, res2, big);
}

void ursa_uring_cmd_done(struct ursa_uring_cmd *cmd, int32_t ret,
			 unsigned int issue_flags)
{
	(void)issue_flags;
	cmd_done(cmd, ret, 0, false);
}

void ursa_uring_cmd_done32(struct ursa_uring_cmd *cmd, int32_t ret,
			   uint64_t res2, unsigned int issue_flags)
{
	(void)issue_flags;
	cmd_done(cmd, ret, res2, true);
}

void ursa_uring_cmd_mark_cancelable(struct ursa_uring_cmd *cmd,
				    unsigned int issue_flags)
{
	(void)issue_flags;
	cmd->flags |= URSA_URING_CMD_CANCELABLE;
}

/* ----------------------------------------------------------------- issue */

static unsigned driver_issue_flags(struct ursa_req *req, unsigned issue_flags)
{
	struct ursa_ring *ring = req->ring;
	unsigned f = 0;

	if (issue_flags & URSA_ISSUE_WORKER)
		f |= URSA_URING_F_IOWQ | URSA_URING_F_UNLOCKED;
	else
		f |= URSA_URING_F_NONBLOCK;
	if (ring->compat_big_sqe || req->opcode == IORING_OP_URING_CMD128)
		f |= URSA_URING_F_SQE128;
	if (ring->cqe32)
		f |= URSA_URING_F_CQE32;
	if (cmd_state(req)->cmd.flags & IORING_URING_CMD_MULTISHOT)
		f |= URSA_URING_F_MULTISHOT;
	return f;
}

static int device_cmd(struct ursa_req *req, unsigned issue_flags)
{
	struct uring_cmd_state *s = cmd_state(req);
	const struct ursa_file_operations *fops = ursa_device_fops(s->dev);
	bool mshot = s->cmd.flags & IORING_URING_CMD_MULTISHOT;
	int ret, expect;

	unsigned flags = driver_issue_flags(req, issue_flags);

	if (!fops->uring_cmd)
		return -EOPNOTSUPP;
	s->cmd.file = s->dev;
	/* IOPOLL rings poll the commands of drivers that can be polled
	 * (REQ_F_IOPOLL); the others complete as on any ring (seed 002, 7.1). */
	if ((req->ring->setup_flags & IORING_SETUP_IOPOLL) && fops->uring_cmd_iopoll) {
		flags |= URSA_URING_F_IOPOLL;
		s->polled = true;
	}
	/* On the list (BUSY) before the driver sees it: it may hand the
	 * command to another thread that completes it at once. */
	atomic_store(&s->state, CMD_BUSY);
	list_add(req);
	ret = fops->uring_cmd(&s->cmd, flags);
	if (ret == -URSA_EIOCBQUEUED || (mshot && ret >= 0)) {
		/* The driver owns it now (a live multishot, or queued). */
		cmd_unbusy(req, CMD_QUEUED);
		return URSA_ISSUE_QUEUED;
	}
	expect = CMD_BUSY;
	if (!atomic_compare_exchange_strong(&s->state, &expect, CMD_IDLE)) {
		/* done() came meanwhile, and the driver also returned a
		 * result: the done() wins (the request completes once). */
		cmd_finish(req, s->early_res, s->early_res2, s->early_big);
		return URSA_ISSUE_QUEUED;
	}
	list_del(req);
	list_done(req->ring);
	if (ret == -EAGAIN && !(issue_flags & URSA_ISSUE_WORKER)) {
		s->cmd.flags |= URSA_URING_CMD_REISSUE;
		return URSA_ISSUE_PUNT;
	}
	if (ret == -URSA_EIOCBQUEUED)
		ret = -EINVAL;
	req->cflags = s->has_buf ? IORING_CQE_F_BUFFER |
			((uint32_t)s->buf_id << IORING_CQE_BUFFER_SHIFT) : 0;
	return ret;
}

int ursa_uring_cmd(struct ursa_req *req, unsigned issue_flags)
{
	struct uring_cmd_state *s = cmd_state(req);

	if (!s->dev)
		s->dev = ursa_device_lookup_slow(req->fd);
	if (s->dev)
		return device_cmd(req, issue_flags);
	return ursa_sock_uring_cmd(req, s->cmd.sqe, s->cmd.cmd_op, s->cmd.flags);
}

/* ------------------------------------------------------------- task work */

struct cmd_tw {
	struct ursa_timer	timer;		/* first: from the timer */
	struct ursa_uring_cmd	*cmd;
	ursa_uring_cmd_tw_t	cb;
};

static void cmd_tw_run(struct ursa_timer *tm)
{
	struct cmd_tw *tw = (struct cmd_tw *)tm;
	struct ursa_uring_cmd *cmd = tw->cmd;
	ursa_uring_cmd_tw_t cb = tw->cb;

	ursa_timer_done(tm);
	free(tw);
	cb(cmd, URSA_URING_F_COMPLETE_DEFER);
}

void ursa_uring_cmd_complete_in_task(struct ursa_uring_cmd *cmd,
				     ursa_uring_cmd_tw_t cb)
{
	struct ursa_req *req = cmd_to_req(cmd);
	struct cmd_tw *tw = calloc(1, sizeof(*tw));

	/* The ring's task context is where its timers run (the reactor, or
	 * the DEFER_TASKRUN task in io_uring_enter): a timer due now. */
	if (tw) {
		tw->cmd = cmd;
		tw->cb = cb;
		tw->timer.fn = cmd_tw_run;
		tw->timer.expires = ursa_now_ns();
		if (ursa_timer_add(req->ring, &tw->timer) == 0)
			return;
		free(tw);
	}
	/* No memory or no reactor: run it here rather than lose it. */
	cb(cmd, URSA_URING_F_COMPLETE_DEFER);
}

/* ---------------------------------------------------- registered buffers */

static int fixed_node(struct ursa_uring_cmd *cmd)
{
	struct ursa_req *req = cmd_to_req(cmd);

	if (!(cmd->flags & IORING_URING_CMD_FIXED))
		return -EINVAL;
	if (!req->buf_node) {
		req->buf_node = ursa_buf_get(req->ring, cmd->sqe->buf_index);
		if (!req->buf_node)
			return -EFAULT;
	}
	return 0;
}

int ursa_uring_cmd_import_fixed(uint64_t ubuf, size_t len, int rw,
				struct iovec *iov, struct ursa_uring_cmd *cmd,
				unsigned int issue_flags)
{
	int ret = fixed_node(cmd);

	(void)rw;
	(void)issue_flags;
	if (ret)
		return ret;
	if (ursa_buf_check_range(cmd_to_req(cmd)->buf_node, ubuf, len))
		return -EFAULT;
	iov->iov_base = (void *)(uintptr_t)ubuf;
	iov->iov_len = len;
	return 0;
}

int ursa_uring_cmd_import_fixed_vec(struct ursa_uring_cmd *cmd,
				    const struct iovec *uvec, size_t nr, int rw,
				    struct iovec *iov, unsigned int issue_flags)
{
	int ret = fixed_node(cmd);

	(void)rw;
	(void)issue_flags;
	if (ret)
		return ret;
	if (nr > 1024)
		return -EINVAL;
	if (nr && ursa_copy_from_user(iov, uvec, nr * sizeof(*iov)))
		return -EFAULT;
	for (size_t i = 0; i < nr; i++)
		if (ursa_buf_check_range(cmd_to_req(cmd)->buf_node,
					 (uint64_t)(uintptr_t)iov[i].iov_base,
					 iov[i].iov_len))
			return -EFAULT;
	return 0;
}

/* -------------------------------------------------------------- multishot */

_Static_assert(sizeof(struct ursa_kbuf_sel) <=
	       sizeof(((struct ursa_br_sel *)0)->__ursa),
	       "ursa_br_sel too small for the selection state");

static inline struct ursa_kbuf_sel *ksel(struct ursa_br_sel *sel)
{
	return (struct ursa_kbuf_sel *)(void *)sel->__ursa;
}

static unsigned kbuf_issue_flags(unsigned int issue_flags)
{
	return (issue_flags & URSA_URING_F_IOWQ) ? URSA_ISSUE_WORKER
						 : URSA_ISSUE_NONBLOCK;
}

struct ursa_br_sel ursa_uring_cmd_buffer_select(struct ursa_uring_cmd *cmd,
						unsigned buf_group, size_t *len,
						unsigned int issue_flags)
{
	struct ursa_br_sel sel;
	uint32_t l = len && *len < UINT32_MAX ? (uint32_t)*len : 0;

	memset(&sel, 0, sizeof(sel));
	if (!(cmd->flags & IORING_URING_CMD_MULTISHOT)) {
		sel.val = -EINVAL;
		return sel;
	}
	if (ursa_kbuf_select(cmd_to_req(cmd), buf_group, &l, ksel(&sel),
			     kbuf_issue_flags(issue_flags)))
		return sel;		/* .addr NULL: -ENOBUFS */
	sel.buf_list = (struct ursa_buffer_list *)ksel(&sel)->bl;
	sel.addr = (void *)(uintptr_t)ksel(&sel)->addr;
	sel.buf_id = ksel(&sel)->bid;
	if (len)
		*len = l;
	return sel;
}

bool ursa_mshot_cmd_post_cqe(struct ursa_uring_cmd *cmd,
			     struct ursa_br_sel *sel, unsigned int issue_flags)
{
	struct ursa_req *req = cmd_to_req(cmd);
	uint32_t cflags = 0;

	(void)issue_flags;
	if (!(cmd->flags & IORING_URING_CMD_MULTISHOT))
		return true;
	if (sel->val > 0) {
		int n = sel->val > INT32_MAX ? INT32_MAX : (int)sel->val;

		cflags = ursa_kbuf_finish(ksel(sel), n, false);
		sel->buf_list = NULL;
		if (ursa_post_cqe_more_flags(req->ring, req->user_data, n, cflags))
			return false;
		/* Not posted: the buffer is committed with the data in it,
		 * so the command's last CQE names it. */
		if (cflags & IORING_CQE_F_BUFFER) {
			to_state(cmd)->buf_id = (uint16_t)(cflags >> IORING_CQE_BUFFER_SHIFT);
			to_state(cmd)->has_buf = true;
		}
	}
	if (ksel(sel)->bl) {
		ursa_kbuf_finish(ksel(sel), 0, true);
		sel->buf_list = NULL;
	}
	if (sel->val < 0)
		ursa_req_set_fail(req);
	req->res = (int32_t)sel->val;
	req->cflags = cflags;
	return true;
}

bool ursa_uring_cmd_post_mshot_cqe32(struct ursa_uring_cmd *cmd,
				     unsigned int issue_flags,
				     const struct io_uring_cqe cqe[2])
{
	struct ursa_req *req = cmd_to_req(cmd);
	uint64_t big[2];

	(void)issue_flags;
	if (!(req->ring->cqe32 || req->ring->cqe_mixed))
		return false;
	memcpy(big, &cqe[1], sizeof(big));
	return ursa_post_cqe_more_big(req->ring, req->user_data, cqe[0].res,
				      cqe[0].flags, big);
}

/* ------------------------------------------- kernel-managed rings, pinning */

static void hold_buffer(struct ursa_uring_cmd *cmd, unsigned bid)
{
	to_state(cmd)->buf_id = (uint16_t)bid;
	to_state(cmd)->has_buf = true;
}

int ursa_buf_ring_pin(struct ursa_uring_cmd *cmd, unsigned buf_group,
		      unsigned int issue_flags, struct ursa_buffer_list **bl)
{
	(void)issue_flags;
	return ursa_kbuf_pin(cmd_to_req(cmd)->ring, buf_group,
			     (struct ursa_buf_list **)bl);
}

int ursa_buf_ring_unpin(struct ursa_uring_cmd *cmd, unsigned buf_group,
			unsigned int issue_flags)
{
	(void)issue_flags;
	return ursa_kbuf_unpin(cmd_to_req(cmd)->ring, buf_group);
}

int ursa_kmbuf_recycle(struct ursa_uring_cmd *cmd, unsigned int buf_group,
		       uint64_t addr, unsigned int len, unsigned int bid,
		       unsigned int issue_flags)
{
	int ret;

	(void)issue_flags;
	ret = ursa_kbuf_kmbuf_recycle(cmd_to_req(cmd)->ring, buf_group, addr,
				      len, bid);
	/* The buffer is back in the ring: the CQE no longer names it. */
	if (!ret && to_state(cmd)->has_buf && to_state(cmd)->buf_id == bid)
		to_state(cmd)->has_buf = false;
	return ret;
}

bool ursa_is_kmbuf_ring(struct ursa_uring_cmd *cmd, unsigned int buf_group,
			unsigned int issue_flags)
{
	(void)issue_flags;
	return ursa_kbuf_is_kmbuf(cmd_to_req(cmd)->ring, buf_group);
}

struct ursa_br_sel ursa_ring_buffer_select(struct ursa_uring_cmd *cmd,
					   size_t *len,
					   struct ursa_buffer_list *bl,
					   unsigned int issue_flags)
{
	struct ursa_br_sel sel;
	uint32_t l = len && *len < UINT32_MAX ? (uint32_t)*len : 0;
	int ret;

	(void)issue_flags;
	memset(&sel, 0, sizeof(sel));
	ret = ursa_kbuf_select_list(cmd_to_req(cmd)->ring,
				    (struct ursa_buf_list *)bl, &l, ksel(&sel));
	if (ret) {
		sel.val = ret == -ENOBUFS ? 0 : ret;
		return sel;
	}
	/* Committed at selection (kernel memory, seed 000): the command
	 * holds the buffer and its CQE names it. */
	sel.addr = (void *)(uintptr_t)ksel(&sel)->addr;
	sel.buf_id = ksel(&sel)->bid;
	sel.buf_list = ksel(&sel)->committed ? NULL : bl;
	hold_buffer(cmd, sel.buf_id);
	if (len)
		*len = l;
	return sel;
}

/* ------------------------------------------------------------------ IOPOLL */

/* Poll the held commands of drivers with ->uring_cmd_iopoll once (enter's
 * GETEVENTS on IOPOLL rings).  Returns how many were polled. */
unsigned ursa_uring_cmd_iopoll(struct ursa_ring *ring)
{
	struct ursa_req *batch[64], *req;
	unsigned n = 0;

	pthread_mutex_lock(&ring->cmd_lock);
	for (req = ring->uring_cmds; req && n < 64; req = req->next) {
		struct uring_cmd_state *s = cmd_state(req);
		int expect = CMD_QUEUED;

		if (s->polled && atomic_compare_exchange_strong(&s->state, &expect,
								CMD_BUSY))
			batch[n++] = req;
	}
	pthread_mutex_unlock(&ring->cmd_lock);
	for (unsigned i = 0; i < n; i++) {
		struct uring_cmd_state *s = cmd_state(batch[i]);

		ursa_device_fops(s->dev)->uring_cmd_iopoll(&s->cmd, 0);
		cmd_unbusy(batch[i], CMD_QUEUED);
	}
	return n;
}

/* ---------------------------------------------------------- ring teardown */

/*
 * Cancel what drivers hold: ->uring_cmd with URSA_URING_F_CANCEL for each
 * command marked cancelable, then wait until every held command is done
 * (the kernel's exit work waits the same way).  On DEFER_TASKRUN rings no
 * task waits in enter any more, so the wait runs the ring's task work.
 */
void ursa_uring_cmd_exit(struct ursa_ring *ring)
{
	for (;;) {
		struct ursa_req *batch[64], *req;
		unsigned n = 0;

		pthread_mutex_lock(&ring->cmd_lock);
		for (req = ring->uring_cmds; req && n < 64; req = req->next) {
			struct uring_cmd_state *s = cmd_state(req);
			int expect = CMD_QUEUED;

			if (!(s->cmd.flags & URSA_URING_CMD_CANCELABLE) ||
			    !atomic_compare_exchange_strong(&s->state, &expect,
							    CMD_BUSY))
				continue;
			s->cmd.flags &= ~URSA_URING_CMD_CANCELABLE;
			batch[n++] = req;
		}
		pthread_mutex_unlock(&ring->cmd_lock);
		for (unsigned i = 0; i < n; i++) {
			struct uring_cmd_state *s = cmd_state(batch[i]);
			const struct ursa_file_operations *fops =
				ursa_device_fops(s->dev);

			fops->uring_cmd(&s->cmd, URSA_URING_F_CANCEL |
				driver_issue_flags(batch[i], URSA_ISSUE_WORKER));
			cmd_unbusy(batch[i], CMD_QUEUED);
		}
		if (n == 64)
			continue;
		pthread_mutex_lock(&ring->cmd_lock);
		if (!ring->nr_uring_cmds) {
			pthread_mutex_unlock(&ring->cmd_lock);
			return;
		}
		if (ring->setup_flags & IORING_SETUP_DEFER_TASKRUN) {
			pthread_mutex_unlock(&ring->cmd_lock);
			ursa_poll_run(ring, 10 * 1000 * 1000, NULL);
		} else {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&ring->cmd_cond, &ring->cmd_lock, &ts);
			pthread_mutex_unlock(&ring->cmd_lock);
		}
	}
}
