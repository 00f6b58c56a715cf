/* SPDX-License-Identifier: MIT */
/*
 * FUTEX_WAIT, FUTEX_WAKE and FUTEX_WAITV through the futex2 syscalls.
 *
 * A wait really sleeps in the kernel's futex code, on a worker, so any
 * futex wake in the process (a FUTEX_WAKE SQE, a plain futex() call, a
 * pthread unlock) ends it.  The kernel's io_uring queues the waiter on the
 * futex before the submit call returns, so a wake submitted afterwards is
 * guaranteed to find it; to keep that ordering, the issuing thread hands
 * the wait to a worker and waits until the worker is asleep in the futex
 * syscall (it reads /proc/self/task/TID/syscall, which reports a syscall
 * only for a thread that is off the CPU inside it).
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "futex.h"
#include "iowq.h"

/* futex2 ABI (linux/futex.h from 6.7 on; older headers lack them). */
#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32		0x02
#endif
#ifndef FUTEX2_SIZE_MASK
#define FUTEX2_SIZE_MASK	0x03
#endif
#ifndef FUTEX2_NUMA
#define FUTEX2_NUMA		0x04
#endif
#ifndef FUTEX2_MPOL
#define FUTEX2_MPOL		0x08
#endif
#ifndef FUTEX2_PRIVATE
#define FUTEX2_PRIVATE		FUTEX_PRIVATE_FLAG
#endif
/* What the kernel accepts in a futex2 flags word (kernel/futex/futex.h). */
#define FUTEX2_VALID		(FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | \
				 FUTEX2_PRIVATE)

/* The futex2 syscalls have the same number on every architecture. */
#ifndef SYS_futex_waitv
#define SYS_futex_waitv		449
#endif
#ifndef SYS_futex_wake
#define SYS_futex_wake		454
#endif
#ifndef SYS_futex_wait
#define SYS_futex_wait		455
#endif

/* How long an issuer waits for its worker to fall asleep, at most. */
#define ARM_MAX_NS		(500ull * 1000 * 1000)

enum { ARM_HANDED, ARM_ENTERING, ARM_DONE };

/*
 * Shared by the issuing thread and the worker: the request itself may be
 * completed and recycled while the issuer still looks, so this lives apart
 * with two references (the issuer's, and the request's, dropped at cleanup).
 */
struct futex_arm {
	_Atomic int	refs;
	_Atomic int	state;		/* ARM_* */
	int		tid;		/* worker, valid once ENTERING */
	long		nr;		/* syscall the worker sleeps in */
	uint64_t	arg0;		/* and its first argument */
};

struct futex_op {
	uint64_t		uaddr;
	uint64_t		val;	/* WAIT: expected value; WAKE: how many */
	uint64_t		mask;
	uint32_t		flags;	/* FUTEX2_* */
	uint32_t		nr;	/* WAITV: entries */
	struct futex_waitv	*vec;	/* WAITV: our copy of the array */
	struct futex_arm	*arm;
};

static _Atomic int no_futex2;	/* the kernel lacks futex_wait/futex_wake */

static bool canceled(struct ursa_req *req)
{
	return atomic_load(&req->cancel) != 0;
}

static bool flags_valid(uint32_t flags)
{
	/* Only 32-bit futexes exist (futex_flags_valid()). */
	return !(flags & ~FUTEX2_VALID) &&
	       (flags & FUTEX2_SIZE_MASK) == FUTEX2_SIZE_U32;
}

/* FUTEX_WAIT and FUTEX_WAKE share the layout and the checks. */
int ursa_futex_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct futex_op *f = ursa_req_data(req, struct futex_op);

	memset(f, 0, sizeof(*f));
	if (sqe->len || sqe->futex_flags || sqe->buf_index || sqe->file_index)
		return -EINVAL;
	f->uaddr = sqe->addr;
	f->val = sqe->addr2;
	f->mask = sqe->addr3;
	f->flags = (uint32_t)sqe->fd;
	if (!flags_valid(f->flags))
		return -EINVAL;
	/* A 32-bit futex takes 32-bit values and masks. */
	if ((f->val >> 32) || (f->mask >> 32))
		return -EINVAL;
	return 0;
}

int ursa_futexv_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct futex_op *f = ursa_req_data(req, struct futex_op);
	const struct futex_waitv *uvec;
	uint32_t i;

	memset(f, 0, sizeof(*f));
	/* No flags or mask for waitv: each entry carries its own. */
	if (sqe->fd || sqe->buf_index || sqe->file_index || sqe->addr2 ||
	    sqe->futex_flags || sqe->addr3)
		return -EINVAL;
	f->nr = sqe->len;
	if (!f->nr || f->nr > FUTEX_WAITV_MAX)
		return -EINVAL;
	f->vec = calloc(f->nr, sizeof(*f->vec));
	if (!f->vec)
		return -ENOMEM;
	/* Copied now (the application may reuse the array after submit),
	 * one entry at a time so the first bad entry decides the error. */
	uvec = (const struct futex_waitv *)(uintptr_t)sqe->addr;
	for (i = 0; i < f->nr; i++) {
		struct futex_waitv *w = &f->vec[i];

		if (ursa_copy_from_user(w, &uvec[i], sizeof(*w)))
			return -EFAULT;
		if (!flags_valid(w->flags) || w->__reserved)
			return -EINVAL;
		if (w->val >> 32)
			return -EINVAL;
	}
	return 0;
}

void ursa_futex_cleanup(struct ursa_req *req)
{
	struct futex_op *f = ursa_req_data(req, struct futex_op);
	struct futex_arm *arm = f->arm;

	free(f->vec);
	f->vec = NULL;
	if (arm) {
		/* The request is finished however it ended: an issuer still
		 * waiting for the worker to fall asleep stops waiting. */
		atomic_store_explicit(&arm->state, ARM_DONE, memory_order_release);
		if (atomic_fetch_sub(&arm->refs, 1) == 1)
			free(arm);
		f->arm = NULL;
	}
}

/* ------------------------------------------------------------- the hand-off */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Is the thread behind fd (its /proc syscall file) asleep in syscall nr
 * with first argument arg0?  A running thread reads as "running". */
static bool asleep_in(int fd, long nr, uint64_t arg0)
{
	char buf[128];
	unsigned long long a0;
	ssize_t n;
	long got;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%ld 0x%llx", &got, &a0) != 2)
		return false;
	return got == nr && a0 == arg0;
}

/*
 * The worker is about to make its futex syscall (nr, arg0): publish that
 * for the issuer.  Ordering: tid/nr/arg0 before the state (release).
 */
static void arm_enter(struct futex_arm *arm, long nr, uint64_t arg0)
{
	if (!arm)
		return;
	arm->tid = (int)ursa_gettid();
	arm->nr = nr;
	arm->arg0 = arg0;
	atomic_store_explicit(&arm->state, ARM_ENTERING, memory_order_release);
}

/*
 * Wait until the worker sleeps in its futex syscall (queued on the futex,
 * as the kernel's waiter is when submit returns) or the request is done.
 * Bounded: without /proc, or if the worker is held up elsewhere, the
 * issuer goes on after ARM_MAX_NS (the wait itself is still correct, only
 * the ordering against a later wake is no longer guaranteed).
 */
static void arm_wait(struct futex_arm *arm)
{
	uint64_t deadline = now_ns() + ARM_MAX_NS;
	int fd = -1, st;

	while ((st = atomic_load_explicit(&arm->state, memory_order_acquire)) !=
	       ARM_DONE) {
		if (st == ARM_ENTERING) {
			if (fd < 0) {
				char path[64];

				snprintf(path, sizeof(path),
					 "/proc/self/task/%d/syscall", arm->tid);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					break;
			}
			if (asleep_in(fd, arm->nr, arm->arg0))
				break;
		}
		if (now_ns() > deadline)
			break;
		sched_yield();
	}
	if (fd >= 0)
		close(fd);
}

/*
 * First (nonblocking) issue of a wait: give it to a worker and return once
 * it sleeps.  The request then belongs to the worker (URSA_ISSUE_QUEUED).
 */
static int hand_to_worker(struct ursa_req *req, struct futex_op *f)
{
	struct futex_arm *arm = calloc(1, sizeof(*arm));

	if (!arm)
		return URSA_ISSUE_PUNT;		/* still correct, unordered */
	atomic_init(&arm->refs, 2);
	atomic_init(&arm->state, ARM_HANDED);
	f->arm = arm;
	/* Post what completed inline first: nothing may overtake it. */
	if (ursa_in_submit(req->ring))
		ursa_flush_compl(req->ring);
	ursa_iowq_enqueue(req);
	/* req may be complete and recycled from here on: only arm is ours. */
	arm_wait(arm);
	if (atomic_fetch_sub(&arm->refs, 1) == 1)
		free(arm);
	return URSA_ISSUE_QUEUED;
}

/* --------------------------------------------------------------- the ops */

static long sys_futex_wait(struct futex_op *f)
{
	if (!atomic_load_explicit(&no_futex2, memory_order_relaxed)) {
		long ret = syscall(SYS_futex_wait, (void *)(uintptr_t)f->uaddr,
				   (unsigned long)f->val, (unsigned long)f->mask,
				   f->flags, NULL, CLOCK_MONOTONIC);

		if (ret == 0 || errno != ENOSYS)
			return ret;
		atomic_store(&no_futex2, 1);
	}
	/* Kernels before 6.7: the classic call covers 32-bit futexes. */
	if (f->flags & (FUTEX2_NUMA | FUTEX2_MPOL)) {
		errno = EINVAL;
		return -1;
	}
	return syscall(SYS_futex, (void *)(uintptr_t)f->uaddr,
		       FUTEX_WAIT_BITSET |
		       ((f->flags & FUTEX2_PRIVATE) ? FUTEX_PRIVATE_FLAG : 0),
		       (uint32_t)f->val, NULL, NULL, (uint32_t)f->mask);
}

int ursa_futex_wait_issue(struct ursa_req *req, unsigned issue_flags)
{
	struct futex_op *f = ursa_req_data(req, struct futex_op);

	if (!f->mask)
		return -EINVAL;
	if (!(issue_flags & URSA_ISSUE_WORKER)) {
		/*
		 * A value that already differs completes here, as the kernel
		 * does at issue, without a worker.  The kernel's checks in
		 * order: alignment, address, value.  NUMA futexes (a second
		 * word the kernel may write) are left to the syscall.
		 */
		if (!(f->flags & (FUTEX2_NUMA | FUTEX2_MPOL))) {
			uint32_t cur;

			if (f->uaddr & 3)
				return -EINVAL;
			if (ursa_copy_from_user(&cur, (const void *)(uintptr_t)f->uaddr,
						sizeof(cur)))
				return -EFAULT;
			if (cur != (uint32_t)f->val)
				return -EAGAIN;
		}
		return hand_to_worker(req, f);
	}
	for (;;) {
		long nr = atomic_load_explicit(&no_futex2, memory_order_relaxed) ?
			  SYS_futex : SYS_futex_wait;

		arm_enter(f->arm, nr, f->uaddr);
		if (sys_futex_wait(f) == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
		/* Only the cancel signal reaches a worker; the kernel
		 * completes a cancelled futex wait with -ECANCELED. */
		if (canceled(req))
			return -ECANCELED;
	}
}

int ursa_futex_wake_issue(struct ursa_req *req, unsigned issue_flags)
{
	struct futex_op *f = ursa_req_data(req, struct futex_op);
	long ret;

	(void)issue_flags;
	if (!atomic_load_explicit(&no_futex2, memory_order_relaxed)) {
		/* futex_wake(2) is the kernel's strict wake: waking 0 wakes
		 * nobody (the classic FUTEX_WAKE wakes one). */
		ret = syscall(SYS_futex_wake, (void *)(uintptr_t)f->uaddr,
			      (unsigned long)f->mask, (int)f->val, f->flags);
		if (ret >= 0)
			return (int)ret;
		if (errno != ENOSYS)
			return -errno;
		atomic_store(&no_futex2, 1);
	}
	if (f->flags & (FUTEX2_NUMA | FUTEX2_MPOL))
		return -EINVAL;
	if (!f->mask)
		return -EINVAL;
	if ((int)f->val <= 0)
		return 0;
	ret = syscall(SYS_futex, (void *)(uintptr_t)f->uaddr,
		      FUTEX_WAKE_BITSET |
		      ((f->flags & FUTEX2_PRIVATE) ? FUTEX_PRIVATE_FLAG : 0),
		      (int)f->val, NULL, NULL, (uint32_t)f->mask);
	return ret < 0 ? -errno : (int)ret;
}

/* Result: the index of the futex that woke the wait, as the syscall's. */
int ursa_futexv_wait_issue(struct ursa_req *req, unsigned issue_flags)
{
	struct futex_op *f = ursa_req_data(req, struct futex_op);

	if (!(issue_flags & URSA_ISSUE_WORKER))
		return hand_to_worker(req, f);
	for (;;) {
		long ret;

		arm_enter(f->arm, SYS_futex_waitv, (uint64_t)(uintptr_t)f->vec);
		ret = syscall(SYS_futex_waitv, f->vec, f->nr, 0, NULL, 0);
		if (ret >= 0)
			return (int)ret;
		if (errno != EINTR)
			return -errno;
		if (canceled(req))
			return -ECANCELED;
	}
}
