/* SPDX-License-Identifier: MIT */
/* FADVISE and MADVISE. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "advise.h"

struct advise_op {
	uint64_t	addr;	/* madvise */
	uint64_t	off;	/* fadvise */
	uint64_t	len;
	int32_t		advice;
};

int ursa_fadvise_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct advise_op *a = ursa_req_data(req, struct advise_op);

	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	a->off = sqe->off;
	/* 64-bit length in addr (io_uring_prep_fadvise64); else the u32 len. */
	a->len = sqe->addr ? sqe->addr : sqe->len;
	a->advice = (int32_t)sqe->fadvise_advice;
	return 0;
}

/* The cheap hints run inline; the others may read ahead or write back. */
bool ursa_fadvise_blocks(struct ursa_req *req);
bool ursa_fadvise_blocks(struct ursa_req *req)
{
	struct advise_op *a = ursa_req_data(req, struct advise_op);

	return a->advice != POSIX_FADV_NORMAL && a->advice != POSIX_FADV_RANDOM &&
	       a->advice != POSIX_FADV_SEQUENTIAL;
}

int ursa_fadvise(struct ursa_req *req, unsigned issue_flags)
{
	struct advise_op *a = ursa_req_data(req, struct advise_op);

	if ((issue_flags & URSA_ISSUE_NONBLOCK) && ursa_fadvise_blocks(req))
		return URSA_ISSUE_PUNT;
	/* The raw syscall, so errors come back as the kernel gives them. */
	if (syscall(SYS_fadvise64, req->fd, (off_t)a->off, (off_t)a->len,
		    a->advice) < 0)
		return -errno;
	return 0;
}

int ursa_madvise_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct advise_op *a = ursa_req_data(req, struct advise_op);

	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	a->addr = sqe->addr;
	/* 64-bit length in off (io_uring_prep_madvise64); else the u32 len. */
	a->len = sqe->off ? sqe->off : sqe->len;
	a->advice = (int32_t)sqe->fadvise_advice;
	return 0;
}

int ursa_madvise(struct ursa_req *req, unsigned issue_flags)
{
	struct advise_op *a = ursa_req_data(req, struct advise_op);

	(void)issue_flags;
	if (madvise((void *)(uintptr_t)a->addr, a->len, a->advice) < 0)
		return -errno;
	return 0;
}
