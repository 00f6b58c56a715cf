/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_FIXED_FD_INSTALL turns a direct descriptor into a
 * normal fd: close-on-exec by default, not with IORING_FIXED_FD_NO_CLOEXEC;
 * the new fd shares the file (and its position) with the slot and outlives
 * the slot; errors: no IOSQE_FIXED_FILE (-EBADF), empty, out-of-range or
 * missing table (-EBADF), unknown flags and reserved fields (-EINVAL), a
 * personality (-EPERM).
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int install(uint64_t ud, int slot, unsigned flags, int field)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_fixed_fd_install(sqe, slot, flags);
	switch (field) {
	case 1: sqe->off = 1; break;
	case 2: sqe->addr = 1; break;
	case 3: sqe->len = 1; break;
	case 4: sqe->buf_index = 1; break;
	case 5: sqe->splice_fd_in = 1; break;
	case 6: sqe->addr3 = 1; break;
	case 7: sqe->flags &= ~IOSQE_FIXED_FILE; break;
	case 8: sqe->ioprio = 1; break;
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

int main(void)
{
	struct io_uring_sqe *sqe;
	int fd, nfd, nfd2, i;
	char buf[16];

	t_ring_init(&ring, 8, 0);
	t_eq(install(1, 0, 0, 0), -EBADF);		/* no table */

	fd = t_temp_fd(4096, 3);
	{
		int table[3] = { fd, -1, -1 };

		t_eq(io_uring_register_files(&ring, table, 3), 0);
	}
	close(fd);

	nfd = install(2, 0, 0, 0);
	t_assert(nfd >= 0);
	t_eq(fcntl(nfd, F_GETFD), FD_CLOEXEC);
	t_eq(pread(nfd, buf, 16, 100), 16);
	t_assert(t_check_pattern(buf, 16, 100, 3) < 0);

	nfd2 = install(3, 0, IORING_FIXED_FD_NO_CLOEXEC, 0);
	t_assert(nfd2 >= 0 && nfd2 != nfd);
	t_eq(fcntl(nfd2, F_GETFD), 0);

	/* One file: the position moved through one fd is seen by the slot. */
	t_eq(lseek(nfd, 200, SEEK_SET), 200);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, 0, buf, 16, -1);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 4;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, 16, 0);
	t_assert(t_check_pattern(buf, 16, 200, 3) < 0);
	t_eq(lseek(nfd2, 0, SEEK_CUR), 216);

	/* The fd outlives its slot. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_close_direct(sqe, 0);
	sqe->user_data = 5;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, 0, 0);
	t_eq(pread(nfd, buf, 16, 0), 16);
	t_assert(t_check_pattern(buf, 16, 0, 3) < 0);
	close(nfd);
	close(nfd2);

	/* A slot filled by a direct open. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_openat_direct(sqe, AT_FDCWD, "f", O_CREAT | O_RDWR, 0600, 1);
	sqe->user_data = 6;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, 0, 0);
	nfd = install(7, 1, 0, 0);
	t_assert(nfd >= 0);
	t_eq(write(nfd, "abc", 3), 3);
	t_eq(fcntl(nfd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(nfd);
	unlink("f");

	/* Errors. */
	t_eq(install(10, 2, 0, 0), -EBADF);		/* empty slot */
	t_eq(install(11, 0, 0, 0), -EBADF);		/* closed above */
	t_eq(install(12, 3, 0, 0), -EBADF);		/* past the end */
	t_eq(install(13, -1, 0, 0), -EBADF);
	t_eq(install(14, 1, 2, 0), -EINVAL);		/* unknown flag */
	for (i = 1; i <= 6; i++)
		t_eq(install(14 + (uint64_t)i, 1, 0, i), -EINVAL);
	t_eq(install(21, 1, 0, 7), -EBADF);		/* not fixed */
	t_eq(install(22, 1, 0, 8), -EINVAL);		/* ioprio */

	/* A personality is refused: the fd goes to the submitter itself. */
	{
		int id = io_uring_register_personality(&ring);

		t_assert(id > 0);
		sqe = t_get_sqe(&ring);
		io_uring_prep_fixed_fd_install(sqe, 1, 0);
		sqe->personality = (uint16_t)id;
		sqe->user_data = 23;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 23, -EPERM, 0);
		t_eq(io_uring_unregister_personality(&ring, id), 0);
	}

	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
