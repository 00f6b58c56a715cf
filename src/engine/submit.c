/* SPDX-License-Identifier: MIT */
/*
 * The path of a request: SQE fetch, init and prep, link assembly, drain,
 * issue (inline, readiness wait or worker), completion and the link rules.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "opdef.h"
#include "executor.h"
#include "iowq.h"
#include "poll.h"
#include "rsrc.h"
#include "timeout.h"

#define LINK_FLAGS (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)
#define REQ_F_SKIP_LINK_CQES	(1u << 20)


/* The ring whose submission loop runs on this thread: its completions are
 * batched, and its requests are freed into the lock-free local cache. */
static __thread struct ursa_ring *tls_submit_ring;

/* ---------------------------------------------------------------- requests */

/* Requests freed by other threads land on ring->req_free_remote, a lock-free
 * stack (push by CAS; the submitter takes the whole list by exchange, so no
 * ABA is possible). */
static void req_free_remote(struct ursa_ring *ring, struct ursa_req *req)
{
	struct ursa_req *head = __atomic_load_n(&ring->req_free_remote,
						__ATOMIC_RELAXED);
	do {
		req->next = head;
	} while (!__atomic_compare_exchange_n(&ring->req_free_remote, &head,
					      req, true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

struct ursa_req *ursa_req_alloc(struct ursa_ring *ring)
{
	struct ursa_req *req = ring->req_cache;

	if (unlikely(!req)) {
		req = __atomic_exchange_n(&ring->req_free_remote, NULL,
					  __ATOMIC_ACQUIRE);
		if (!req) {
			req = malloc(sizeof(*req));
			if (!req)
				return NULL;
			req->next = NULL;
		}
	}
	ring->req_cache = req->next;
	return req;
}

void ursa_req_free(struct ursa_req *req)
{
	struct ursa_ring *ring = req->ring;
	const struct ursa_opdef *def = &ursa_opdefs[req->opcode];

	if (def->cleanup && (req->flags & REQ_F_PREPPED))
		def->cleanup(req);
	if (req->file_node)
		ursa_file_node_put(req->file_node);
	if (req->buf_node)
		ursa_buf_node_put(req->buf_node);
	if (tls_submit_ring == ring) {
		req->next = ring->req_cache;
		ring->req_cache = req;
	} else {
		req_free_remote(ring, req);
	}
}

void ursa_req_cache_free(struct ursa_ring *ring)
{
	struct ursa_req *req, *next;

	req = __atomic_exchange_n(&ring->req_free_remote, NULL, __ATOMIC_ACQUIRE);
	for (; req; req = next) {
		next = req->next;
		free(req);
	}
	for (req = ring->req_cache; req; req = next) {
		next = req->next;
		free(req);
	}
	ring->req_cache = NULL;
}

/* -------------------------------------------------------------- completion */

static void fail_links(struct ursa_req *link, bool skip_cqes);

/*
 * Finished requests, for drain.  The submitting thread (which finishes most
 * requests, inline) counts in a word only it writes, without a locked
 * instruction; other threads count in a shared atomic.
 */
static inline void count_complete(struct ursa_ring *ring)
{
	if (tls_submit_ring == ring)
		atomic_store_explicit(&ring->complete_local,
			atomic_load_explicit(&ring->complete_local,
					     memory_order_relaxed) + 1,
			memory_order_release);
	else
		atomic_fetch_add_explicit(&ring->complete_remote, 1,
					  memory_order_release);
}

static inline uint64_t completed(struct ursa_ring *ring)
{
	return atomic_load_explicit(&ring->complete_local, memory_order_acquire) +
	       atomic_load_explicit(&ring->complete_remote, memory_order_acquire);
}
static void drain_flush(struct ursa_ring *ring);

static void post_req_cqe(struct ursa_req *req)
{
	struct ursa_ring *ring = req->ring;
	const uint64_t *big = (req->flags & REQ_F_BIG_CQE) ?
			      &req->extra1 : NULL;

	if (tls_submit_ring == ring && ring->nr_compl < URSA_COMPL_BATCH) {
		struct ursa_compl *c = &ring->compl[ring->nr_compl++];

		c->user_data = req->user_data;
		c->res = req->res;
		c->flags = req->cflags | (big ? 0x80000000u : 0);
		if (big) {
			c->big[0] = req->extra1;
			c->big[1] = req->extra2;
		}
		if (ring->nr_compl == URSA_COMPL_BATCH)
			ursa_flush_compl(ring);
		return;
	}
	if (ursa_batch_post(ring, req->user_data, req->res, req->cflags, big))
		return;
	ursa_post_cqe(ring, req->user_data, req->res, req->cflags, big);
}

/*
 * Finish a request.  A failure (negative result, or a short transfer the op
 * flagged) of a request with IOSQE_IO_LINK cancels the rest of its chain;
 * IOSQE_IO_HARDLINK keeps the chain going.  A failed request with
 * IOSQE_CQE_SKIP_SUCCESS still posts its own CQE, and then the CQEs of the
 * cancelled links are skipped (the kernel's REQ_F_SKIP_LINK_CQES).
 */
void ursa_req_complete(struct ursa_req *req, int res)
{
	struct ursa_ring *ring = req->ring;
	struct ursa_req *next;

	req->res = res;
	if (res < 0 && !(req->flags & REQ_F_NOFAIL)) {
		const struct ursa_opdef *def = &ursa_opdefs[req->opcode];

		req->flags |= REQ_F_FAIL;
		/* The kernel's ->fail (the op's issue results already are) */
		if (def->fail && (req->flags & REQ_F_PREPPED))
			def->fail(req);
	}
	if ((req->flags & REQ_F_FAIL) && (req->flags & IOSQE_CQE_SKIP_SUCCESS)) {
		req->flags &= ~IOSQE_CQE_SKIP_SUCCESS;
		req->flags |= REQ_F_SKIP_LINK_CQES;
	}
	if (!(req->flags & IOSQE_CQE_SKIP_SUCCESS))
		post_req_cqe(req);
	if (unlikely(req->link_timeout))
		ursa_link_timeout_disarm(req);

	next = req->link;
	req->link = NULL;
	if (next && (req->flags & REQ_F_FAIL) &&
	    !(req->flags & IOSQE_IO_HARDLINK)) {
		fail_links(next, req->flags & REQ_F_SKIP_LINK_CQES);
		next = NULL;
	}
	ursa_req_free(req);
	count_complete(ring);
	if (next)
		ursa_req_issue(next);
	if (unlikely(atomic_load_explicit(&ring->drain_active,
					  memory_order_acquire)))
		drain_flush(ring);
}

static void fail_links(struct ursa_req *link, bool skip_cqes)
{
	struct ursa_ring *ring = link->ring;
	struct ursa_req *next;

	for (; link; link = next) {
		next = link->link;
		link->link = NULL;
		if (!(link->flags & REQ_F_FAIL))
			link->res = -ECANCELED;
		if (!skip_cqes) {
			link->cflags = 0;
			link->flags &= ~REQ_F_BIG_CQE;
			post_req_cqe(link);
		}
		if (link->link_timeout)
			ursa_link_timeout_disarm(link);
		ursa_req_free(link);
		count_complete(ring);
	}
}

/* ------------------------------------------------------------------- issue */

/*
 * Requests are issued through a per-thread queue so that a chain completing
 * inline (each link issuing the next) runs as a loop, not as a recursion as
 * deep as the chain.
 */
static __thread struct ursa_req *tls_issue_head, **tls_issue_tail;
static __thread bool tls_issuing;

static void issue_one(struct ursa_req *req);

void ursa_req_issue(struct ursa_req *req)
{
	req->next = NULL;
	if (tls_issuing) {
		*tls_issue_tail = req;
		tls_issue_tail = &req->next;
		return;
	}
	tls_issuing = true;
	tls_issue_head = NULL;
	tls_issue_tail = &tls_issue_head;
	issue_one(req);
	while ((req = tls_issue_head) != NULL) {
		tls_issue_head = req->next;
		if (!tls_issue_head)
			tls_issue_tail = &tls_issue_head;
		req->next = NULL;
		issue_one(req);
	}
	tls_issuing = false;
}

/* Resolve a fixed file (at issue time, so a link sees files installed by
 * the requests before it: IORING_FEAT_LINKED_FILE). */
static int assign_file(struct ursa_req *req)
{
	if (req->file_node)
		return 0;
	req->file_node = ursa_file_get(req->ring, (unsigned)req->fd);
	if (!req->file_node)
		return -EBADF;
	req->fd = req->file_node->fd;
	return 0;
}

static void handle_issue_result(struct ursa_req *req, int ret)
{
	const struct ursa_opdef *def = &ursa_opdefs[req->opcode];

	if (likely(ret != URSA_ISSUE_RETRY && ret != URSA_ISSUE_QUEUED &&
		   ret != URSA_ISSUE_PUNT)) {
		ursa_req_complete(req, ret);
		return;
	}
	if (ret == URSA_ISSUE_QUEUED)
		return;
	/* Going async: post what completed inline first, so no later
	 * completion can overtake it. */
	if (tls_submit_ring == req->ring)
		ursa_flush_compl(req->ring);
	if (ret == URSA_ISSUE_RETRY && (def->pollin || def->pollout)) {
		int r = ursa_poll_arm(req, def->pollin ? URSA_POLL_IN : URSA_POLL_OUT);

		if (r == 0)
			return;
		if (r == -ECANCELED) {
			ursa_req_complete(req, -ECANCELED);
			return;
		}
	}
	ursa_iowq_enqueue(req);
}

static void issue_one(struct ursa_req *req)
{
	const struct ursa_opdef *def = &ursa_opdefs[req->opcode];
	int ret;

	if (def->needs_file && (req->flags & IOSQE_FIXED_FILE)) {
		ret = assign_file(req);
		if (ret) {
			ursa_req_complete(req, ret);
			return;
		}
	}
	/* A link timeout starts when the request it guards starts. */
	if (unlikely(req->link_timeout))
		ursa_link_timeout_arm(req);
	if (unlikely(req->flags & REQ_F_PERSONALITY) &&
	    !ursa_personality_ok(req->ring, req->personality)) {
		ursa_req_complete(req, -EPERM);
		return;
	}
	if ((req->flags & IOSQE_ASYNC) || def->force_worker) {
		if (tls_submit_ring == req->ring)
			ursa_flush_compl(req->ring);
		ursa_iowq_enqueue(req);
		return;
	}
	ret = ursa_exec_issue(req, URSA_ISSUE_NONBLOCK);
	handle_issue_result(req, ret);
}

void ursa_req_reissue(struct ursa_req *req, unsigned issue_flags)
{
	const struct ursa_opdef *def = &ursa_opdefs[req->opcode];
	int ret;

	if (!(issue_flags & URSA_ISSUE_WORKER)) {
		handle_issue_result(req, ursa_exec_issue(req, issue_flags));
		return;
	}
	/*
	 * On a worker.  As the kernel's io-wq, a pollable file is first tried
	 * without blocking and, when not ready, waits for readiness instead
	 * of holding the worker; everything else blocks here.
	 */
	if (def->pollin || def->pollout) {
		ret = ursa_exec_issue(req, URSA_ISSUE_NONBLOCK);
		if (ret == URSA_ISSUE_RETRY) {
			int r = ursa_poll_arm(req, def->pollin ? URSA_POLL_IN
							       : URSA_POLL_OUT);
			if (r == 0)
				return;
			if (r == -ECANCELED) {
				ursa_req_complete(req, -ECANCELED);
				return;
			}
			ret = ursa_exec_issue(req, URSA_ISSUE_WORKER);
		} else if (ret == URSA_ISSUE_PUNT) {
			ret = ursa_exec_issue(req, URSA_ISSUE_WORKER);
		}
	} else {
		ret = ursa_exec_issue(req, URSA_ISSUE_WORKER);
	}
	if (ret == URSA_ISSUE_QUEUED)
		return;
	if (ret == URSA_ISSUE_RETRY || ret == URSA_ISSUE_PUNT)
		ret = -EAGAIN;	/* a blocking issue cannot ask to block */
	ursa_req_complete(req, ret);
}

/* ------------------------------------------------------------------- drain */

/*
 * IOSQE_IO_DRAIN: the request starts only when every request submitted
 * before it has completed, and requests submitted after it start only when
 * it (and its chain) has completed.  While a drain is pending every new
 * request joins the defer list, in order.  seq counts requests submitted
 * before a request; complete_seq counts finished requests.
 */
static bool drain_ready(struct ursa_ring *ring, struct ursa_req *req,
			uint64_t done)
{
	if (req->flags & IOSQE_IO_DRAIN)
		return done >= req->seq;
	return done >= ring->drain_end;
}

static void drain_flush(struct ursa_ring *ring)
{
	struct ursa_req *ready = NULL, **ready_tail = &ready, *req;
	uint64_t done;

	pthread_mutex_lock(&ring->defer_lock);
	done = completed(ring);
	while ((req = ring->defer_head) && drain_ready(ring, req, done)) {
		ring->defer_head = req->next;
		if (!ring->defer_head)
			ring->defer_tail = &ring->defer_head;
		if (req->flags & IOSQE_IO_DRAIN) {
			ring->drain_end = req->seq + req->chain_len;
			/* Later entries wait for this one; stop here. */
			*ready_tail = req;
			ready_tail = &req->next;
			req->next = NULL;
			break;
		}
		*ready_tail = req;
		ready_tail = &req->next;
		req->next = NULL;
	}
	if (!ring->defer_head && done >= ring->drain_end)
		atomic_store_explicit(&ring->drain_active, false,
				      memory_order_release);
	pthread_mutex_unlock(&ring->defer_lock);

	while ((req = ready)) {
		ready = req->next;
		ursa_req_issue(req);
	}
}

static void drain_defer(struct ursa_ring *ring, struct ursa_req *req)
{
	pthread_mutex_lock(&ring->defer_lock);
	atomic_store_explicit(&ring->drain_active, true, memory_order_release);
	req->next = NULL;
	*ring->defer_tail = req;
	ring->defer_tail = &req->next;
	pthread_mutex_unlock(&ring->defer_lock);
	drain_flush(ring);
}

void ursa_drain_defer_cancel(struct ursa_ring *ring)
{
	struct ursa_req *req, *next;

	pthread_mutex_lock(&ring->defer_lock);
	req = ring->defer_head;
	ring->defer_head = NULL;
	ring->defer_tail = &ring->defer_head;
	atomic_store(&ring->drain_active, false);
	pthread_mutex_unlock(&ring->defer_lock);
	for (; req; req = next) {
		next = req->next;
		req->flags |= REQ_F_FAIL;
		ursa_req_complete(req, -ECANCELED);
	}
}

/* Queue a complete chain (or a lone request) for issue. */
static void queue_chain(struct ursa_ring *ring, struct ursa_req *head)
{
	if (unlikely(head->flags & REQ_F_FAIL)) {
		/* Failed during submission: nothing of it runs.  Hard links
		 * become soft so the whole chain is cancelled. */
		head->flags &= ~IOSQE_IO_HARDLINK;
		head->flags |= IOSQE_IO_LINK;
		ursa_req_complete(head, head->res);
		return;
	}
	if (unlikely((head->flags & IOSQE_IO_DRAIN) ||
		     atomic_load_explicit(&ring->drain_active,
					  memory_order_acquire))) {
		drain_defer(ring, head);
		return;
	}
	ursa_req_issue(head);
}

/* ---------------------------------------------------------------- init/prep */

static bool restriction_ok(struct ursa_ring *ring, struct ursa_req *req)
{
	unsigned op = req->opcode;
	uint8_t f = (uint8_t)(req->flags & REQ_F_SQE_MASK);

	if (!(ring->restrict_sqe_op[op / 64] & (1ull << (op % 64))))
		return false;
	if ((f & ring->restrict_sqe_flags_required) !=
	    ring->restrict_sqe_flags_required)
		return false;
	if (f & ~(ring->restrict_sqe_flags_allowed |
		  ring->restrict_sqe_flags_required))
		return false;
	return true;
}

/* Read the SQE into the request: common fields, then the opcode's prep. */
static int init_req(struct ursa_ring *ring, struct ursa_req *req,
		    const struct io_uring_sqe *sqe, unsigned *left)
{
	const struct ursa_opdef *def;
	uint8_t sqe_flags;
	unsigned opcode;

	opcode = __atomic_load_n(&sqe->opcode, __ATOMIC_RELAXED);
	sqe_flags = __atomic_load_n(&sqe->flags, __ATOMIC_RELAXED);
	req->ring = ring;
	req->opcode = 0;
	req->flags = sqe_flags;
	req->user_data = sqe->user_data;
	req->res = 0;
	req->cflags = 0;
	req->file_node = NULL;
	req->buf_node = NULL;
	req->link = NULL;
	req->next = NULL;
	req->fd = -1;
	req->ioprio = 0;
	req->personality = 0;
	req->chain_len = 1;
	atomic_store_explicit(&req->worker_tid, 0, memory_order_relaxed);
	atomic_store_explicit(&req->cancel, 0, memory_order_relaxed);
	req->link_timeout = NULL;
	req->cancel_seq = 0;

	if (unlikely(opcode >= IORING_OP_LAST))
		return -EINVAL;
	req->opcode = (uint8_t)opcode;
	def = &ursa_opdefs[opcode];

	if (unlikely(def->sqe128)) {
		/* The 128-byte ops exist for SQE_MIXED rings only (the kernel
		 * refuses them even on SQE128 rings); there they take two
		 * contiguous entries, which may not wrap. */
		if (!ring->sqe_mixed || *left < 2 ||
		    (ring->cached_sq_head & ring->sq_mask) == 0)
			return -EINVAL;
		ring->cached_sq_head++;
		(*left)--;
	}
	if (unlikely(sqe_flags & ~(IOSQE_FIXED_FILE | IOSQE_IO_LINK |
				   IOSQE_IO_HARDLINK | IOSQE_ASYNC))) {
		if (sqe_flags & ~URSA_SQE_FLAGS)
			return -EINVAL;
		if ((sqe_flags & IOSQE_BUFFER_SELECT) && !def->buffer_select)
			return -EOPNOTSUPP;
		if (sqe_flags & IOSQE_CQE_SKIP_SUCCESS)
			ring->drain_disabled = true;
		if ((sqe_flags & IOSQE_IO_DRAIN) && ring->drain_disabled)
			return -EOPNOTSUPP;
	}
	if (unlikely(ring->restricted) && !restriction_ok(ring, req))
		return -EACCES;
	if (!def->ioprio && sqe->ioprio)
		return -EINVAL;
	if (unlikely(ring->setup_flags & IORING_SETUP_IOPOLL) && !def->iopoll)
		return -EINVAL;
	if (def->needs_file)
		req->fd = sqe->fd;
	if (unlikely(sqe->personality)) {
		unsigned id = sqe->personality;

		if (id >= 64 || !ring->personalities[id])
			return -EINVAL;
		req->personality = (uint16_t)id;
		req->flags |= REQ_F_PERSONALITY;
	}
	/* cleanup runs whatever prep returns, so an opcode with one starts
	 * from zeroed state (those without skip the cost). */
	if (def->cleanup || def->fail)
		memset(req->op.bytes, 0, sizeof(req->op.bytes));
	req->flags |= REQ_F_PREPPED;
	return def->prep(req, sqe);
}

/*
 * A request that fails init: the kernel keeps assembling its link so a
 * chain is never broken in the middle; the chain head is marked failed and
 * the whole chain completes as failed when it is closed.
 */
static int submit_fail_init(struct ursa_ring *ring, struct ursa_req *req,
			    int ret)
{
	struct ursa_req *head = ring->link_head;

	req->flags |= REQ_F_FAIL;
	req->res = ret;
	if (req->flags & IOSQE_CQE_SKIP_SUCCESS) {
		req->flags &= ~IOSQE_CQE_SKIP_SUCCESS;
		req->flags |= REQ_F_SKIP_LINK_CQES;
	}
	if (head && !(head->flags & REQ_F_FAIL)) {
		head->flags |= REQ_F_FAIL;
		head->res = -ECANCELED;
		if (head->flags & IOSQE_CQE_SKIP_SUCCESS) {
			head->flags &= ~IOSQE_CQE_SKIP_SUCCESS;
			head->flags |= REQ_F_SKIP_LINK_CQES;
		}
	}
	if (!(req->flags & LINK_FLAGS)) {
		if (head) {
			ring->link_last->link = req;
			head->chain_len++;
			ring->link_head = NULL;
			req = head;
		}
		queue_chain(ring, req);
		return ret;
	}
	if (head) {
		ring->link_last->link = req;
		head->chain_len++;
	} else {
		ring->link_head = req;
	}
	ring->link_last = req;
	return 0;
}

static int submit_sqe(struct ursa_ring *ring, struct ursa_req *req,
		      const struct io_uring_sqe *sqe, unsigned *left)
{
	struct ursa_req *head = ring->link_head;
	int ret;

	req->seq = ring->submit_seq++;
	ret = init_req(ring, req, sqe, left);
	if (unlikely(ret))
		return submit_fail_init(ring, req, ret);

	if (unlikely(head)) {
		if (req->opcode == IORING_OP_LINK_TIMEOUT) {
			/* Not a chain member: it guards the one before it
			 * (prep checked there is one). */
			ring->link_last->link_timeout = req;
		} else {
			ring->link_last->link = req;
			ring->link_last = req;
		}
		head->chain_len++;
		if (req->flags & LINK_FLAGS)
			return 0;
		ring->link_head = NULL;
		queue_chain(ring, head);
		return 0;
	}
	if (unlikely(req->flags & LINK_FLAGS)) {
		ring->link_head = req;
		ring->link_last = req;
		return 0;
	}
	queue_chain(ring, req);
	return 0;
}

/*
 * Consume up to nr SQEs.  Returns the number consumed (a request that fails
 * init counts, as it posts a CQE), or -EAGAIN if nothing could be allocated.
 * Called with uring_lock held.
 */
int ursa_submit_sqes(struct ursa_ring *ring, unsigned nr)
{
	unsigned tail, avail, left, submitted;
	struct ursa_ring *prev_submit = tls_submit_ring;
	int ret = 0;

	if (unlikely(ring->setup_flags & IORING_SETUP_SQ_REWIND)) {
		/* Head and tail are not used: the batch is sqes[0, nr). */
		ring->cached_sq_head = 0;
		avail = ring->sq_entries;
	} else {
		tail = atomic_load_explicit(ring->sq_tail, memory_order_acquire);
		avail = tail - ring->cached_sq_head;
		if (avail > ring->sq_entries)
			avail = ring->sq_entries;
	}
	if (nr > avail)
		nr = avail;
	if (!nr)
		return 0;

	tls_submit_ring = ring;
	left = nr;
	do {
		const struct io_uring_sqe *sqe;
		struct ursa_req *req;
		unsigned idx;

		req = ursa_req_alloc(ring);
		if (unlikely(!req))
			break;
		idx = ring->cached_sq_head++ & ring->sq_mask;
		if (ring->sq_array) {
			idx = __atomic_load_n(&ring->sq_array[idx], __ATOMIC_RELAXED);
			if (unlikely(idx >= ring->sq_entries)) {
				__atomic_store_n(ring->sq_dropped,
						 *ring->sq_dropped + 1,
						 __ATOMIC_RELAXED);
				req->next = ring->req_cache;
				ring->req_cache = req;
				break;
			}
		}
		if (ring->compat_big_sqe)
			idx <<= 1;
		sqe = (const struct io_uring_sqe *)(ring->sqes + (size_t)idx * 64);
		if (unlikely(submit_sqe(ring, req, sqe, &left)) &&
		    !(ring->setup_flags & IORING_SETUP_SUBMIT_ALL)) {
			left--;
			break;
		}
	} while (--left);

	submitted = nr - left;
	if (unlikely(left) && !submitted && !ring->req_cache)
		ret = -EAGAIN;

	/* End of the batch: a chain still open is submitted as it is. */
	if (ring->link_head) {
		struct ursa_req *head = ring->link_head;

		ring->link_head = NULL;
		queue_chain(ring, head);
	}
	if (unlikely(ring->setup_flags & IORING_SETUP_SQ_REWIND))
		ring->cached_sq_head = 0;
	else
		atomic_store_explicit(ring->sq_head, ring->cached_sq_head,
				      memory_order_release);
	ursa_flush_compl(ring);
	tls_submit_ring = prev_submit;
	return ret ? ret : (int)submitted;
}

bool ursa_in_submit(struct ursa_ring *ring)
{
	return tls_submit_ring == ring;
}
