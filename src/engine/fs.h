/* SPDX-License-Identifier: MIT */
/* RENAMEAT, UNLINKAT, MKDIRAT, SYMLINKAT, LINKAT; path copying for every
 * opcode that takes a path. */
#ifndef URSA_FS_H
#define URSA_FS_H
#include "engine.h"

#define URSA_PATH_MAX	4096

/*
 * strncpy_from_user: copy a NUL-terminated string of at most max bytes
 * (NUL included) from application memory.  Returns its length, max if no
 * NUL came within max bytes, or -EFAULT if a byte before either is
 * unreadable.
 */
long ursa_strncpy_from_user(char *dst, uint64_t src, size_t max);

/*
 * The kernel's getname(): a malloc'd copy of the path at uaddr in *out.
 * -EFAULT for a bad pointer, -ENAMETOOLONG from PATH_MAX bytes on,
 * -ENOENT for "" unless allow_empty (AT_EMPTY_PATH).
 */
int ursa_getname(uint64_t uaddr, bool allow_empty, char **out);

/* A worker's blocking syscall saw EINTR: was it the canceller's signal? */
static inline bool ursa_req_canceled(struct ursa_req *req)
{
	return atomic_load(&req->cancel) != 0;
}

/*
 * Run a blocking syscall expression on a worker, restarting it after a
 * stray EINTR; a cancellation's EINTR ends it.  Evaluates to the result or
 * -errno.
 */
#define URSA_SYSCALL_RESTART(req, expr) ({				\
	long r_;							\
	do								\
		r_ = (long)(expr);					\
	while (r_ < 0 && errno == EINTR && !ursa_req_canceled(req));	\
	r_ < 0 ? -errno : (int)r_;					\
})

int ursa_renameat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_renameat(struct ursa_req *req, unsigned issue_flags);
int ursa_unlinkat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_unlinkat(struct ursa_req *req, unsigned issue_flags);
int ursa_mkdirat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_mkdirat(struct ursa_req *req, unsigned issue_flags);
int ursa_symlinkat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_symlinkat(struct ursa_req *req, unsigned issue_flags);
int ursa_linkat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_linkat(struct ursa_req *req, unsigned issue_flags);
void ursa_fs_cleanup(struct ursa_req *req);
#endif
