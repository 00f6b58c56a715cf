/* SPDX-License-Identifier: MIT */
/* STATX: on a worker, as the kernel does (an inode may need reading). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "statx.h"

struct statx_op {
	char		*path;
	uint64_t	buf;		/* the application's struct statx */
	int		dfd;
	uint32_t	mask;
	uint32_t	flags;
};

int ursa_statx_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct statx_op *s = ursa_req_data(req, struct statx_op);

	memset(s, 0, sizeof(*s));
	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	s->dfd = sqe->fd;
	s->mask = sqe->len;
	s->buf = sqe->addr2;
	s->flags = sqe->statx_flags;
	return ursa_getname(sqe->addr, s->flags & AT_EMPTY_PATH, &s->path);
}

int ursa_statx(struct ursa_req *req, unsigned issue_flags)
{
	struct statx_op *s = ursa_req_data(req, struct statx_op);

	(void)issue_flags;
	/* The kernel writes the buffer itself and checks the pointer
	 * (-EFAULT); the raw syscall, not glibc's fallback, keeps that. */
	return URSA_SYSCALL_RESTART(req, syscall(SYS_statx, s->dfd, s->path,
						 (int)s->flags, s->mask,
						 (void *)(uintptr_t)s->buf));
}

void ursa_statx_cleanup(struct ursa_req *req)
{
	struct statx_op *s = ursa_req_data(req, struct statx_op);

	free(s->path);
	s->path = NULL;
}
