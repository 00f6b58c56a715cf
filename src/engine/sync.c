/* SPDX-License-Identifier: MIT */
/* FSYNC, SYNC_FILE_RANGE, FALLOCATE: always blocking, so always workers. */
#include <fcntl.h>
#include <unistd.h>

#include "sync.h"

struct sync_op {
	uint64_t	off;
	uint64_t	len;
	uint32_t	flags;
	int32_t		mode;
};

int ursa_fsync_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct sync_op *s = ursa_req_data(req, struct sync_op);

	if (sqe->addr || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	s->flags = sqe->fsync_flags;
	if (s->flags & ~IORING_FSYNC_DATASYNC)
		return -EINVAL;
	s->off = sqe->off;
	s->len = sqe->len;
	return 0;
}

/* User space has no ranged fsync: the whole file is synced, which is what
 * the requested range needs and more. */
int ursa_fsync(struct ursa_req *req, unsigned issue_flags)
{
	struct sync_op *s = ursa_req_data(req, struct sync_op);
	int ret;

	(void)issue_flags;
	ret = (s->flags & IORING_FSYNC_DATASYNC) ? fdatasync(req->fd) : fsync(req->fd);
	return ret < 0 ? -errno : 0;
}

int ursa_sfr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct sync_op *s = ursa_req_data(req, struct sync_op);

	if (sqe->addr || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	s->off = sqe->off;
	s->len = sqe->len;
	s->flags = sqe->sync_range_flags;
	return 0;
}

int ursa_sync_file_range(struct ursa_req *req, unsigned issue_flags)
{
	struct sync_op *s = ursa_req_data(req, struct sync_op);

	(void)issue_flags;
	if (sync_file_range(req->fd, (off_t)s->off, (off_t)s->len, s->flags) < 0)
		return -errno;
	return 0;
}

int ursa_fallocate_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct sync_op *s = ursa_req_data(req, struct sync_op);

	if (sqe->buf_index || sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	s->off = sqe->off;
	s->len = sqe->addr;
	s->mode = (int32_t)sqe->len;
	return 0;
}

int ursa_fallocate(struct ursa_req *req, unsigned issue_flags)
{
	struct sync_op *s = ursa_req_data(req, struct sync_op);

	(void)issue_flags;
	if (fallocate(req->fd, s->mode, (off_t)s->off, (off_t)s->len) < 0)
		return -errno;
	return 0;
}
