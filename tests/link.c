/* SPDX-License-Identifier: MIT */
/*
 * Description: linked requests (IOSQE_IO_LINK / IOSQE_IO_HARDLINK): chains
 * run in order and post CQEs in chain order; a member that fails cancels the
 * rest with -ECANCELED; a short read (file, pipe, EOF) counts as a failure;
 * HARDLINK keeps going after an execution failure but not after a prep
 * failure; a prep failure inside a chain consumes the whole chain (members
 * before it -ECANCELED too) and only stops the submit if the failing SQE has
 * no link flag; a link flag on the last SQE of a submit ends the
 * chain there; a chain waits behind a pending member.
 */
#include <unistd.h>

#include "helpers/helpers.h"

#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT (1U << 0)
#endif

static struct io_uring ring;
static int fd, fds[2];
static char buf[64];

static struct io_uring_sqe *nop(uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *sqe = t_prep_nop(&ring, ud);

	sqe->flags |= flags;
	return sqe;
}

static struct io_uring_sqe *rd(uint64_t ud, int f, unsigned len, uint64_t off,
			       unsigned flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_read(sqe, f, buf, len, off);
	sqe->user_data = ud;
	sqe->flags |= flags;
	return sqe;
}

static void test_success_chain(void)
{
	nop(1, IOSQE_IO_LINK);
	rd(2, fd, 10, 0, IOSQE_IO_LINK);
	nop(3, IOSQE_IO_LINK);
	nop(4, 0);
	t_submit(&ring, 4);
	t_expect_cqe(&ring, 1, 0, 0);
	t_expect_cqe(&ring, 2, 10, 0);
	t_expect_cqe(&ring, 3, 0, 0);
	t_expect_cqe(&ring, 4, 0, 0);

	/* Two chains and a loose request in one submit. */
	nop(10, IOSQE_IO_LINK);
	nop(11, 0);
	nop(12, 0);
	nop(13, IOSQE_IO_LINK);
	nop(14, 0);
	t_submit(&ring, 5);
	{
		/*
		 * Order holds within a chain only: a linked member is issued
		 * after its predecessor completes, so the loose NOP (12) may
		 * complete before 11.
		 */
		struct t_cqe_want w[] = {
			{ 10, 0, 0, 0 }, { 11, 0, 0, 0 }, { 12, 0, 0, 0 },
			{ 13, 0, 0, 0 }, { 14, 0, 0, 0 },
		};

		t_reap_cqes(&ring, w, 5);
		t_in_order(w, 5, 10, 11);
		t_in_order(w, 5, 13, 14);
	}
}

static void test_exec_failure(void)
{
	/* Second member fails at execution: the rest is cancelled. */
	nop(1, IOSQE_IO_LINK);
	rd(2, 1000, 10, 0, IOSQE_IO_LINK);
	nop(3, IOSQE_IO_LINK);
	rd(4, fd, 10, 0, 0);
	t_submit(&ring, 4);
	t_expect_cqe(&ring, 1, 0, 0);
	t_expect_cqe(&ring, 2, -EBADF, 0);
	t_expect_cqe(&ring, 3, -ECANCELED, 0);
	t_expect_cqe(&ring, 4, -ECANCELED, 0);

	/* The head fails. */
	rd(5, 1000, 10, 0, IOSQE_IO_LINK);
	nop(6, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 5, -EBADF, 0);
	t_expect_cqe(&ring, 6, -ECANCELED, 0);
}

static void test_injected(void)
{
	struct io_uring_sqe *sqe;

	/* A negative injected NOP result is a failure; a positive isn't. */

	sqe = nop(7, IOSQE_IO_LINK);
	sqe->nop_flags = IORING_NOP_INJECT_RESULT;
	sqe->len = (unsigned)-EIO;
	nop(8, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 7, -EIO, 0);
	t_expect_cqe(&ring, 8, -ECANCELED, 0);
	sqe = nop(9, IOSQE_IO_LINK);
	sqe->nop_flags = IORING_NOP_INJECT_RESULT;
	sqe->len = 5;
	nop(10, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 9, 5, 0);
	t_expect_cqe(&ring, 10, 0, 0);
}

static void test_short_read(void)
{
	/* File of 100 bytes: 10 at offset 95 gives 5, which breaks the link. */
	rd(1, fd, 10, 95, IOSQE_IO_LINK);
	nop(2, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 1, 5, 0);
	t_expect_cqe(&ring, 2, -ECANCELED, 0);

	/* 0 at EOF: also short. */
	rd(3, fd, 10, 200, IOSQE_IO_LINK);
	nop(4, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 3, 0, 0);
	t_expect_cqe(&ring, 4, -ECANCELED, 0);

	/* A pipe read returning less than asked. */
	t_eq(write(fds[1], "ab", 2), 2);
	rd(5, fds[0], 10, 0, IOSQE_IO_LINK);
	nop(6, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 5, 2, 0);
	t_expect_cqe(&ring, 6, -ECANCELED, 0);

	/* Exactly the requested length: not short. */
	rd(7, fd, 10, 90, IOSQE_IO_LINK);
	nop(8, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 7, 10, 0);
	t_expect_cqe(&ring, 8, 0, 0);
}

static void test_hardlink(void)
{
	rd(1, 1000, 10, 0, IOSQE_IO_HARDLINK);
	rd(2, fd, 10, 95, IOSQE_IO_HARDLINK);	/* short */
	nop(3, 0);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 1, -EBADF, 0);
	t_expect_cqe(&ring, 2, 5, 0);
	t_expect_cqe(&ring, 3, 0, 0);

	/* HARDLINK then LINK: the LINK member's failure cancels the rest. */
	rd(4, 1000, 10, 0, IOSQE_IO_HARDLINK);
	rd(5, 1000, 10, 0, IOSQE_IO_LINK);
	nop(6, 0);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 4, -EBADF, 0);
	t_expect_cqe(&ring, 5, -EBADF, 0);
	t_expect_cqe(&ring, 6, -ECANCELED, 0);

	/* A prep failure cancels even through a hard link. */
	nop(7, IOSQE_IO_HARDLINK)->opcode = 0xfe;
	nop(8, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 7, -EINVAL, 0);
	t_expect_cqe(&ring, 8, -ECANCELED, 0);
}

static void test_prep_failure(void)
{
	/*
	 * Prep fails on the second of four.  The failing SQE carries
	 * IOSQE_IO_LINK, so the kernel keeps assembling the chain (to keep
	 * links whole) and does NOT stop the submission: the chain and the
	 * NOP after it are all consumed (submit returns 5).  Members before
	 * the failure are cancelled too; the chain's CQEs are in order.
	 */
	nop(1, IOSQE_IO_LINK);
	nop(2, IOSQE_IO_LINK)->opcode = 0xfe;
	nop(3, IOSQE_IO_LINK);
	nop(4, 0);
	nop(5, 0);
	t_submit(&ring, 5);
	{
		/* (6.18 posts 1, then 5, then 2, 3, 4) */
		struct t_cqe_want w[] = {
			{ 1, -ECANCELED, 0, 0 }, { 2, -EINVAL, 0, 0 },
			{ 3, -ECANCELED, 0, 0 }, { 4, -ECANCELED, 0, 0 },
			{ 5, 0, 0, 0 },
		};

		t_reap_cqes(&ring, w, 5);
		t_in_order(w, 5, 1, 2, 3, 4);
	}
	t_expect_no_cqe(&ring);

	/*
	 * Prep fails on the last member (no link flag): the submission stops
	 * after it, as for a lone SQE.
	 */
	nop(6, IOSQE_IO_LINK);
	nop(7, 0)->opcode = 0xfe;
	nop(8, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 6, -ECANCELED, 0);
	t_expect_cqe(&ring, 7, -EINVAL, 0);
	t_expect_no_cqe(&ring);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 8, 0, 0);
}

static void test_pending_member(void)
{
	/* A chain behind a pipe read waits for it; then goes on in order. */
	rd(1, fds[0], 3, 0, IOSQE_IO_LINK);
	nop(2, IOSQE_IO_LINK);
	rd(3, fd, 10, 0, 0);
	nop(4, 0);		/* not in the chain: completes first */
	t_submit(&ring, 4);
	t_expect_cqe(&ring, 4, 0, 0);
	usleep(10000);
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "xyz", 3), 3);
	t_expect_cqe(&ring, 1, 3, 0);
	t_expect_cqe(&ring, 2, 0, 0);
	t_expect_cqe(&ring, 3, 10, 0);
}

static void test_across_submits(void)
{
	/*
	 * IOSQE_IO_LINK on the last SQE of a submit: the chain ends with
	 * the submit; the next submit's SQE does not wait for it.
	 */
	rd(1, fds[0], 1, 0, IOSQE_IO_LINK);
	t_submit(&ring, 1);
	nop(2, 0);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 0, 0);
	t_eq(write(fds[1], "q", 1), 1);
	t_expect_cqe(&ring, 1, 1, 0);

	/* The same inside one io_uring_submit: the chain holds. */
	rd(3, fds[0], 1, 0, IOSQE_IO_LINK);
	nop(4, 0);
	t_submit(&ring, 2);
	usleep(5000);
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "r", 1), 1);
	t_expect_cqe(&ring, 3, 1, 0);
	t_expect_cqe(&ring, 4, 0, 0);
}

static void test_long_chain(void)
{
	/* A chain as long as the SQ. */
	for (int i = 0; i < 32; i++)
		nop(100 + i, i == 31 ? 0 : IOSQE_IO_LINK);
	t_submit(&ring, 32);
	for (int i = 0; i < 32; i++)
		t_expect_cqe(&ring, 100 + i, 0, 0);
}

int main(void)
{
	t_ring_init(&ring, 32, 0);
	fd = t_temp_fd(100, 2);
	t_pipe(fds);

	test_success_chain();
	test_exec_failure();
	test_injected();
	test_short_read();
	test_hardlink();
	test_prep_failure();
	test_pending_member();
	test_across_submits();
	test_long_chain();
	t_expect_no_cqe(&ring);

	close(fd);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
