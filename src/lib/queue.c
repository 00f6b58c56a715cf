/* SPDX-License-Identifier: MIT */
/*
 * Submission and completion paths that may need to enter io_uring:
 * submit, wait (with timeouts, signal masks, registered wait regions),
 * batch peek, SQPOLL wakeup and SQ-space waits.
 */
#include "lib.h"

/*
 * Does submitting 'submit' SQEs need an enter call?  Always without SQPOLL.
 * With SQPOLL only when the poller went to sleep, and then the call must
 * wake it (IORING_ENTER_SQ_WAKEUP is added to *flags).
 */
static bool sq_needs_enter(struct io_uring *ring, unsigned submit,
			   unsigned *flags)
{
	if (!submit)
		return false;
	if (!(ring->flags & IORING_SETUP_SQPOLL))
		return true;
	/*
	 * Full fence: our tail store must be visible before we sample the
	 * wakeup flag, or the poller could sleep on a tail it never saw.
	 */
	io_uring_smp_mb();
	if (uring_unlikely(IO_URING_READ_ONCE(*ring->sq.kflags) &
			   IORING_SQ_NEED_WAKEUP)) {
		*flags |= IORING_ENTER_SQ_WAKEUP;
		return true;
	}
	return false;
}

/* Completions are held back (overflow list, deferred task work). */
static bool cq_needs_flush(struct io_uring *ring)
{
	return IO_URING_READ_ONCE(*ring->sq.kflags) &
	       (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN);
}

static bool cq_needs_enter(struct io_uring *ring)
{
	return (ring->int_flags & INT_FLAG_CQ_ENTER) || cq_needs_flush(ring);
}

/* What one get-CQE request wants from the enter calls it makes. */
struct cqe_request {
	unsigned submit;	/* SQEs still to submit */
	unsigned wait_nr;	/* completions to wait for */
	unsigned enter_flags;	/* extra flags on waiting enters (EXT_ARG...) */
	size_t arg_sz;		/* size passed with arg */
	bool has_ts;		/* the wait is bounded by a timeout */
	void *arg;		/* sigset, getevents_arg, or reg-wait offset */
};

/*
 * Find a CQE, submitting and waiting as the request says.  At most one
 * waiting enter is made when a timeout applies; its expiry with no CQE
 * reports -ETIME.  Returns 0 or the number submitted by the first enter
 * call (liburing's convention), or -errno; *cqe_ptr is the CQE or NULL.
 */
static int get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		   struct cqe_request *req)
{
	struct io_uring_cqe *cqe = NULL;
	bool entered = false;
	int err = 0;

	for (;;) {
		unsigned flags = ring_enter_flags(ring);
		bool enter = false;
		unsigned avail;
		int ret;

		ret = __io_uring_peek_cqe(ring, &cqe, &avail);
		if (ret) {
			if (!err)
				err = ret;
			break;
		}
		if (!cqe && !req->wait_nr && !req->submit) {
			/*
			 * Pure peek.  Enter at most once, and only if the
			 * server may be holding completions back.
			 */
			if (entered || !cq_needs_enter(ring)) {
				if (!err)
					err = -EAGAIN;
				break;
			}
			enter = true;
		}
		if (req->wait_nr > avail || enter) {
			flags |= IORING_ENTER_GETEVENTS | req->enter_flags;
			enter = true;
		}
		if (sq_needs_enter(ring, req->submit, &flags))
			enter = true;
		if (!enter)
			break;
		if (entered && req->has_ts) {
			/* the timed wait already happened and found nothing */
			if (req->enter_flags & IORING_ENTER_EXT_ARG_REG) {
				/* arg is an offset: the region holds the timeout */
				if (!cqe && !err)
					err = -ETIME;
			} else {
				struct io_uring_getevents_arg *ga = req->arg;

				if (!cqe && ga->ts && !err)
					err = -ETIME;
			}
			break;
		}

		ret = lib_enter2((unsigned) ring->enter_ring_fd, req->submit,
				 req->wait_nr, flags, req->arg, req->arg_sz);
		if (ret < 0) {
			if (!err)
				err = ret;
			break;
		}
		req->submit -= (unsigned) ret;
		if (cqe)
			break;
		if (!entered) {
			entered = true;
			err = ret;
		}
	}

	*cqe_ptr = cqe;
	return err;
}

int __io_uring_get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		       unsigned submit, unsigned wait_nr, sigset_t *sigmask)
{
	struct cqe_request req = {
		.submit = submit,
		.wait_nr = wait_nr,
		.arg_sz = _NSIG / 8,
		.arg = sigmask,
	};

	return get_cqe(ring, cqe_ptr, &req);
}

/* Enter only to let the server flush deferred completions into the CQ. */
int io_uring_get_events(struct io_uring *ring)
{
	return lib_enter((unsigned) ring->enter_ring_fd, 0, 0,
			 IORING_ENTER_GETEVENTS | ring_enter_flags(ring), NULL);
}

/*
 * Collect up to *count CQE pointers from the head without consuming them.
 * On CQE_MIXED rings entries take one or two slots and padding entries
 * (IORING_CQE_F_SKIP) appear at wrap time: those are consumed here, but
 * only while at the head, so the caller's later cq_advance(count) stays
 * consistent.  *count becomes the number of pointers stored.
 */
static bool peek_batch(struct io_uring *ring, struct io_uring_cqe **cqes,
		       unsigned *count)
{
	unsigned ready = io_uring_cq_ready(ring);
	unsigned head, end, mask, n;

	if (!ready)
		return false;

	head = *ring->cq.khead;
	mask = ring->cq.ring_mask;
	if (!(ring->flags & IORING_SETUP_CQE_MIXED)) {
		unsigned shift = io_uring_cqe_shift(ring);

		if (*count > ready)
			*count = ready;
		for (n = 0; n < *count; n++)
			cqes[n] = &ring->cq.cqes[((head + n) & mask) << shift];
		return true;
	}

	end = head + ready;
	n = 0;
	while (head != end && n < *count) {
		struct io_uring_cqe *cqe = &ring->cq.cqes[head & mask];

		if (cqe->flags & IORING_CQE_F_SKIP) {
			if (n)
				break;	/* not at the head: leave for next time */
			io_uring_cq_advance(ring, 1);
			head++;
			continue;
		}
		cqes[n++] = cqe;
		head += io_uring_cqe_nr(cqe);
	}
	*count = n;
	return n != 0;
}

unsigned io_uring_peek_batch_cqe(struct io_uring *ring,
				 struct io_uring_cqe **cqes, unsigned count)
{
	unsigned n = count;

	if (peek_batch(ring, cqes, &n))
		return n;
	if (!cq_needs_flush(ring))
		return 0;
	/* completions are pending on the server side: pull them in once */
	io_uring_get_events(ring);
	n = count;
	if (!peek_batch(ring, cqes, &n))
		return 0;
	return n;
}

/*
 * Publish the SQEs handed out since the last flush by moving the shared
 * tail.  Returns how many SQEs the server has yet to consume.
 */
static unsigned flush_sq(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;
	unsigned tail = sq->sqe_tail;

	/*
	 * SQ_REWIND: the server always reads from slot 0 and ignores the
	 * indexes, so restart handing out at slot 0 after every submit.
	 */
	if (ring->flags & IORING_SETUP_SQ_REWIND) {
		sq->sqe_tail = 0;
		return tail;
	}

	if (sq->sqe_head != tail) {
		sq->sqe_head = tail;
		if (ring->flags & IORING_SETUP_SQPOLL)
			/* release: SQE contents before the tail the poller reads */
			io_uring_smp_store_release(sq->ktail, tail);
		else
			/* read only inside our own enter call */
			IO_URING_WRITE_ONCE(*sq->ktail, tail);
	}
	/*
	 * The head may move concurrently (SQPOLL) but we only need a count
	 * here, not the SQE contents: a relaxed read is enough.
	 */
	return tail - IO_URING_READ_ONCE(*sq->khead);
}

/* Wait through IORING_ENTER_EXT_ARG: timeout and sigmask in one struct. */
static int wait_cqes_ext_arg(struct io_uring *ring,
			     struct io_uring_cqe **cqe_ptr, unsigned wait_nr,
			     struct __kernel_timespec *ts,
			     unsigned min_wait_usec, sigset_t *sigmask)
{
	struct io_uring_getevents_arg arg;
	struct cqe_request req = {
		.wait_nr = wait_nr,
		.enter_flags = IORING_ENTER_EXT_ARG,
		.arg_sz = sizeof(arg),
		.has_ts = ts != NULL,
		.arg = &arg,
	};

	memset(&arg, 0, sizeof(arg));
	arg.sigmask = (__u64) (uintptr_t) sigmask;
	arg.sigmask_sz = _NSIG / 8;
	arg.ts = (__u64) (uintptr_t) ts;
	if (min_wait_usec && (ring->features & IORING_FEAT_MIN_TIMEOUT))
		arg.min_wait_usec = min_wait_usec;
	return get_cqe(ring, cqe_ptr, &req);
}

/*
 * Servers without EXT_ARG (Linux < 5.11) cannot take a timeout on enter:
 * queue a TIMEOUT SQE tagged LIBURING_UDATA_TIMEOUT instead (the peek path
 * swallows its CQE).  This submits everything queued so far, so it is not
 * safe when another thread owns the SQ.  Returns SQEs to submit or -errno.
 */
static int queue_internal_timeout(struct io_uring *ring, unsigned wait_nr,
				  struct __kernel_timespec *ts)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		int ret = io_uring_submit(ring);

		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return -EAGAIN;
	}
	io_uring_prep_timeout(sqe, ts, wait_nr, 0);
	sqe->user_data = LIBURING_UDATA_TIMEOUT;
	return (int) flush_sq(ring);
}

int io_uring_wait_cqes(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		       unsigned wait_nr, struct __kernel_timespec *ts,
		       sigset_t *sigmask)
{
	int to_submit = 0;

	if (ts) {
		if (ring->features & IORING_FEAT_EXT_ARG)
			return wait_cqes_ext_arg(ring, cqe_ptr, wait_nr, ts, 0,
						 sigmask);
		to_submit = queue_internal_timeout(ring, wait_nr, ts);
		if (to_submit < 0)
			return to_submit;
	}
	return __io_uring_get_cqe(ring, cqe_ptr, (unsigned) to_submit, wait_nr,
				  sigmask);
}

int io_uring_wait_cqes_min_timeout(struct io_uring *ring,
				   struct io_uring_cqe **cqe_ptr,
				   unsigned wait_nr,
				   struct __kernel_timespec *ts,
				   unsigned int min_ts_usec, sigset_t *sigmask)
{
	if (!(ring->features & IORING_FEAT_MIN_TIMEOUT))
		return -EINVAL;
	return wait_cqes_ext_arg(ring, cqe_ptr, wait_nr, ts, min_ts_usec,
				 sigmask);
}

int io_uring_wait_cqe_timeout(struct io_uring *ring,
			      struct io_uring_cqe **cqe_ptr,
			      struct __kernel_timespec *ts)
{
	return io_uring_wait_cqes(ring, cqe_ptr, 1, ts, NULL);
}

/*
 * Submit and wait using wait parameters registered in a region
 * (IORING_ENTER_EXT_ARG_REG): the enter argument is the byte offset of
 * entry reg_index.
 */
int io_uring_submit_and_wait_reg(struct io_uring *ring,
				 struct io_uring_cqe **cqe_ptr,
				 unsigned wait_nr, int reg_index)
{
	struct cqe_request req = {
		.wait_nr = wait_nr,
		.enter_flags = IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG,
		.arg_sz = sizeof(struct io_uring_reg_wait),
		.has_ts = true,
	};
	unsigned long off = (unsigned long) reg_index *
			    sizeof(struct io_uring_reg_wait);

	/* check before flushing, so an unsupported call publishes nothing */
	if (!(ring->features & IORING_FEAT_EXT_ARG))
		return -EINVAL;
	req.submit = flush_sq(ring);
	req.arg = (void *) (uintptr_t) off;
	return get_cqe(ring, cqe_ptr, &req);
}

static int submit_and_wait_timeout(struct io_uring *ring,
				   struct io_uring_cqe **cqe_ptr,
				   unsigned wait_nr,
				   struct __kernel_timespec *ts,
				   unsigned min_wait, sigset_t *sigmask)
{
	int to_submit;

	if (ts && (ring->features & IORING_FEAT_EXT_ARG)) {
		struct io_uring_getevents_arg arg;
		struct cqe_request req = {
			.wait_nr = wait_nr,
			.enter_flags = IORING_ENTER_EXT_ARG,
			.arg_sz = sizeof(arg),
			.has_ts = true,
			.arg = &arg,
		};

		memset(&arg, 0, sizeof(arg));
		arg.sigmask = (__u64) (uintptr_t) sigmask;
		arg.sigmask_sz = _NSIG / 8;
		arg.min_wait_usec = min_wait;
		arg.ts = (__u64) (uintptr_t) ts;
		req.submit = flush_sq(ring);
		return get_cqe(ring, cqe_ptr, &req);
	}
	if (ts) {
		to_submit = queue_internal_timeout(ring, wait_nr, ts);
		if (to_submit < 0)
			return to_submit;
	} else {
		to_submit = (int) flush_sq(ring);
	}
	return __io_uring_get_cqe(ring, cqe_ptr, (unsigned) to_submit, wait_nr,
				  sigmask);
}

int io_uring_submit_and_wait_timeout(struct io_uring *ring,
				     struct io_uring_cqe **cqe_ptr,
				     unsigned wait_nr,
				     struct __kernel_timespec *ts,
				     sigset_t *sigmask)
{
	return submit_and_wait_timeout(ring, cqe_ptr, wait_nr, ts, 0, sigmask);
}

int io_uring_submit_and_wait_min_timeout(struct io_uring *ring,
					 struct io_uring_cqe **cqe_ptr,
					 unsigned wait_nr,
					 struct __kernel_timespec *ts,
					 unsigned min_wait, sigset_t *sigmask)
{
	if (!(ring->features & IORING_FEAT_MIN_TIMEOUT))
		return -EINVAL;
	return submit_and_wait_timeout(ring, cqe_ptr, wait_nr, ts, min_wait,
				       sigmask);
}

/*
 * Tell the server about 'submitted' newly published SQEs, optionally
 * waiting for wait_nr completions.  Skips the enter call entirely when
 * SQPOLL is awake and nothing needs reaping.  Returns the number submitted
 * or -errno.
 */
static int do_submit(struct io_uring *ring, unsigned submitted,
		     unsigned wait_nr, bool getevents)
{
	bool reap = getevents || wait_nr || cq_needs_enter(ring);
	unsigned flags = ring_enter_flags(ring);

	if (!sq_needs_enter(ring, submitted, &flags) && !reap)
		return (int) submitted;
	if (reap)
		flags |= IORING_ENTER_GETEVENTS;
	return lib_enter((unsigned) ring->enter_ring_fd, submitted, wait_nr,
			 flags, NULL);
}

int io_uring_submit(struct io_uring *ring)
{
	return do_submit(ring, flush_sq(ring), 0, false);
}

int io_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr)
{
	return do_submit(ring, flush_sq(ring), wait_nr, false);
}

int io_uring_submit_and_get_events(struct io_uring *ring)
{
	return do_submit(ring, flush_sq(ring), 0, true);
}

/* Out-of-line copy for binaries that call the symbol (see <liburing.h>). */
struct io_uring_sqe *io_uring_get_sqe(struct io_uring *ring)
{
	return _io_uring_get_sqe(ring);
}

/* SQPOLL: sleep until the poller has consumed some SQ entries. */
int __io_uring_sqring_wait(struct io_uring *ring)
{
	return lib_enter((unsigned) ring->enter_ring_fd, 0, 0,
			 IORING_ENTER_SQ_WAIT | ring_enter_flags(ring), NULL);
}
