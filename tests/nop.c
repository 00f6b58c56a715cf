/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_NOP and its flags: user_data round trip,
 * IORING_NOP_INJECT_RESULT (result taken from sqe->len), IORING_NOP_FILE with
 * a bad / good fd, IORING_NOP_FIXED_FILE against the registered file table,
 * IORING_NOP_FIXED_BUFFER, IORING_NOP_CQE32 (extra words from sqe->off and
 * sqe->addr) on CQE32 and CQE_MIXED rings, and unknown nop_flags (-EINVAL).
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

/* Kernel uAPI values (liburing's own header copy lacks some of them). */
#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT (1U << 0)
#endif
#ifndef IORING_NOP_FILE
#define IORING_NOP_FILE (1U << 1)
#endif
#ifndef IORING_NOP_FIXED_FILE
#define IORING_NOP_FIXED_FILE (1U << 2)
#endif
#ifndef IORING_NOP_FIXED_BUFFER
#define IORING_NOP_FIXED_BUFFER (1U << 3)
#endif
#ifndef IORING_NOP_TW
#define IORING_NOP_TW (1U << 4)
#endif
#ifndef IORING_NOP_CQE32
#define IORING_NOP_CQE32 (1U << 5)
#endif

static struct io_uring_sqe *nop_flags(struct io_uring *ring, uint64_t ud,
				      unsigned flags)
{
	struct io_uring_sqe *sqe = t_prep_nop(ring, ud);

	sqe->nop_flags = flags;
	return sqe;
}

static void test_basic(void)
{
	struct io_uring ring;

	t_ring_init(&ring, 8, 0);

	/* Plain NOP: res 0, flags 0, user_data round trip (all 64 bits). */
	t_prep_nop(&ring, 0xdeadbeefcafef00dULL);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0xdeadbeefcafef00dULL, 0, 0);

	/* user_data 0 is a valid value too. */
	t_prep_nop(&ring, 0);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0, 0, 0);

	/* io_uring_sqe_set_data / cqe_get_data round trip. */
	{
		static int marker;
		struct io_uring_sqe *sqe = t_prep_nop(&ring, 0);
		struct io_uring_cqe *cqe;

		io_uring_sqe_set_data(sqe, &marker);
		t_submit(&ring, 1);
		cqe = t_wait_cqe(&ring);
		t_assert(io_uring_cqe_get_data(cqe) == &marker);
		t_eq(cqe->res, 0);
		io_uring_cqe_seen(&ring, cqe);
	}

	/* Without INJECT_RESULT, sqe->len is ignored. */
	t_prep_nop(&ring, 3)->len = 1234;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, 0, 0);

	/* INJECT_RESULT: the CQE carries sqe->len (as a signed value). */
	nop_flags(&ring, 4, IORING_NOP_INJECT_RESULT)->len = 1234;
	nop_flags(&ring, 5, IORING_NOP_INJECT_RESULT)->len = (unsigned)-EIO;
	nop_flags(&ring, 6, IORING_NOP_INJECT_RESULT)->len = 0;
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 4, 1234, 0);
	t_expect_cqe(&ring, 5, -EIO, 0);
	t_expect_cqe(&ring, 6, 0, 0);

	/* Unknown nop_flags bits: -EINVAL from prep, still one CQE. */
	/* (a prep failure ends the submit batch, so one at a time) */
	nop_flags(&ring, 7, 1U << 20);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, -EINVAL, 0);
	nop_flags(&ring, 8, 1U << 31);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 8, -EINVAL, 0);

	/* IORING_NOP_TW (complete through task work) still completes with 0. */
	nop_flags(&ring, 9, IORING_NOP_TW);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 9, 0, 0);

	/*
	 * Generic SQE checks as the kernel applies them to NOP: ioprio on an
	 * opcode without ioprio support -> -EINVAL; an unknown personality ->
	 * -EINVAL; IOSQE_BUFFER_SELECT on an opcode that cannot select
	 * buffers -> -EOPNOTSUPP.  IOSQE_FIXED_FILE is ignored (NOP takes no
	 * file), and unused fields (off, addr, buf_index, addr3, ...) are not
	 * checked by NOP.
	 */
	t_prep_nop(&ring, 20)->ioprio = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, -EINVAL, 0);
	t_prep_nop(&ring, 21)->personality = 0x7fff;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, -EINVAL, 0);
	t_prep_nop(&ring, 22)->flags = IOSQE_BUFFER_SELECT;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 22, -EOPNOTSUPP, 0);
	{
		struct io_uring_sqe *sqe = t_prep_nop(&ring, 23);

		sqe->flags = IOSQE_FIXED_FILE;
		sqe->fd = 3;
		sqe->off = 1;
		sqe->addr = 2;
		sqe->buf_index = 3;
		sqe->splice_fd_in = 4;
		sqe->addr3 = 5;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 23, 0, 0);
	}

	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
}

static void test_files(void)
{
	struct io_uring ring;
	int fds[2], ret;
	struct io_uring_sqe *sqe;

	t_ring_init(&ring, 8, 0);
	t_pipe(fds);

	/* NOP_FILE with a valid normal fd: 0. */
	sqe = nop_flags(&ring, 1, IORING_NOP_FILE);
	sqe->fd = fds[0];
	/* NOP_FILE with an fd that is not open: -EBADF. */
	sqe = nop_flags(&ring, 2, IORING_NOP_FILE);
	sqe->fd = 1000;
	sqe = nop_flags(&ring, 3, IORING_NOP_FILE);
	sqe->fd = -1;
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 1, 0, 0);
	t_expect_cqe(&ring, 2, -EBADF, 0);
	t_expect_cqe(&ring, 3, -EBADF, 0);

	/* An injected result is replaced by -EBADF when the file lookup fails. */
	sqe = nop_flags(&ring, 4, IORING_NOP_FILE | IORING_NOP_INJECT_RESULT);
	sqe->fd = 1000;
	sqe->len = 77;
	sqe = nop_flags(&ring, 5, IORING_NOP_FILE | IORING_NOP_INJECT_RESULT);
	sqe->fd = fds[1];
	sqe->len = 77;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 4, -EBADF, 0);
	t_expect_cqe(&ring, 5, 77, 0);

	/* FIXED_FILE without a registered table: -EBADF. */
	sqe = nop_flags(&ring, 6, IORING_NOP_FILE | IORING_NOP_FIXED_FILE);
	sqe->fd = 0;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -EBADF, 0);

	/* FIXED_FILE without FILE: no lookup happens at all. */
	sqe = nop_flags(&ring, 7, IORING_NOP_FIXED_FILE);
	sqe->fd = 12345;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, 0, 0);

	/* Register { fds[0], hole, fds[1] }; look up each slot and beyond. */
	{
		int table[3] = { fds[0], -1, fds[1] };

		ret = io_uring_register_files(&ring, table, 3);
		if (ret)
			t_fail("register_files: %s", t_errname(ret));
	}
	for (int i = 0; i < 5; i++) {
		sqe = nop_flags(&ring, 10 + i,
				IORING_NOP_FILE | IORING_NOP_FIXED_FILE);
		sqe->fd = i;
	}
	t_submit(&ring, 5);
	t_expect_cqe(&ring, 10, 0, 0);
	t_expect_cqe(&ring, 11, -EBADF, 0);	/* sparse hole */
	t_expect_cqe(&ring, 12, 0, 0);
	t_expect_cqe(&ring, 13, -EBADF, 0);	/* beyond the table */
	t_expect_cqe(&ring, 14, -EBADF, 0);

	close(fds[0]);
	close(fds[1]);
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
}

static void test_fixed_buffer(void)
{
	struct io_uring ring;
	static char buf[4096];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct io_uring_sqe *sqe;
	int ret;

	t_ring_init(&ring, 8, 0);

	/* No buffer table: -EFAULT. */
	sqe = nop_flags(&ring, 1, IORING_NOP_FIXED_BUFFER);
	sqe->buf_index = 0;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EFAULT, 0);

	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret)
		t_fail("register_buffers: %s", t_errname(ret));
	sqe = nop_flags(&ring, 2, IORING_NOP_FIXED_BUFFER);
	sqe->buf_index = 0;
	sqe = nop_flags(&ring, 3, IORING_NOP_FIXED_BUFFER);
	sqe->buf_index = 1;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 2, 0, 0);
	t_expect_cqe(&ring, 3, -EFAULT, 0);

	io_uring_queue_exit(&ring);
}

static void test_cqe32(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	/* NOP_CQE32 on a ring with 16-byte CQEs: -EINVAL. */
	t_ring_init(&ring, 8, 0);
	sqe = nop_flags(&ring, 1, IORING_NOP_CQE32);
	sqe->off = 11;
	sqe->addr = 22;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EINVAL, 0);
	io_uring_queue_exit(&ring);

	/* CQE32 ring: big_cqe[0] = sqe->off, big_cqe[1] = sqe->addr. */
	t_ring_init(&ring, 8, IORING_SETUP_CQE32);
	sqe = nop_flags(&ring, 2, IORING_NOP_CQE32 | IORING_NOP_INJECT_RESULT);
	sqe->off = 0x1111222233334444ULL;
	sqe->addr = 0x5555666677778888ULL;
	sqe->len = 5;
	/* A plain NOP on a CQE32 ring has zeroed extra words. */
	sqe = t_prep_nop(&ring, 3);
	t_submit(&ring, 2);
	cqe = t_wait_cqe(&ring);
	t_check_cqe(cqe, 2, 5, 0);
	t_eq(cqe->big_cqe[0], 0x1111222233334444ULL);
	t_eq(cqe->big_cqe[1], 0x5555666677778888ULL);
	io_uring_cqe_seen(&ring, cqe);
	cqe = t_wait_cqe(&ring);
	t_check_cqe(cqe, 3, 0, 0);
	t_eq(cqe->big_cqe[0], 0);
	t_eq(cqe->big_cqe[1], 0);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);

	/*
	 * CQE_MIXED ring: a NOP_CQE32 completion takes two slots and is marked
	 * IORING_CQE_F_32; ordinary ones stay 16 bytes.
	 */
	ret = t_setup_ring(&ring, 8, IORING_SETUP_CQE_MIXED);
	if (ret == -EINVAL) {
		printf("IORING_SETUP_CQE_MIXED not supported, part skipped\n");
		return;
	}
	if (ret)
		t_fail("CQE_MIXED setup: %s", t_errname(ret));
	t_prep_nop(&ring, 10);
	sqe = nop_flags(&ring, 11, IORING_NOP_CQE32);
	sqe->off = 7;
	sqe->addr = 8;
	t_prep_nop(&ring, 12);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 10, 0, 0);
	cqe = t_wait_cqe(&ring);
	t_check_cqe(cqe, 11, 0, IORING_CQE_F_32);
	t_eq(cqe->big_cqe[0], 7);
	t_eq(cqe->big_cqe[1], 8);
	io_uring_cqe_seen(&ring, cqe);
	t_expect_cqe(&ring, 12, 0, 0);
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
}

int main(void)
{
	test_basic();
	test_files();
	test_fixed_buffer();
	test_cqe32();
	return T_EXIT_PASS;
}
