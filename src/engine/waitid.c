/* SPDX-License-Identifier: MIT */
/*
 * WAITID: waitid(2) on a child.  A child already in the state asked for is
 * reported at once, on the issuing thread; otherwise a worker blocks in
 * waitid() until it is (the kernel parks a wait-queue entry instead).
 *
 * The siginfo is written as the kernel's op writes it: once the wait has
 * looked at the children (a child reported, nothing to report under
 * WNOHANG, or -ECHILD; not for invalid arguments), and only its six fields
 * (si_signo, si_errno, si_code, si_pid, si_uid, si_status, all 0 when
 * nothing is reported).  A reported child is reaped first, so a bad
 * pointer costs the child and gives -EFAULT.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "waitid.h"

struct waitid_op {
	int		which;		/* idtype_t: P_ALL, P_PID, P_PGID, P_PIDFD */
	int		upid;
	int		options;
	uint64_t	infop;		/* the application's siginfo_t, or 0 */
};

int ursa_waitid_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct waitid_op *w = ursa_req_data(req, struct waitid_op);

	if (sqe->addr || sqe->buf_index || sqe->addr3 || sqe->waitid_flags)
		return -EINVAL;
	w->which = (int)sqe->len;
	w->upid = sqe->fd;
	w->options = (int)sqe->file_index;
	w->infop = sqe->addr2;
	return 0;
}

/* Write the wait's fields to the application's siginfo. */
static int copy_info(const struct waitid_op *w, const siginfo_t *si)
{
	char *dst = (char *)(uintptr_t)w->infop;
	size_t head = 3 * sizeof(int);	/* si_signo, si_errno, si_code */
	size_t lo = offsetof(siginfo_t, si_pid);
	size_t hi = offsetof(siginfo_t, si_status) + sizeof(int);

	if (!dst)
		return 0;
	if (ursa_copy_to_user(dst, si, head) ||
	    ursa_copy_to_user(dst + lo, (const char *)si + lo, hi - lo))
		return -EFAULT;
	return 0;
}

int ursa_waitid(struct ursa_req *req, unsigned issue_flags)
{
	struct waitid_op *w = ursa_req_data(req, struct waitid_op);
	bool nonblock = !(issue_flags & URSA_ISSUE_WORKER);
	int options = w->options;
	siginfo_t si;

	/* First try: report a child that is ready, never sleep. */
	if (nonblock)
		options |= WNOHANG;
	for (;;) {
		/* The raw call: the kernel validates which/options exactly as
		 * its op does (kernel_waitid_prepare()). */
		memset(&si, 0, sizeof(si));
		if (syscall(SYS_waitid, w->which, w->upid, &si, options, NULL) == 0)
			break;
		if (errno == ECHILD)
			/* Reported like a finished wait: fields zeroed. */
			return copy_info(w, &si) ?: -ECHILD;
		if (errno != EINTR)
			return -errno;
		if (atomic_load(&req->cancel))
			return -ECANCELED;
	}
	/* Nothing to report yet, and no WNOHANG: wait on a worker. */
	if (!si.si_signo && nonblock && !(w->options & WNOHANG))
		return URSA_ISSUE_PUNT;
	return copy_info(w, &si);
}
