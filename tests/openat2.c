/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_OPENAT2: struct open_how copied at prep with
 * copy_struct_from_user's rules (smaller than version 0: -EINVAL; larger
 * with non-zero tail: -E2BIG; bad pointer: -EFAULT), its strict checks at
 * issue (unknown flags or resolve bits, a mode without O_CREAT), resolve
 * restrictions (RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS), RESOLVE_CACHED
 * asked by the application is final (-EAGAIN for O_CREAT), and the how
 * struct may be reused as soon as submit returns.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int open2(uint64_t ud, int dfd, const char *path, const void *how,
		 unsigned size)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_openat2(sqe, dfd, path, how);
	sqe->len = size;
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

int main(void)
{
	struct {
		struct open_how how;
		unsigned char tail[40];
	} big;
	struct open_how how;
	struct io_uring_sqe *sqe;
	struct stat st;
	int fd, dfd;

	t_ring_init(&ring, 8, 0);
	umask(022);

	memset(&how, 0, sizeof(how));
	how.flags = O_CREAT | O_RDWR;
	how.mode = 0640;
	fd = open2(1, AT_FDCWD, "file", &how, sizeof(how));
	t_assert(fd >= 0);
	t_assert(fstat(fd, &st) == 0);
	t_eq(st.st_mode & 07777, 0640);
	t_eq(write(fd, "data", 4), 4);
	close(fd);

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY;
	fd = open2(2, AT_FDCWD, "file", &how, sizeof(how));
	t_assert(fd >= 0);
	t_assert(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);

	/* Size rules. */
	t_eq(open2(3, AT_FDCWD, "file", &how, 0), -EINVAL);
	t_eq(open2(4, AT_FDCWD, "file", &how, 23), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.how.flags = O_RDONLY;
	fd = open2(5, AT_FDCWD, "file", &big, sizeof(big));
	t_assert(fd >= 0);
	close(fd);
	big.tail[39] = 1;
	t_eq(open2(6, AT_FDCWD, "file", &big, sizeof(big)), -E2BIG);
	/* the tail is checked only as far as the size says */
	fd = open2(7, AT_FDCWD, "file", &big, sizeof(big) - 1);
	t_assert(fd >= 0);
	close(fd);
	t_eq(open2(8, AT_FDCWD, "file", NULL, sizeof(how)), -EFAULT);
	t_eq(open2(9, AT_FDCWD, "file", (void *)8, sizeof(how)), -EFAULT);

	/* openat2's strictness, found at issue. */
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | 0x40000000;
	t_eq(open2(10, AT_FDCWD, "file", &how, sizeof(how)), -EINVAL);
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY;
	how.mode = 0600;		/* a mode without O_CREAT */
	t_eq(open2(11, AT_FDCWD, "file", &how, sizeof(how)), -EINVAL);
	memset(&how, 0, sizeof(how));
	how.resolve = 0x80000000;	/* unknown resolve bit */
	t_eq(open2(12, AT_FDCWD, "file", &how, sizeof(how)), -EINVAL);

	/* Resolve restrictions. */
	t_assert(mkdir("d", 0755) == 0);
	t_assert(symlink("../file", "d/link") == 0);
	dfd = open("d", O_RDONLY | O_DIRECTORY);
	t_assert(dfd >= 0);
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY;
	how.resolve = RESOLVE_BENEATH;
	t_eq(open2(13, dfd, "../file", &how, sizeof(how)), -EXDEV);
	how.resolve = RESOLVE_NO_SYMLINKS;
	t_eq(open2(14, dfd, "link", &how, sizeof(how)), -ELOOP);
	how.resolve = 0;
	fd = open2(15, dfd, "link", &how, sizeof(how));
	t_assert(fd >= 0);
	close(fd);

	/* RESOLVE_CACHED from the application: a create cannot be cached. */
	memset(&how, 0, sizeof(how));
	how.flags = O_CREAT | O_RDWR;
	how.mode = 0600;
	how.resolve = RESOLVE_CACHED;
	t_eq(open2(16, AT_FDCWD, "other", &how, sizeof(how)), -EAGAIN);
	/* ... but a lookup just done is. */
	how.flags = O_RDONLY;
	how.mode = 0;
	fd = open2(17, AT_FDCWD, "file", &how, sizeof(how));
	t_assert(fd >= 0);
	close(fd);

	/* how and path may be reused as soon as submit returns. */
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY;
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat2(sqe, AT_FDCWD, "file", &how);
	sqe->flags |= IOSQE_ASYNC;
	sqe->user_data = 18;
	t_submit(&ring, 1);
	how.flags = 0x40000000;
	{
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_eq(cqe->user_data, 18);
		t_assert(cqe->res >= 0);
		close(cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}

	/* Prep order: the how copy comes before buf_index and the path. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat2(sqe, AT_FDCWD, NULL, (void *)8);
	sqe->buf_index = 1;
	sqe->user_data = 19;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 19, -EFAULT, 0);
	memset(&how, 0, sizeof(how));
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat2(sqe, AT_FDCWD, NULL, &how);
	sqe->buf_index = 1;
	sqe->user_data = 20;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, -EINVAL, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat2(sqe, AT_FDCWD, "file", &how);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 21;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, -EBADF, 0);
	how.flags = O_RDONLY | O_CLOEXEC;
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat2_direct(sqe, AT_FDCWD, "file", &how, 0);
	sqe->user_data = 22;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 22, -EINVAL, 0);

	close(dfd);
	unlink("d/link");
	rmdir("d");
	unlink("file");
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
