/* SPDX-License-Identifier: MIT */
/*
 * FGETXATTR, GETXATTR, FSETXATTR, SETXATTR.  The name, the path and the
 * value to set are copied at prep, with the kernel's checks in its order;
 * the operations run on a worker.  The fd forms take fixed files, the path
 * forms refuse IOSQE_FIXED_FILE with -EBADF, as in the kernel.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "xattr.h"

#define XATTR_NAME_MAX_	255
#define XATTR_SIZE_MAX_	65536

struct xattr_op {
	char		*name;
	void		*value;		/* our copy of the value to set */
	char		*path;
	uint64_t	uvalue;		/* the application's buffer (get) */
	uint32_t	size;
	int		flags;
};

static struct xattr_op *xattr_op_init(struct ursa_req *req)
{
	struct xattr_op *x = ursa_req_data(req, struct xattr_op);

	memset(x, 0, sizeof(*x));
	return x;
}

void ursa_xattr_cleanup(struct ursa_req *req)
{
	struct xattr_op *x = ursa_req_data(req, struct xattr_op);

	free(x->name);
	free(x->value);
	free(x->path);
	x->name = x->path = NULL;
	x->value = NULL;
}

/* An empty name, or one filling the whole buffer, is -ERANGE. */
static int import_name(struct xattr_op *x, uint64_t uname)
{
	long len;

	x->name = malloc(XATTR_NAME_MAX_ + 1);
	if (!x->name)
		return -ENOMEM;
	len = ursa_strncpy_from_user(x->name, uname, XATTR_NAME_MAX_ + 1);
	if (len < 0)
		return (int)len;
	if (!len || len == XATTR_NAME_MAX_ + 1)
		return -ERANGE;
	return 0;
}

static int get_prep(struct xattr_op *x, const struct io_uring_sqe *sqe)
{
	x->uvalue = sqe->addr2;
	x->size = sqe->len;
	x->flags = (int)sqe->xattr_flags;
	if (x->flags)
		return -EINVAL;
	return import_name(x, sqe->addr);
}

int ursa_fgetxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return get_prep(xattr_op_init(req), sqe);
}

int ursa_getxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct xattr_op *x = xattr_op_init(req);
	int ret;

	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	ret = get_prep(x, sqe);
	if (ret)
		return ret;
	return ursa_getname(sqe->addr3, false, &x->path);
}

/* The syscalls write the application's buffer themselves and answer
 * -EFAULT for a bad one; they also clamp the size as the kernel does. */
int ursa_fgetxattr(struct ursa_req *req, unsigned issue_flags)
{
	struct xattr_op *x = ursa_req_data(req, struct xattr_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, fgetxattr(req->fd, x->name,
				    (void *)(uintptr_t)x->uvalue, x->size));
}

int ursa_getxattr(struct ursa_req *req, unsigned issue_flags)
{
	struct xattr_op *x = ursa_req_data(req, struct xattr_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, getxattr(x->path, x->name,
				    (void *)(uintptr_t)x->uvalue, x->size));
}

static int set_prep(struct xattr_op *x, const struct io_uring_sqe *sqe)
{
	int ret;

	x->size = sqe->len;
	x->flags = (int)sqe->xattr_flags;
	if (x->flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	ret = import_name(x, sqe->addr);
	if (ret)
		return ret;
	if (!x->size)
		return 0;
	if (x->size > XATTR_SIZE_MAX_)
		return -E2BIG;
	x->value = malloc(x->size);
	if (!x->value)
		return -ENOMEM;
	return ursa_copy_from_user(x->value, (const void *)(uintptr_t)sqe->addr2,
				   x->size);
}

int ursa_fsetxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return set_prep(xattr_op_init(req), sqe);
}

int ursa_setxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct xattr_op *x = xattr_op_init(req);
	int ret;

	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	ret = set_prep(x, sqe);
	if (ret)
		return ret;
	return ursa_getname(sqe->addr3, false, &x->path);
}

int ursa_fsetxattr(struct ursa_req *req, unsigned issue_flags)
{
	struct xattr_op *x = ursa_req_data(req, struct xattr_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, fsetxattr(req->fd, x->name, x->value,
						   x->size, x->flags));
}

int ursa_setxattr(struct ursa_req *req, unsigned issue_flags)
{
	struct xattr_op *x = ursa_req_data(req, struct xattr_op);

	(void)issue_flags;
	return URSA_SYSCALL_RESTART(req, setxattr(x->path, x->name, x->value,
						  x->size, x->flags));
}
