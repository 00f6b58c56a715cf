/* SPDX-License-Identifier: MIT */
/* IORING_OP_NOP and IORING_OP_NOP128, with the kernel's nop_flags. */
#include <fcntl.h>

#include "nop.h"
#include "rsrc.h"

#define NOP_FLAGS (IORING_NOP_INJECT_RESULT | IORING_NOP_FILE |		\
	IORING_NOP_FIXED_FILE | IORING_NOP_FIXED_BUFFER | IORING_NOP_TW |	\
	IORING_NOP_CQE32)

struct nop_op {
	int32_t		result;
	uint32_t	flags;
	int32_t		fd;
	uint16_t	buf_index;
};

int ursa_nop_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct nop_op *nop = ursa_req_data(req, struct nop_op);

	nop->flags = sqe->nop_flags;
	if (nop->flags & ~NOP_FLAGS)
		return -EINVAL;
	nop->result = (nop->flags & IORING_NOP_INJECT_RESULT) ? (int32_t)sqe->len : 0;
	nop->fd = (nop->flags & IORING_NOP_FILE) ? sqe->fd : -1;
	nop->buf_index = sqe->buf_index;
	if (nop->flags & IORING_NOP_CQE32) {
		if (!req->ring->cqe32 && !req->ring->cqe_mixed)
			return -EINVAL;
		req->extra1 = sqe->off;
		req->extra2 = sqe->addr;
		req->flags |= REQ_F_BIG_CQE;
	}
	return 0;
}

int ursa_nop(struct ursa_req *req, unsigned issue_flags)
{
	struct nop_op *nop = ursa_req_data(req, struct nop_op);

	(void)issue_flags;
	if (nop->flags & IORING_NOP_FILE) {
		if (nop->flags & IORING_NOP_FIXED_FILE) {
			if (!req->file_node) {
				req->file_node = ursa_file_get(req->ring,
							       (unsigned)nop->fd);
				if (!req->file_node)
					return -EBADF;
			}
		} else if (nop->fd < 0 || fcntl(nop->fd, F_GETFD) < 0) {
			return -EBADF;
		}
	}
	if (nop->flags & IORING_NOP_FIXED_BUFFER) {
		if (!req->buf_node) {
			req->buf_node = ursa_buf_get(req->ring, nop->buf_index);
			if (!req->buf_node)
				return -EFAULT;
		}
	}
	return nop->result;
}
