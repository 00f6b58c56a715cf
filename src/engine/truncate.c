/* SPDX-License-Identifier: MIT */
/* FTRUNCATE. */
#include <unistd.h>

#include "truncate.h"

struct truncate_op {
	int64_t len;
};

int ursa_ftruncate_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct truncate_op *t = ursa_req_data(req, struct truncate_op);

	if (sqe->rw_flags || sqe->addr || sqe->len || sqe->buf_index ||
	    sqe->splice_fd_in || sqe->addr3)
		return -EINVAL;
	t->len = (int64_t)sqe->off;
	return 0;
}

int ursa_ftruncate(struct ursa_req *req, unsigned issue_flags)
{
	struct truncate_op *t = ursa_req_data(req, struct truncate_op);

	(void)issue_flags;
	if (ftruncate(req->fd, (off_t)t->len) < 0)
		return -errno;
	return 0;
}
