/* SPDX-License-Identifier: MIT */
/*
 * IORING_OP_URING_CMD128: a command in a 128-byte SQE on an SQE_MIXED ring
 * (two slots), refused on a ring without SQE_MIXED, as the kernel does; a
 * socket command through it; and, on ursa, a driver seeing the 80-byte
 * payload (URSA_URING_F_SQE128).  Differential where the kernel has the
 * opcode; skips the kernel pass when it does not.
 */
#include <sys/socket.h>
#include <unistd.h>

#include <ursa/driver.h>
#include <ursa/ursa.h>
#include "helpers/helpers.h"

static int sum_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	const unsigned char *p = ursa_uring_sqe_cmd(cmd->sqe);
	int sum = 0;

	if (!(issue_flags & URSA_URING_F_SQE128))
		return -EINVAL;
	for (int i = 0; i < 80; i++)
		sum += p[i];
	return sum;
}

static const struct ursa_file_operations sum_fops = { .uring_cmd = sum_cmd };

/* One 128-byte SQE (two slots): what submit counts for it is not pinned
 * down (liburing's own tests accept any positive count). */
static void submit128(struct io_uring *ring)
{
	int ret = io_uring_submit(ring);

	if (ret < 1 || ret > 2)
		t_fail("io_uring_submit = %d", ret);
}

int main(void)
{
	struct io_uring ring, plain;
	struct io_uring_probe *probe;
	struct io_uring_sqe *sqe;
	int sv[2], ret;

	ret = t_setup_ring(&ring, 8, IORING_SETUP_SQE_MIXED);
	if (ret == -EINVAL && t_backend_is_kernel())
		t_skip("this kernel has no IORING_SETUP_SQE_MIXED");
	t_eq(ret, 0);
	probe = io_uring_get_probe_ring(&ring);
	t_assert(probe);
	if (!io_uring_opcode_supported(probe, IORING_OP_URING_CMD128)) {
		io_uring_free_probe(probe);
		if (t_backend_is_kernel())
			t_skip("this kernel has no IORING_OP_URING_CMD128");
		t_fail("ursa's probe does not claim URING_CMD128");
	}
	io_uring_free_probe(probe);
	t_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t_eq(write(sv[1], "abc", 3), 3);

	/* A socket command in a 128-byte SQE: SIOCINQ says 3... on Unix
	 * sockets the kernel has no protocol ioctl: -EOPNOTSUPP on both. */
	sqe = io_uring_get_sqe128(&ring);
	t_assert(sqe);
	io_uring_prep_uring_cmd128(sqe, SOCKET_URING_OP_SIOCINQ, sv[0]);
	sqe->user_data = 1;
	submit128(&ring);
	t_expect_cqe(&ring, 1, -EOPNOTSUPP, 0);
	{
		int v = 1;

		sqe = io_uring_get_sqe128(&ring);
		io_uring_prep_uring_cmd128(sqe, SOCKET_URING_OP_SETSOCKOPT, sv[0]);
		sqe->level = SOL_SOCKET;
		sqe->optname = SO_PASSCRED;
		sqe->optval = (uint64_t)(uintptr_t)&v;
		sqe->optlen = sizeof(v);
		sqe->user_data = 2;
		submit128(&ring);
		t_expect_cqe(&ring, 2, 0, 0);
	}

	/* Without SQE_MIXED the 128-byte opcode is refused. */
	t_ring_init(&plain, 8, 0);
	sqe = t_get_sqe(&plain);
	io_uring_prep_uring_cmd128(sqe, SOCKET_URING_OP_SIOCINQ, sv[0]);
	sqe->user_data = 3;
	t_submit(&plain, 1);
	t_expect_cqe(&plain, 3, -EINVAL, 0);
	io_uring_queue_exit(&plain);

	if (!t_backend_is_kernel()) {
		int fd = ursa_device_create(&sum_fops, NULL, URSA_DEV_NOWAIT, NULL);
		unsigned char *pl;

		t_assert(fd >= 0);
		sqe = io_uring_get_sqe128(&ring);
		io_uring_prep_uring_cmd128(sqe, 0, fd);
		pl = (unsigned char *)sqe->cmd;
		for (int i = 0; i < 80; i++)
			pl[i] = 2;
		sqe->user_data = 4;
		submit128(&ring);
		t_expect_cqe(&ring, 4, 160, 0);
		t_eq(ursa_close(fd), 0);
	}
	close(sv[0]);
	close(sv[1]);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
