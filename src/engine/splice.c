/* SPDX-License-Identifier: MIT */
/*
 * SPLICE and TEE.  The kernel always runs them in io-wq, blocking (unless
 * SPLICE_F_NONBLOCK); so do we, on unbounded workers since a pipe may stay
 * empty forever.  sqe->fd is the output (fixed with IOSQE_FIXED_FILE, which
 * the core resolves); the input is splice_fd_in, a fixed slot with
 * SPLICE_F_FD_IN_FIXED.  A transfer shorter than asked fails a link.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "rsrc.h"
#include "splice.h"

#define SPLICE_F_ALL_	(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | \
			 SPLICE_F_GIFT)

struct splice_op {
	int64_t		off_in;		/* -1: the file position */
	int64_t		off_out;
	uint32_t	len;
	uint32_t	flags;
	int		fd_in;
};

static int prep_common(struct splice_op *sp, const struct io_uring_sqe *sqe)
{
	sp->len = sqe->len;
	sp->flags = sqe->splice_flags;
	if (sp->flags & ~(SPLICE_F_FD_IN_FIXED | SPLICE_F_ALL_))
		return -EINVAL;
	sp->fd_in = sqe->splice_fd_in;
	return 0;
}

int ursa_splice_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct splice_op *sp = ursa_req_data(req, struct splice_op);

	sp->off_in = (int64_t)sqe->splice_off_in;
	sp->off_out = (int64_t)sqe->off;
	return prep_common(sp, sqe);
}

int ursa_tee_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct splice_op *sp = ursa_req_data(req, struct splice_op);

	if (sqe->splice_off_in || sqe->off)
		return -EINVAL;
	sp->off_in = sp->off_out = -1;
	return prep_common(sp, sqe);
}

static bool fd_valid(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int splice_issue(struct ursa_req *req, bool is_tee)
{
	struct splice_op *sp = ursa_req_data(req, struct splice_op);
	struct ursa_file_node *node = NULL;
	unsigned flags = sp->flags & ~SPLICE_F_FD_IN_FIXED;
	loff_t off_in = sp->off_in, off_out = sp->off_out;
	int in, ret;

	if (sp->flags & SPLICE_F_FD_IN_FIXED) {
		/* a reference for the duration: the slot may be replaced */
		node = ursa_file_get(req->ring, (unsigned)sp->fd_in);
		if (!node) {
			ret = -EBADF;
			goto out;
		}
		in = node->fd;
	} else {
		in = sp->fd_in;
	}

	if (!sp->len) {
		/* Nothing moves, but the kernel has looked both files up. */
		ret = fd_valid(req->fd) && fd_valid(in) ? 0 : -EBADF;
	} else if (is_tee) {
		ret = URSA_SYSCALL_RESTART(req, tee(in, req->fd, sp->len, flags));
	} else {
		ret = URSA_SYSCALL_RESTART(req,
			splice(in, sp->off_in == -1 ? NULL : &off_in, req->fd,
			       sp->off_out == -1 ? NULL : &off_out, sp->len,
			       flags));
	}
	if (node)
		ursa_file_node_put(node);
out:
	if ((int64_t)ret != (int64_t)sp->len)
		ursa_req_set_fail(req);
	return ret;
}

int ursa_splice(struct ursa_req *req, unsigned issue_flags)
{
	(void)issue_flags;
	return splice_issue(req, false);
}

int ursa_tee(struct ursa_req *req, unsigned issue_flags)
{
	(void)issue_flags;
	return splice_issue(req, true);
}
