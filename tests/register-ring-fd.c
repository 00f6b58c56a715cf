/* SPDX-License-Identifier: MIT */
/*
 * Description: registered ring fds (IORING_REGISTER_RING_FDS): the liburing
 * helpers (register_ring_fd, close_ring_fd, unregister_ring_fd) keep the ring
 * working through the registered index, including register calls after the
 * real fd is closed; the raw interface: slot allocation (offset -1), enter
 * with IORING_ENTER_REGISTERED_RING, per-thread scope, and errors: bad fd,
 * not a ring, offset out of range, slot busy, reserved field, empty slot.
 */
#include <pthread.h>
#include <unistd.h>

#include "helpers/helpers.h"

/* IO_RINGFD_REG_MAX: slots per thread. */
#define RINGFD_MAX 16

static struct io_uring ring;
static unsigned reg_idx;

static int reg_raw(unsigned off, int fd, unsigned resv)
{
	struct io_uring_rsrc_update up = {
		.offset = off, .resv = resv, .data = (uint64_t)fd,
	};
	int ret = io_uring_register((unsigned)ring.ring_fd,
				    IORING_REGISTER_RING_FDS, &up, 1);

	if (ret == 1)
		reg_idx = up.offset;
	return ret;
}

static int unreg_raw(unsigned off)
{
	struct io_uring_rsrc_update up = { .offset = off };

	return io_uring_register((unsigned)ring.ring_fd,
				 IORING_UNREGISTER_RING_FDS, &up, 1);
}

static void *other_thread(void *data)
{
	(void)data;
	/* This thread registered nothing: the index means nothing here. */
	return (void *)(intptr_t)io_uring_enter(reg_idx, 0, 0,
						IORING_ENTER_REGISTERED_RING,
						NULL);
}

static void test_raw(void)
{
	int fds[2];
	pthread_t th;
	void *res;

	t_pipe(fds);
	/* Offset -1: the kernel picks a free slot and writes it back. */
	t_eq(reg_raw(-1U, ring.ring_fd, 0), 1);
	t_assert(reg_idx < RINGFD_MAX);
	t_eq(io_uring_enter(reg_idx, 0, 0, IORING_ENTER_REGISTERED_RING, NULL),
	     0);
	/* Submitting through the index works. */
	t_prep_nop(&ring, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 0, 0);

	/* Empty slot: -EBADF; beyond the table: -EINVAL. */
	t_eq(io_uring_enter((reg_idx + 1) % RINGFD_MAX, 0, 0,
			    IORING_ENTER_REGISTERED_RING, NULL), -EBADF);
	t_eq(io_uring_enter(RINGFD_MAX, 0, 0, IORING_ENTER_REGISTERED_RING,
			    NULL), -EINVAL);
	/* Registered ring fds belong to the registering thread. */
	pthread_create(&th, NULL, other_thread, NULL);
	pthread_join(th, &res);
	t_eq((intptr_t)res, -EINVAL);

	/* Registration errors. */
	t_eq(reg_raw(-1U, fds[0], 0), -EOPNOTSUPP);	/* not a ring */
	t_eq(reg_raw(-1U, 999, 0), -EBADF);
	t_eq(reg_raw(RINGFD_MAX, ring.ring_fd, 0), -EINVAL);
	t_eq(reg_raw(reg_idx, ring.ring_fd, 0), -EBUSY);
	t_eq(reg_raw(-1U, ring.ring_fd, 1), -EINVAL);	/* resv */

	/* Unregister: an unused slot is not an error; out of range is. */
	t_eq(unreg_raw((reg_idx + 1) % RINGFD_MAX), 1);
	t_eq(unreg_raw(RINGFD_MAX), -EINVAL);
	t_eq(unreg_raw(reg_idx), 1);
	t_eq(io_uring_enter(reg_idx, 0, 0, IORING_ENTER_REGISTERED_RING, NULL),
	     -EBADF);
	close(fds[0]);
	close(fds[1]);
}

static void test_lib(void)
{
	int fds[2];

	t_pipe(fds);
	t_eq(io_uring_register_ring_fd(&ring), 1);
	/* liburing itself refuses a second registration. */
	t_eq(io_uring_register_ring_fd(&ring), -EEXIST);
	t_prep_nop(&ring, 10);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 10, 0, 0);

	/* Close the real fd: everything goes through the index now. */
	t_eq(io_uring_close_ring_fd(&ring), 1);
	for (int i = 0; i < 3; i++)
		t_prep_nop(&ring, 20 + i);
	t_submit(&ring, 3);
	for (int i = 0; i < 3; i++)
		t_expect_cqe(&ring, 20 + i, 0, 0);
	/* Register calls too (IORING_REGISTER_USE_REGISTERED_RING). */
	t_eq(io_uring_register_files(&ring, fds, 2), 0);
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_write(sqe, 1, "r", 1, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->user_data = 30;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 30, 1, 0);
	}
	t_eq(io_uring_unregister_files(&ring), 0);
	{
		struct __kernel_timespec ts = { 0, 5000000 };
		struct io_uring_cqe *cqe;

		t_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), -ETIME);
	}
	t_eq(io_uring_unregister_ring_fd(&ring), 1);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	t_ring_init(&ring, 8, 0);
	t_assert(ring.features & IORING_FEAT_REG_REG_RING);
	test_raw();
	test_lib();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
