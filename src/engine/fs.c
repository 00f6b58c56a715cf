/* SPDX-License-Identifier: MIT */
/*
 * RENAMEAT, UNLINKAT, MKDIRAT, SYMLINKAT, LINKAT, and the path copying
 * every path-taking opcode shares.
 *
 * As in the kernel, paths are copied at prep (the application may reuse
 * the memory once submit returns) and the operations always run on a
 * worker: a directory operation can wait for the disk.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);	/* no syscall: libc knows it */
}

/*
 * Copy in page-bounded pieces: a piece lies within one page, so it is
 * either wholly readable or not, and a string ending just before an
 * unmapped page is never read past its page.  The first piece is small
 * since most paths are.
 */
long ursa_strncpy_from_user(char *dst, uint64_t src, size_t max)
{
	size_t done = 0, want = 256;

	while (done < max) {
		uint64_t at = src + done;
		size_t chunk = page_size() - (size_t)(at & (page_size() - 1));
		char *nul;

		if (chunk > want)
			chunk = want;
		if (chunk > max - done)
			chunk = max - done;
		if (ursa_copy_from_user(dst + done, (const void *)(uintptr_t)at,
					chunk))
			return -EFAULT;
		nul = memchr(dst + done, 0, chunk);
		if (nul)
			return nul - dst;
		done += chunk;
		want = page_size();
	}
	return (long)max;
}

int ursa_getname(uint64_t uaddr, bool allow_empty, char **out)
{
	char buf[URSA_PATH_MAX];
	long len;

	*out = NULL;
	len = ursa_strncpy_from_user(buf, uaddr, sizeof(buf));
	if (len < 0)
		return (int)len;
	if (len == (long)sizeof(buf))
		return -ENAMETOOLONG;
	if (!len && !allow_empty)
		return -ENOENT;
	*out = malloc((size_t)len + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, buf, (size_t)len + 1);
	return 0;
}

/* One shape for the five: one or two paths, their directory fds, flags. */
struct fs_op {
	char		*oldpath;	/* the only path of unlink and mkdir */
	char		*newpath;
	int		old_dfd;
	int		new_dfd;
	int		flags;
	uint32_t	mode;
};

static struct fs_op *fs_op_init(struct ursa_req *req)
{
	struct fs_op *f = ursa_req_data(req, struct fs_op);

	/* cleanup runs whatever prep returns: no stale pointers */
	memset(f, 0, sizeof(*f));
	return f;
}

void ursa_fs_cleanup(struct ursa_req *req)
{
	struct fs_op *f = ursa_req_data(req, struct fs_op);

	free(f->oldpath);
	free(f->newpath);
	f->oldpath = f->newpath = NULL;
}

int ursa_renameat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct fs_op *f = fs_op_init(req);
	int ret;

	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	f->old_dfd = sqe->fd;
	f->new_dfd = (int)sqe->len;
	f->flags = (int)sqe->rename_flags;
	ret = ursa_getname(sqe->addr, false, &f->oldpath);
	if (ret)
		return ret;
	return ursa_getname(sqe->addr2, false, &f->newpath);
}

int ursa_renameat(struct ursa_req *req, unsigned issue_flags)
{
	struct fs_op *f = ursa_req_data(req, struct fs_op);

	(void)issue_flags;
	/* the raw syscall: glibc's wrapper may emulate flags == 0 */
	return URSA_SYSCALL_RESTART(req, syscall(SYS_renameat2, f->old_dfd,
						 f->oldpath, f->new_dfd,
						 f->newpath, f->flags));
}

int ursa_unlinkat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct fs_op *f = fs_op_init(req);

	if (sqe->off || sqe->len || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	f->old_dfd = sqe->fd;
	f->flags = (int)sqe->unlink_flags;
	if (f->flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return ursa_getname(sqe->addr, false, &f->oldpath);
}

int ursa_unlinkat(struct ursa_req *req, unsigned issue_flags)
{
	struct fs_op *f = ursa_req_data(req, struct fs_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, unlinkat(f->old_dfd, f->oldpath,
						  f->flags));
}

int ursa_mkdirat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct fs_op *f = fs_op_init(req);

	if (sqe->off || sqe->rw_flags || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	f->old_dfd = sqe->fd;
	f->mode = (uint16_t)sqe->len;	/* the kernel keeps a umode_t */
	return ursa_getname(sqe->addr, false, &f->oldpath);
}

int ursa_mkdirat(struct ursa_req *req, unsigned issue_flags)
{
	struct fs_op *f = ursa_req_data(req, struct fs_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, mkdirat(f->old_dfd, f->oldpath,
						 (mode_t)f->mode));
}

int ursa_symlinkat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct fs_op *f = fs_op_init(req);
	int ret;

	if (sqe->len || sqe->rw_flags || sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	f->new_dfd = sqe->fd;
	ret = ursa_getname(sqe->addr, false, &f->oldpath);
	if (ret)
		return ret;
	return ursa_getname(sqe->addr2, false, &f->newpath);
}

int ursa_symlinkat(struct ursa_req *req, unsigned issue_flags)
{
	struct fs_op *f = ursa_req_data(req, struct fs_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, symlinkat(f->oldpath, f->new_dfd,
						   f->newpath));
}

int ursa_linkat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct fs_op *f = fs_op_init(req);
	int ret;

	if (sqe->buf_index || sqe->splice_fd_in)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	f->old_dfd = sqe->fd;
	f->new_dfd = (int)sqe->len;
	f->flags = (int)sqe->hardlink_flags;
	/* an empty old path is legal with AT_EMPTY_PATH (the fd itself) */
	ret = ursa_getname(sqe->addr, f->flags & AT_EMPTY_PATH, &f->oldpath);
	if (ret)
		return ret;
	return ursa_getname(sqe->addr2, false, &f->newpath);
}

int ursa_linkat(struct ursa_req *req, unsigned issue_flags)
{
	struct fs_op *f = ursa_req_data(req, struct fs_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, linkat(f->old_dfd, f->oldpath,
						f->new_dfd, f->newpath,
						f->flags));
}
