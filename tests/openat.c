/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_OPENAT: opens relative to AT_FDCWD and to a
 * directory fd, creates with a mode (masked by the umask), O_EXCL,
 * unknown flag bits dropped as openat(2) does, O_NONBLOCK only when asked
 * (the nonblocking first attempt must not leak it), O_PATH, a FIFO (the
 * read end opens at once, the write end without a reader fails with
 * -ENXIO, as the kernel's cached first try does), the path copied at submit, and the errors: prep (buf_index, fixed
 * file, bad or empty or too long path, ioprio) and open (ENOENT, EEXIST).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int do_open(uint64_t ud, int dfd, const char *path, int flags,
		   mode_t mode)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_openat(sqe, dfd, path, flags, mode);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void expect_open_err(uint64_t ud, const char *path, int flags, int err)
{
	t_eq(do_open(ud, AT_FDCWD, path, flags, 0644), err);
}

static void check_content(int fd, const char *want)
{
	char buf[64] = { 0 };
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	t_eq(n, (ssize_t)strlen(want));
	t_assert(!strcmp(buf, want));
}

int main(void)
{
	struct io_uring_sqe *sqe;
	struct stat st;
	int fd, dfd, fl;
	char path[64], *longpath;

	t_ring_init(&ring, 8, 0);
	umask(022);

	/* Create: goes to a worker (O_CREAT), mode masked by the umask. */
	fd = do_open(1, AT_FDCWD, "f1", O_CREAT | O_RDWR, 0666);
	t_assert(fd >= 0);
	t_eq(write(fd, "hello", 5), 5);
	t_assert(fstat(fd, &st) == 0);
	t_eq(st.st_mode & 07777, 0644);
	/* the fd is a normal process fd, not close-on-exec unless asked */
	t_eq(fcntl(fd, F_GETFD), 0);
	close(fd);

	/* Plain open of a cached path: the inline attempt. */
	fd = do_open(2, AT_FDCWD, "f1", O_RDONLY, 0);
	t_assert(fd >= 0);
	check_content(fd, "hello");
	fl = fcntl(fd, F_GETFL);
	t_assert(!(fl & O_NONBLOCK));		/* the detour left no trace */
	t_eq(fl & O_ACCMODE, O_RDONLY);
	close(fd);

	fd = do_open(3, AT_FDCWD, "f1", O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
	t_assert(fd >= 0);
	t_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	t_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);

	/* O_APPEND survives the nonblocking attempt's flag reset */
	fd = do_open(4, AT_FDCWD, "f1", O_WRONLY | O_APPEND, 0);
	t_assert(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	t_assert(fl & O_APPEND);
	t_assert(!(fl & O_NONBLOCK));
	t_eq(write(fd, "!", 1), 1);
	close(fd);

	/* Unknown flag bits are dropped, as openat(2) does. */
	fd = do_open(5, AT_FDCWD, "f1", O_RDONLY | (int)0x40000000, 0);
	t_assert(fd >= 0);
	check_content(fd, "hello!");
	close(fd);

	/* Relative to a directory fd. */
	t_assert(mkdir("d", 0755) == 0);
	dfd = open("d", O_RDONLY | O_DIRECTORY);
	t_assert(dfd >= 0);
	fd = do_open(6, dfd, "inner", O_CREAT | O_WRONLY | O_EXCL, 0600);
	t_assert(fd >= 0);
	close(fd);
	t_assert(stat("d/inner", &st) == 0);
	t_eq(st.st_mode & 07777, 0600);
	/* a mode without O_CREAT is ignored */
	fd = do_open(7, dfd, "inner", O_RDONLY, 07777);
	t_assert(fd >= 0);
	close(fd);
	t_eq(do_open(8, dfd, "inner", O_CREAT | O_EXCL | O_RDWR, 0600), -EEXIST);
	t_eq(do_open(9, 1000, "inner", O_RDONLY, 0), -EBADF);
	close(dfd);

	/* O_TRUNC (a worker) */
	fd = do_open(10, AT_FDCWD, "f1", O_RDWR | O_TRUNC, 0);
	t_assert(fd >= 0);
	t_assert(fstat(fd, &st) == 0);
	t_eq(st.st_size, 0);
	close(fd);

	/* O_PATH: only O_PATH's companions are kept */
	fd = do_open(11, AT_FDCWD, "d", O_PATH | O_DIRECTORY | O_RDWR, 0);
	t_assert(fd >= 0);
	t_assert(fcntl(fd, F_GETFL) & O_PATH);
	close(fd);

	/* A FIFO's read end opens at once, as in the kernel's cached try. */
	t_assert(mkfifo("fifo", 0600) == 0);
	fd = do_open(12, AT_FDCWD, "fifo", O_RDONLY, 0);
	t_assert(fd >= 0);
	t_assert(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);
	/* ... and its write end, without a reader, fails at once (-ENXIO,
	 * O_NONBLOCK's answer) instead of waiting for one. */
	t_eq(do_open(14, AT_FDCWD, "fifo", O_WRONLY, 0), -ENXIO);

	/* The path is copied at submit: overwrite it before the CQE. */
	strcpy(path, "f1");
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
	sqe->flags |= IOSQE_ASYNC;
	sqe->user_data = 13;
	t_submit(&ring, 1);
	strcpy(path, "nonexistent");
	{
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_eq(cqe->user_data, 13);
		t_assert(cqe->res >= 0);
		close(cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}

	/* Open errors. */
	expect_open_err(20, "missing", O_RDONLY, -ENOENT);
	expect_open_err(21, "f1/x", O_RDONLY, -ENOTDIR);
	expect_open_err(22, "", O_RDONLY, -ENOENT);
	expect_open_err(23, NULL, O_RDONLY, -EFAULT);
	expect_open_err(24, (const char *)8, O_RDONLY, -EFAULT);
	expect_open_err(25, "d", O_WRONLY, -EISDIR);

	/* Path length: 4095 characters fit, PATH_MAX (4096) do not. */
	longpath = malloc(8192);
	t_assert(longpath);
	for (int i = 0; i < 4092; i += 2)
		memcpy(longpath + i, "./", 2);
	strcpy(longpath + 4092, "/f1");
	t_eq(strlen(longpath), 4095);
	fd = do_open(26, AT_FDCWD, longpath, O_RDONLY, 0);
	t_assert(fd >= 0);
	close(fd);
	strcpy(longpath + 4092, "//f1");
	expect_open_err(27, longpath, O_RDONLY, -ENAMETOOLONG);
	memset(longpath, 'a', 8000);
	longpath[8000] = 0;
	expect_open_err(28, longpath, O_RDONLY, -ENAMETOOLONG);
	free(longpath);

	/* Prep errors. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "f1", O_RDONLY, 0);
	sqe->buf_index = 1;
	sqe->user_data = 30;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 30, -EINVAL, 0);

	sqe = t_get_sqe(&ring);
	io_uring_prep_openat(sqe, 0, "f1", O_RDONLY, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 31;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 31, -EBADF, 0);

	sqe = t_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "f1", O_RDONLY, 0);
	sqe->ioprio = 1;
	sqe->user_data = 32;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 32, -EINVAL, 0);

	/* O_CLOEXEC with a direct slot is refused at prep, after the path
	 * is copied: a bad path wins. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat_direct(sqe, AT_FDCWD, NULL, O_RDONLY | O_CLOEXEC, 0, 0);
	sqe->user_data = 33;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 33, -EFAULT, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat_direct(sqe, AT_FDCWD, "f1", O_RDONLY | O_CLOEXEC, 0, 0);
	sqe->user_data = 34;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 34, -EINVAL, 0);

	/* A failed open breaks its link. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "missing", O_RDONLY, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 40;
	t_prep_nop(&ring, 41);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 40, -ENOENT, 0);
	t_expect_cqe(&ring, 41, -ECANCELED, 0);

	unlink("f1");
	unlink("fifo");
	unlink("d/inner");
	rmdir("d");
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
