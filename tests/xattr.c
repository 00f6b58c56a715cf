/* SPDX-License-Identifier: MIT */
/*
 * Description: FSETXATTR, SETXATTR, FGETXATTR, GETXATTR: set and read back
 * user xattrs by fd, by fixed file and by path; XATTR_CREATE and
 * XATTR_REPLACE; a size-0 get reports the size, a short buffer -ERANGE;
 * name and value copied at submit; prep errors in the kernel's order
 * (flags, name: empty or 256 bytes -ERANGE, bad -EFAULT; value over 64 KiB
 * -E2BIG, bad -EFAULT; path forms refuse IOSQE_FIXED_FILE with -EBADF).
 * Skips when the test directory's file system has no user xattrs.
 */
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int finish(struct io_uring_sqe *sqe, uint64_t ud, unsigned sqe_flags)
{
	struct io_uring_cqe *cqe;
	int res;

	sqe->flags |= sqe_flags;
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static int fset(uint64_t ud, int fd, unsigned sflags, const char *name,
		const void *val, unsigned len, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_fsetxattr(sqe, fd, name, val, flags, len);
	return finish(sqe, ud, sflags);
}

static int set(uint64_t ud, const char *path, const char *name,
	       const void *val, unsigned len, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_setxattr(sqe, name, val, path, flags, len);
	return finish(sqe, ud, 0);
}

static int fget(uint64_t ud, int fd, unsigned sflags, const char *name,
		void *val, unsigned len)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_fgetxattr(sqe, fd, name, val, len);
	return finish(sqe, ud, sflags);
}

static int get(uint64_t ud, const char *path, const char *name, void *val,
	       unsigned len)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_getxattr(sqe, name, val, path, len);
	return finish(sqe, ud, 0);
}

int main(void)
{
	char buf[256], name[300], *bigval;
	struct io_uring_sqe *sqe;
	int fd;

	fd = open("xfile", O_CREAT | O_RDWR, 0644);
	t_assert(fd >= 0);
	if (fsetxattr(fd, "user.probe", "1", 1, 0) < 0) {
		int e = errno;

		close(fd);
		unlink("xfile");
		if (e == ENOTSUP || e == EPERM)
			t_skip("no user xattrs here (%s)", strerror(e));
		t_fail("fsetxattr: %s", strerror(e));
	}
	t_ring_init(&ring, 8, 0);
	t_eq(io_uring_register_files(&ring, &fd, 1), 0);

	/* by fd */
	t_eq(fset(1, fd, 0, "user.a", "alpha", 5, 0), 0);
	memset(buf, 0, sizeof(buf));
	t_eq(fget(2, fd, 0, "user.a", buf, sizeof(buf)), 5);
	t_assert(!memcmp(buf, "alpha", 5));
	t_eq(fgetxattr(fd, "user.a", buf, sizeof(buf)), 5);
	/* by fixed file (the fd forms take one) */
	t_eq(fset(3, 0, IOSQE_FIXED_FILE, "user.b", "beta", 4, 0), 0);
	memset(buf, 0, sizeof(buf));
	t_eq(fget(4, 0, IOSQE_FIXED_FILE, "user.b", buf, sizeof(buf)), 4);
	t_assert(!memcmp(buf, "beta", 4));
	/* by path */
	t_eq(set(5, "xfile", "user.c", "gamma!", 6, 0), 0);
	memset(buf, 0, sizeof(buf));
	t_eq(get(6, "xfile", "user.c", buf, sizeof(buf)), 6);
	t_assert(!memcmp(buf, "gamma!", 6));
	t_eq(get(7, "xfile", "user.a", buf, sizeof(buf)), 5);

	/* sizes */
	t_eq(get(8, "xfile", "user.c", NULL, 0), 6);
	t_eq(fget(9, fd, 0, "user.c", buf, 2), -ERANGE);
	t_eq(fget(10, fd, 0, "user.none", buf, sizeof(buf)), -ENODATA);
	t_eq(fget(11, fd, 0, "user.a", (void *)8, sizeof(buf)), -EFAULT);
	/* an empty value */
	t_eq(set(12, "xfile", "user.empty", NULL, 0, 0), 0);
	t_eq(get(13, "xfile", "user.empty", buf, sizeof(buf)), 0);

	/* create / replace */
	t_eq(fset(14, fd, 0, "user.a", "x", 1, XATTR_CREATE), -EEXIST);
	t_eq(fset(15, fd, 0, "user.new", "x", 1, XATTR_REPLACE), -ENODATA);
	t_eq(set(16, "xfile", "user.a", "A", 1, XATTR_REPLACE), 0);
	t_eq(fget(17, fd, 0, "user.a", buf, sizeof(buf)), 1);
	t_eq(buf[0], 'A');

	/* no such namespace, no such file, bad fd */
	t_eq(fset(18, fd, 0, "bogus.a", "x", 1, 0), -EOPNOTSUPP);
	t_eq(get(19, "missing", "user.a", buf, sizeof(buf)), -ENOENT);
	t_eq(get(20, "", "user.a", buf, sizeof(buf)), -ENOENT);
	t_eq(get(21, NULL, "user.a", buf, sizeof(buf)), -EFAULT);
	t_eq(fget(22, 1000, 0, "user.a", buf, sizeof(buf)), -EBADF);
	t_eq(fset(23, 1000, 0, "user.a", "x", 1, 0), -EBADF);

	/* names: empty or 256 bytes are -ERANGE, 255 are fine */
	t_eq(fget(30, fd, 0, "", buf, sizeof(buf)), -ERANGE);
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = 0;
	t_eq(fset(31, fd, 0, name, "x", 1, 0), 0);
	t_eq(fget(32, fd, 0, name, buf, sizeof(buf)), 1);
	name[255] = 'n';
	name[256] = 0;
	t_eq(fget(33, fd, 0, name, buf, sizeof(buf)), -ERANGE);
	t_eq(fset(34, fd, 0, name, "x", 1, 0), -ERANGE);
	t_eq(fget(35, fd, 0, (const char *)8, buf, sizeof(buf)), -EFAULT);
	t_eq(fset(36, fd, 0, NULL, "x", 1, 0), -EFAULT);

	/* flags: get takes none, set only CREATE|REPLACE, checked first */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fgetxattr(sqe, fd, "user.a", buf, sizeof(buf));
	sqe->xattr_flags = 1;
	t_eq(finish(sqe, 40, 0), -EINVAL);
	t_eq(fset(41, fd, 0, NULL, (void *)8, 10, 4), -EINVAL);

	/* values */
	bigval = calloc(1, 65537);
	t_assert(bigval);
	t_eq(fset(42, fd, 0, "user.big", bigval, 65537, 0), -E2BIG);
	t_eq(fset(43, fd, 0, "user.big", (void *)8, 10, 0), -EFAULT);
	free(bigval);

	/* path forms refuse a fixed file, before anything else */
	sqe = t_get_sqe(&ring);
	io_uring_prep_getxattr(sqe, NULL, buf, "xfile", sizeof(buf));
	t_eq(finish(sqe, 44, IOSQE_FIXED_FILE), -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_setxattr(sqe, NULL, "x", "xfile", 0, 1);
	t_eq(finish(sqe, 45, IOSQE_FIXED_FILE), -EBADF);
	/* unused fields are not checked */
	sqe = t_get_sqe(&ring);
	io_uring_prep_getxattr(sqe, "user.a", buf, "xfile", sizeof(buf));
	sqe->buf_index = 3;
	sqe->splice_fd_in = 7;
	sqe->fd = 99;
	t_eq(finish(sqe, 46, 0), 1);

	/* name, value and path are copied at submit */
	{
		char n[16] = "user.copy", v[8] = "copied", p[16] = "xfile";

		sqe = t_get_sqe(&ring);
		io_uring_prep_setxattr(sqe, n, v, p, 0, 6);
		sqe->user_data = 47;
		t_submit(&ring, 1);
		strcpy(n, "user.zzzz");
		strcpy(v, "wrong!");
		strcpy(p, "missing");
		t_expect_cqe(&ring, 47, 0, 0);
		memset(buf, 0, sizeof(buf));
		t_eq(getxattr("xfile", "user.copy", buf, sizeof(buf)), 6);
		t_assert(!memcmp(buf, "copied", 6));
	}

	close(fd);
	unlink("xfile");
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
