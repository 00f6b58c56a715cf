/* SPDX-License-Identifier: MIT */
/*
 * Description: RENAMEAT, UNLINKAT, MKDIRAT, SYMLINKAT, LINKAT: each does
 * what its syscall does (checked on the file system afterwards), with
 * directory fds, flags (RENAME_NOREPLACE, RENAME_EXCHANGE, AT_REMOVEDIR,
 * AT_SYMLINK_FOLLOW, AT_EMPTY_PATH), paths copied at submit, a linked
 * chain (mkdir -> symlink -> rename -> unlink), and the errors: prep
 * (reserved fields -EINVAL, IOSQE_FIXED_FILE -EBADF, empty path -ENOENT,
 * bad pointer -EFAULT, bad unlink flags -EINVAL) and operation (EEXIST,
 * ENOENT, EISDIR, ENOTEMPTY, bad rename or link flags EINVAL).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int submit_one(struct io_uring_sqe *sqe, uint64_t ud)
{
	struct io_uring_cqe *cqe;
	int res;

	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static int do_mkdir(uint64_t ud, int dfd, const char *path, mode_t mode)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_mkdirat(sqe, dfd, path, mode);
	return submit_one(sqe, ud);
}

static int do_unlink(uint64_t ud, int dfd, const char *path, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_unlinkat(sqe, dfd, path, flags);
	return submit_one(sqe, ud);
}

static int do_rename(uint64_t ud, int olddfd, const char *oldp, int newdfd,
		     const char *newp, unsigned flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_renameat(sqe, olddfd, oldp, newdfd, newp, flags);
	return submit_one(sqe, ud);
}

static int do_symlink(uint64_t ud, const char *target, int dfd,
		      const char *linkp)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_symlinkat(sqe, target, dfd, linkp);
	return submit_one(sqe, ud);
}

static int do_link(uint64_t ud, int olddfd, const char *oldp, int newdfd,
		   const char *newp, int flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_linkat(sqe, olddfd, oldp, newdfd, newp, flags);
	return submit_one(sqe, ud);
}

static void make_file(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	t_assert(fd >= 0);
	t_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void check_file(const char *path, const char *data)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);

	t_assert(fd >= 0);
	t_eq(read(fd, buf, sizeof(buf) - 1), (ssize_t)strlen(data));
	t_assert(!strcmp(buf, data));
	close(fd);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void mkdir_tests(void)
{
	struct io_uring_sqe *sqe;
	struct stat st;
	int dfd;

	umask(022);
	t_eq(do_mkdir(1, AT_FDCWD, "d1", 0777), 0);
	t_assert(stat("d1", &st) == 0 && S_ISDIR(st.st_mode));
	t_eq(st.st_mode & 07777, 0755);
	t_eq(do_mkdir(2, AT_FDCWD, "d1", 0777), -EEXIST);
	t_eq(do_mkdir(3, AT_FDCWD, "nope/d", 0777), -ENOENT);
	/* the mode is a 16-bit umode_t: higher bits are dropped */
	t_eq(do_mkdir(4, AT_FDCWD, "d2", 0x10000 | 0700), 0);
	t_assert(stat("d2", &st) == 0);
	t_eq(st.st_mode & 07777, 0700);
	dfd = open("d1", O_RDONLY | O_DIRECTORY);
	t_assert(dfd >= 0);
	t_eq(do_mkdir(5, dfd, "sub", 0700), 0);
	t_assert(exists("d1/sub"));
	close(dfd);
	t_eq(do_mkdir(6, AT_FDCWD, "", 0700), -ENOENT);
	t_eq(do_mkdir(7, AT_FDCWD, NULL, 0700), -EFAULT);

	sqe = t_get_sqe(&ring);
	io_uring_prep_mkdirat(sqe, AT_FDCWD, "d3", 0700);
	sqe->off = 1;
	t_eq(submit_one(sqe, 8), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_mkdirat(sqe, AT_FDCWD, "d3", 0700);
	sqe->rw_flags = 1;
	t_eq(submit_one(sqe, 9), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_mkdirat(sqe, AT_FDCWD, "d3", 0700);
	sqe->buf_index = 1;
	t_eq(submit_one(sqe, 10), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_mkdirat(sqe, AT_FDCWD, "d3", 0700);
	sqe->splice_fd_in = 1;
	t_eq(submit_one(sqe, 11), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_mkdirat(sqe, 0, "d3", 0700);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(submit_one(sqe, 12), -EBADF);
	t_assert(!exists("d3"));
}

static void unlink_tests(void)
{
	struct io_uring_sqe *sqe;
	int dfd;

	make_file("f1", "one");
	t_eq(do_unlink(20, AT_FDCWD, "f1", 0), 0);
	t_assert(!exists("f1"));
	t_eq(do_unlink(21, AT_FDCWD, "f1", 0), -ENOENT);
	t_eq(do_unlink(22, AT_FDCWD, "d2", 0), -EISDIR);
	t_eq(do_unlink(23, AT_FDCWD, "d2", AT_REMOVEDIR), 0);
	t_assert(!exists("d2"));
	t_eq(do_unlink(24, AT_FDCWD, "d1", AT_REMOVEDIR), -ENOTEMPTY);
	dfd = open("d1", O_RDONLY | O_DIRECTORY);
	t_assert(dfd >= 0);
	t_eq(do_unlink(25, dfd, "sub", AT_REMOVEDIR), 0);
	close(dfd);
	t_eq(do_unlink(26, AT_FDCWD, "", 0), -ENOENT);
	t_eq(do_unlink(27, AT_FDCWD, NULL, 0), -EFAULT);
	t_eq(do_unlink(28, AT_FDCWD, "d1", 0x100), -EINVAL);	/* bad flag */

	sqe = t_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, "d1", AT_REMOVEDIR);
	sqe->len = 1;
	t_eq(submit_one(sqe, 29), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, "d1", AT_REMOVEDIR);
	sqe->off = 1;
	t_eq(submit_one(sqe, 30), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, 0, "d1", AT_REMOVEDIR);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(submit_one(sqe, 31), -EBADF);
	t_assert(exists("d1"));
}

static void rename_tests(void)
{
	struct io_uring_sqe *sqe;
	int dfd;

	make_file("a", "A");
	make_file("b", "B");
	t_eq(do_rename(40, AT_FDCWD, "a", AT_FDCWD, "c", 0), 0);
	t_assert(!exists("a"));
	check_file("c", "A");
	t_eq(do_rename(41, AT_FDCWD, "c", AT_FDCWD, "b", RENAME_NOREPLACE),
	     -EEXIST);
	t_eq(do_rename(42, AT_FDCWD, "c", AT_FDCWD, "b", RENAME_EXCHANGE), 0);
	check_file("c", "B");
	check_file("b", "A");
	t_eq(do_rename(43, AT_FDCWD, "c", AT_FDCWD, "b", 0), 0);
	check_file("b", "B");
	t_eq(do_rename(44, AT_FDCWD, "c", AT_FDCWD, "x", 0), -ENOENT);
	t_eq(do_rename(45, AT_FDCWD, "b", AT_FDCWD, "x", 0x80), -EINVAL);
	/* across directory fds: the new dfd travels in sqe->len */
	dfd = open("d1", O_RDONLY | O_DIRECTORY);
	t_assert(dfd >= 0);
	t_eq(do_rename(46, AT_FDCWD, "b", dfd, "moved", 0), 0);
	check_file("d1/moved", "B");
	t_eq(do_rename(47, dfd, "moved", AT_FDCWD, "b", 0), 0);
	close(dfd);
	t_eq(do_rename(48, AT_FDCWD, "b", AT_FDCWD, "", 0), -ENOENT);
	t_eq(do_rename(49, AT_FDCWD, NULL, AT_FDCWD, "x", 0), -EFAULT);
	t_eq(do_rename(50, AT_FDCWD, "b", AT_FDCWD, NULL, 0), -EFAULT);

	sqe = t_get_sqe(&ring);
	io_uring_prep_renameat(sqe, AT_FDCWD, "b", AT_FDCWD, "x", 0);
	sqe->buf_index = 1;
	t_eq(submit_one(sqe, 51), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_renameat(sqe, AT_FDCWD, "b", AT_FDCWD, "x", 0);
	sqe->splice_fd_in = 1;
	t_eq(submit_one(sqe, 52), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_renameat(sqe, 0, "b", AT_FDCWD, "x", 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(submit_one(sqe, 53), -EBADF);
	t_assert(exists("b") && !exists("x"));
}

static void link_tests(void)
{
	struct io_uring_sqe *sqe;
	struct stat st;
	char buf[32];
	int fd, want;

	/* "b" holds "B" */
	t_eq(do_symlink(60, "b", AT_FDCWD, "sl"), 0);
	t_eq(readlink("sl", buf, sizeof(buf)), 1);
	t_eq(buf[0], 'b');
	t_eq(do_symlink(61, "b", AT_FDCWD, "sl"), -EEXIST);
	t_eq(do_symlink(62, "", AT_FDCWD, "sl2"), -ENOENT);
	t_eq(do_symlink(63, NULL, AT_FDCWD, "sl2"), -EFAULT);
	/* a dangling symlink is fine */
	t_eq(do_symlink(64, "nowhere", AT_FDCWD, "dangling"), 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_symlinkat(sqe, "b", AT_FDCWD, "sl2");
	sqe->len = 1;
	t_eq(submit_one(sqe, 65), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_symlinkat(sqe, "b", 0, "sl2");
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(submit_one(sqe, 66), -EBADF);

	/* hard links: to the symlink itself, or through it */
	t_eq(do_link(70, AT_FDCWD, "sl", AT_FDCWD, "hl", 0), 0);
	t_assert(lstat("hl", &st) == 0 && S_ISLNK(st.st_mode));
	t_eq(do_link(71, AT_FDCWD, "sl", AT_FDCWD, "hl2", AT_SYMLINK_FOLLOW), 0);
	t_assert(lstat("hl2", &st) == 0 && S_ISREG(st.st_mode));
	t_eq(st.st_nlink, 2);
	check_file("hl2", "B");
	t_eq(do_link(72, AT_FDCWD, "b", AT_FDCWD, "hl2", 0), -EEXIST);
	t_eq(do_link(73, AT_FDCWD, "missing", AT_FDCWD, "hl3", 0), -ENOENT);
	t_eq(do_link(74, AT_FDCWD, "b", AT_FDCWD, "hl3", 0x8), -EINVAL);
	t_eq(do_link(75, AT_FDCWD, "", AT_FDCWD, "hl3", 0), -ENOENT);
	t_eq(do_link(76, AT_FDCWD, "b", AT_FDCWD, "", 0), -ENOENT);

	/* AT_EMPTY_PATH links the fd itself; it needs a capability, so the
	 * syscall says what to expect. */
	fd = open("b", O_RDONLY);
	t_assert(fd >= 0);
	want = linkat(fd, "", AT_FDCWD, "probe", AT_EMPTY_PATH) ? -errno : 0;
	unlink("probe");
	t_eq(do_link(77, fd, "", AT_FDCWD, "hl3", AT_EMPTY_PATH), want);
	if (!want)
		check_file("hl3", "B");
	close(fd);
	sqe = t_get_sqe(&ring);
	io_uring_prep_linkat(sqe, AT_FDCWD, "b", AT_FDCWD, "hl4", 0);
	sqe->buf_index = 1;
	t_eq(submit_one(sqe, 78), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_linkat(sqe, 0, "b", AT_FDCWD, "hl4", 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(submit_one(sqe, 79), -EBADF);
	t_assert(!exists("hl4"));

	unlink("sl");
	unlink("dangling");
	unlink("hl");
	unlink("hl2");
	unlink("hl3");
}

/* A chain, with paths overwritten right after submit. */
static void chain_test(void)
{
	struct io_uring_sqe *sqe;
	char p1[16], p2[16], p3[16];
	struct t_cqe_want w[5] = {
		{ 90, 0, 0, 0 }, { 91, 0, 0, 0 }, { 92, 0, 0, 0 },
		{ 93, 0, 0, 0 }, { 94, -ENOENT, 0, 0 },
	};

	strcpy(p1, "cdir");
	strcpy(p2, "cdir/sym");
	strcpy(p3, "cdir/sym2");
	sqe = t_get_sqe(&ring);
	io_uring_prep_mkdirat(sqe, AT_FDCWD, p1, 0755);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 90;
	sqe = t_get_sqe(&ring);
	io_uring_prep_symlinkat(sqe, "target", AT_FDCWD, p2);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 91;
	sqe = t_get_sqe(&ring);
	io_uring_prep_renameat(sqe, AT_FDCWD, p2, AT_FDCWD, p3, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 92;
	sqe = t_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, p3, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 93;
	sqe = t_get_sqe(&ring);
	/* the last of the chain: by then the name is gone */
	io_uring_prep_unlinkat(sqe, AT_FDCWD, p3, 0);
	sqe->user_data = 94;
	t_submit(&ring, 5);
	memset(p1, 'x', sizeof(p1) - 1);
	memset(p2, 'x', sizeof(p2) - 1);
	memset(p3, 'x', sizeof(p3) - 1);
	t_reap_cqes(&ring, w, 5);
	t_in_order(w, 5, 90, 91, 92, 93, 94);
	t_assert(exists("cdir") && !exists("cdir/sym") && !exists("cdir/sym2"));
	t_eq(rmdir("cdir"), 0);
}

int main(void)
{
	t_ring_init(&ring, 8, 0);
	mkdir_tests();
	unlink_tests();
	rename_tests();
	link_tests();
	chain_test();
	unlink("b");
	rmdir("d1");
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
