/* SPDX-License-Identifier: MIT */
/*
 * IORING_SETUP_IOPOLL rings: which opcodes they take (-EINVAL at submit for
 * the others), reads only on O_DIRECT block-backed files (-EOPNOTSUPP for a
 * buffered file, a pipe, tmpfs), HYBRID_IOPOLL needs IOPOLL, and (seed 002,
 * kernel 7.1) uring_cmd to a file without an iopoll hook completes as on
 * any ring while a driver with one is polled from io_uring_enter until it
 * completes.  Differential where the kernel here (6.18) agrees; the 7.1
 * parts are checked on ursa only.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <ursa/driver.h>
#include <ursa/ursa.h>
#include "helpers/helpers.h"

static _Atomic int polls;

static int polled_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	if (cmd->cmd_op == 2)
		return 11;			/* inline, whatever the ring */
	if (!(issue_flags & URSA_URING_F_IOPOLL))
		return -EINVAL;
	return -URSA_EIOCBQUEUED;
}

/* Done on the third poll. */
static int polled_iopoll(struct ursa_uring_cmd *cmd, unsigned poll_flags)
{
	(void)poll_flags;
	if (++polls < 3)
		return 0;
	ursa_uring_cmd_done(cmd, 33, 0);
	return 1;
}

static const struct ursa_file_operations polled_fops = {
	.uring_cmd		= polled_cmd,
	.uring_cmd_iopoll	= polled_iopoll,
};

/* The kernel's IOPOLL wait returns once nothing more could be reaped, CQE
 * or not, so callers poll again: bounded here. */
static int one(struct io_uring *ring)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 10000000 };
	struct io_uring_cqe *cqe = NULL;
	uint64_t end = t_now_usec() + 5000000;
	int res;

	while (io_uring_wait_cqe_timeout(ring, &cqe, &ts) || !cqe)
		if (t_now_usec() > end)
			t_fail("no CQE on the IOPOLL ring");
	res = cqe->res;

	io_uring_cqe_seen(ring, cqe);
	return res;
}

int main(void)
{
	struct io_uring ring, plain;
	struct io_uring_sqe *sqe;
	static char buf[4096] __attribute__((aligned(4096)));
	struct statfs sfs;
	int p[2], fd, res, sv[2];
	char *path;

	t_eq(t_setup_ring(&ring, 8, IORING_SETUP_HYBRID_IOPOLL), -EINVAL);
	t_eq(t_setup_ring(&ring, 8, IORING_SETUP_IOPOLL |
			  IORING_SETUP_HYBRID_IOPOLL), 0);
	t_prep_nop(&ring, 1);
	t_submit(&ring, 1);
	t_eq(one(&ring), 0);
	io_uring_queue_exit(&ring);
	t_eq(t_setup_ring(&ring, 8, IORING_SETUP_IOPOLL), 0);

	t_prep_nop(&ring, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 0, 0);

	/* Not an IOPOLL opcode: refused at submit. */
	t_pipe(p);
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, p[0], POLLIN);
	sqe->user_data = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, -EINVAL, 0);

	/* Reads: a pipe, a buffered file. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, 16, 0);
	sqe->user_data = 3;
	t_submit(&ring, 1);
	t_eq(one(&ring), -EOPNOTSUPP);
	path = t_create_file(8192, 7);
	fd = open(path, O_RDONLY);
	t_assert(fd >= 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 4096, 0);
	t_submit(&ring, 1);
	t_eq(one(&ring), -EOPNOTSUPP);
	close(fd);
	/* O_DIRECT: polled where the device's queue polls (io_poll), refused
	 * on tmpfs and on queues without poll support. */
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd >= 0) {
		sqe = t_get_sqe(&ring);
		io_uring_prep_read(sqe, fd, buf, 4096, 4096);
		t_submit(&ring, 1);
		res = one(&ring);
		t_eq(fstatfs(fd, &sfs), 0);
		if (sfs.f_type == 0x01021994) {		/* TMPFS_MAGIC */
			t_eq(res, -EOPNOTSUPP);
		} else if (res != -EOPNOTSUPP) {
			t_eq(res, 4096);
			t_assert(t_check_pattern(buf, 4096, 4096, 7) < 0);
		}
		close(fd);
	}
	unlink(path);
	free(path);
	close(p[0]);
	close(p[1]);

	/* PROVIDE_BUFFERS is an IOPOLL opcode. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_provide_buffers(sqe, buf, 64, 1, 1, 0);
	sqe->user_data = 4;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, 0, 0);

	/* A socket command (no iopoll hook): 7.1 completes it as usual;
	 * older kernels refuse it. */
	t_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	{
		int v = 1;

		sqe = t_get_sqe(&ring);
		io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_SETSOCKOPT, sv[0],
				       SOL_SOCKET, SO_PASSCRED, &v, sizeof(v));
		sqe->user_data = 5;
		t_submit(&ring, 1);
		res = one(&ring);
		if (t_backend_is_kernel())
			t_assert(res == 0 || res == -EOPNOTSUPP);
		else
			t_eq(res, 0);
	}
	close(sv[0]);
	close(sv[1]);

	if (!t_backend_is_kernel()) {
		int dfd = ursa_device_create(&polled_fops, NULL, URSA_DEV_NOWAIT, NULL);

		t_assert(dfd >= 0);
		/* Polled: completes only through enter's polling. */
		sqe = t_get_sqe(&ring);
		io_uring_prep_uring_cmd(sqe, 1, dfd);
		sqe->user_data = 6;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 6, 33, 0);
		t_assert(polls >= 3);
		/* Inline on an IOPOLL ring. */
		sqe = t_get_sqe(&ring);
		io_uring_prep_uring_cmd(sqe, 2, dfd);
		sqe->user_data = 7;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 7, 11, 0);
		/* On a plain ring the driver is not told to be polled. */
		t_ring_init(&plain, 4, 0);
		sqe = t_get_sqe(&plain);
		io_uring_prep_uring_cmd(sqe, 1, dfd);
		sqe->user_data = 8;
		t_submit(&plain, 1);
		t_expect_cqe(&plain, 8, -EINVAL, 0);
		io_uring_queue_exit(&plain);
		t_eq(ursa_close(dfd), 0);
	}
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
