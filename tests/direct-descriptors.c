/* SPDX-License-Identifier: MIT */
/*
 * Description: direct descriptors from OPENAT and OPENAT2 (sqe->file_index):
 * IORING_FILE_INDEX_ALLOC returns the slot chosen, an explicit slot returns
 * 0 and replaces what was there; errors: no table (-ENFILE for ALLOC,
 * -ENXIO for a slot), a slot past the end (-EINVAL, after the open itself
 * succeeded: an open error wins), a full table or allocation range
 * (-ENFILE), O_CLOEXEC (-EINVAL).  A linked open -> read -> close chain
 * uses the slot the open filled (IORING_FEAT_LINKED_FILE), and no process
 * fd is left behind.
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int open_direct(uint64_t ud, const char *path, int flags, unsigned slot,
		       int use_openat2)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	struct open_how how;
	int res;

	if (use_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)flags;
		if (flags & O_CREAT)
			how.mode = 0600;
		io_uring_prep_openat2_direct(sqe, AT_FDCWD, path, &how, slot);
	} else {
		io_uring_prep_openat_direct(sqe, AT_FDCWD, path, flags, 0600, slot);
	}
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void read_slot(uint64_t ud, int slot, const char *want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	char buf[32] = { 0 };
	int n = want ? (int)strlen(want) : -EBADF;

	io_uring_prep_read(sqe, slot, buf, sizeof(buf) - 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, n, 0);
	if (want)
		t_assert(!strcmp(buf, want));
}

/*
 * ursa's table keeps a private dup per slot, and a request drops its
 * reference just after its CQE is posted: give those a moment to go.
 */
static void expect_fd_count(int want)
{
	for (int i = 0; i < 100 && t_count_fds() != want; i++)
		usleep(10 * 1000);
	t_eq(t_count_fds(), want);
}

static void make_file(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	t_assert(fd >= 0);
	t_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

int main(void)
{
	struct io_uring_sqe *sqe;
	char buf[32] = { 0 };
	int nfds, o2;

	t_ring_init(&ring, 8, 0);
	make_file("one", "first");
	make_file("two", "second");
	make_file("three", "third");
	nfds = t_count_fds();

	for (o2 = 0; o2 < 2; o2++) {
		uint64_t b = 100 * (uint64_t)(o2 + 1);

		/* No table. */
		t_eq(open_direct(b + 1, "one", O_RDONLY, IORING_FILE_INDEX_ALLOC, o2),
		     -ENFILE);
		t_eq(open_direct(b + 2, "one", O_RDONLY, 0, o2), -ENXIO);

		t_eq(io_uring_register_files_sparse(&ring, 4), 0);
		t_eq(open_direct(b + 3, "one", O_RDONLY, IORING_FILE_INDEX_ALLOC, o2), 0);
		t_eq(open_direct(b + 4, "two", O_RDONLY, IORING_FILE_INDEX_ALLOC, o2), 1);
		t_eq(open_direct(b + 5, "three", O_RDONLY, 3, o2), 0);
		read_slot(b + 6, 0, "first");
		read_slot(b + 7, 1, "second");
		read_slot(b + 8, 3, "third");
		/* replace slot 3 */
		t_eq(open_direct(b + 9, "one", O_RDONLY, 3, o2), 0);
		read_slot(b + 10, 3, "first");
		/* past the end; an open error comes first */
		t_eq(open_direct(b + 11, "one", O_RDONLY, 4, o2), -EINVAL);
		t_eq(open_direct(b + 12, "missing", O_RDONLY, 4, o2), -ENOENT);
		t_eq(open_direct(b + 13, "missing", O_RDONLY,
				 IORING_FILE_INDEX_ALLOC, o2), -ENOENT);
		/* O_CLOEXEC has no meaning for a slot */
		t_eq(open_direct(b + 14, "one", O_RDONLY | O_CLOEXEC,
				 IORING_FILE_INDEX_ALLOC, o2), -EINVAL);
		/* fill the last free slot, then the table is full */
		t_eq(open_direct(b + 15, "two", O_RDONLY, IORING_FILE_INDEX_ALLOC, o2), 2);
		t_eq(open_direct(b + 16, "two", O_RDONLY, IORING_FILE_INDEX_ALLOC, o2),
		     -ENFILE);
		read_slot(b + 17, 2, "second");
		/* a create through a slot, write through it */
		t_eq(open_direct(b + 18, "created", O_CREAT | O_RDWR, 1, o2), 0);
		sqe = t_get_sqe(&ring);
		io_uring_prep_write(sqe, 1, "new", 3, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->user_data = b + 19;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, b + 19, 3, 0);
		read_slot(b + 20, 1, "new");
		unlink("created");
		t_eq(io_uring_unregister_files(&ring), 0);
	}
	expect_fd_count(nfds);

	/* The allocation range bounds ALLOC. */
	t_eq(io_uring_register_files_sparse(&ring, 8), 0);
	t_eq(io_uring_register_file_alloc_range(&ring, 4, 2), 0);
	t_eq(open_direct(1, "one", O_RDONLY, IORING_FILE_INDEX_ALLOC, 0), 4);
	t_eq(open_direct(2, "one", O_RDONLY, IORING_FILE_INDEX_ALLOC, 0), 5);
	t_eq(open_direct(3, "one", O_RDONLY, IORING_FILE_INDEX_ALLOC, 0), -ENFILE);
	/* explicit slots outside the range are still fine */
	t_eq(open_direct(4, "two", O_RDONLY, 0, 0), 0);
	read_slot(5, 0, "second");

	/* open -> read -> close, linked: each sees the slot as the one
	 * before it left it. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat_direct(sqe, AT_FDCWD, "three", O_RDONLY, 0, 7);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 10;
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, 7, buf, 5, 0);	/* exact: short breaks links */
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	sqe->user_data = 11;
	sqe = t_get_sqe(&ring);
	io_uring_prep_close_direct(sqe, 7);
	sqe->user_data = 12;
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 10, 0, 0);
	t_expect_cqe(&ring, 11, 5, 0);
	t_expect_cqe(&ring, 12, 0, 0);
	t_assert(!strcmp(buf, "third"));
	read_slot(13, 7, NULL);			/* closed */

	t_eq(io_uring_unregister_files(&ring), 0);
	expect_fd_count(nfds);
	unlink("one");
	unlink("two");
	unlink("three");
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
