/* SPDX-License-Identifier: MIT */
/*
 * Description: IOSQE_CQE_SKIP_SUCCESS: no CQE when the request succeeds (the
 * work is still done), a CQE when it fails (negative result, short read);
 * inside links: a failing member WITHOUT the flag makes the cancelled members
 * post -ECANCELED CQEs even if they carry the flag, while a failing member
 * WITH the flag suppresses the CQEs of the cancelled rest; hard links; and
 * IOSQE_IO_DRAIN is refused (-EOPNOTSUPP) on a ring that has seen the flag.
 */
#include <unistd.h>

#include "helpers/helpers.h"

#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT (1U << 0)
#endif

#define SKIP IOSQE_CQE_SKIP_SUCCESS
#define LINK IOSQE_IO_LINK

static struct io_uring ring;
static int fd;
static char buf[128];

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

/* Wait a little, then check that nothing else was posted. */
static void quiet(void)
{
	usleep(10000);
	t_expect_no_cqe(&ring);
}

static void test_single(void)
{
	struct io_uring_sqe *sqe;

	nop(1, SKIP);
	nop(2, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 2, 0, 0);
	quiet();

	/* A skipped read still reads. */
	memset(buf, 0, sizeof(buf));
	rd(3, fd, 10, 0, SKIP);
	nop(4, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 4, 0, 0);
	quiet();
	t_assert(t_check_pattern(buf, 10, 0, 3) < 0);

	/* Failures are posted. */
	rd(5, 1000, 10, 0, SKIP);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, -EBADF, 0);

	/* Positive injected result: success, skipped; negative: posted. */
	sqe = nop(6, SKIP);
	sqe->nop_flags = IORING_NOP_INJECT_RESULT;
	sqe->len = 5;
	sqe = nop(7, SKIP);
	sqe->nop_flags = IORING_NOP_INJECT_RESULT;
	sqe->len = (unsigned)-3;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 7, -3, 0);
	quiet();

	/* A prep failure is posted too. */
	nop(8, SKIP)->opcode = 0xfe;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 8, -EINVAL, 0);

	/* Many skipped NOPs, then one visible: only that one arrives. */
	for (int i = 0; i < 15; i++)
		nop(100 + i, SKIP);
	nop(200, 0);
	t_submit(&ring, 16);
	t_expect_cqe(&ring, 200, 0, 0);
	quiet();
}

static void test_links(void)
{
	/* All skipped but the last: one CQE. */
	nop(1, SKIP | LINK);
	rd(2, fd, 10, 0, SKIP | LINK);
	nop(3, 0);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 3, 0, 0);
	quiet();

	/*
	 * The failing member has no SKIP: the cancelled members post
	 * -ECANCELED although they have SKIP.
	 */
	rd(10, 1000, 10, 0, LINK);
	nop(11, SKIP | LINK);
	nop(12, SKIP);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 10, -EBADF, 0);
	t_expect_cqe(&ring, 11, -ECANCELED, 0);
	t_expect_cqe(&ring, 12, -ECANCELED, 0);
	quiet();

	/*
	 * The failing member has SKIP: its own CQE is posted, and the CQEs of
	 * the members it cancels are suppressed, even for a member without
	 * SKIP (20 succeeds and is skipped).
	 */
	nop(20, SKIP | LINK);
	rd(21, 1000, 10, 0, SKIP | LINK);
	nop(22, SKIP | LINK);
	nop(23, 0);
	t_submit(&ring, 4);
	t_expect_cqe(&ring, 21, -EBADF, 0);
	quiet();

	/* Same with a short read as the failure. */
	rd(30, fd, 10, 95, SKIP | LINK);
	nop(31, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 30, 5, 0);
	quiet();

	/* Hard link: the failure is posted and the rest still runs. */
	rd(40, 1000, 10, 0, SKIP | IOSQE_IO_HARDLINK);
	nop(41, SKIP | LINK);
	nop(42, 0);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 40, -EBADF, 0);
	t_expect_cqe(&ring, 42, 0, 0);
	quiet();

	/*
	 * A prep failure inside a chain with SKIP members: the head is
	 * cancelled and posted; since the head had SKIP, the CQEs of the rest
	 * of the chain, including the prep failure's own -EINVAL, are
	 * suppressed (kernel 6.18 behaviour).
	 */
	nop(50, SKIP | LINK);
	nop(51, SKIP | LINK)->opcode = 0xfe;
	nop(52, SKIP);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 50, -ECANCELED, 0);
	quiet();
}

static void test_drain(void)
{
	struct io_uring r2;

	/* This ring has seen SKIP requests: DRAIN is refused. */
	nop(1, IOSQE_IO_DRAIN);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EOPNOTSUPP, 0);

	/* Both on one SQE, on a fresh ring: refused as well. */
	t_ring_init(&r2, 4, 0);
	t_prep_nop(&r2, 2)->flags |= IOSQE_IO_DRAIN | SKIP;
	t_submit(&r2, 1);
	t_expect_cqe(&r2, 2, -EOPNOTSUPP, 0);
	io_uring_queue_exit(&r2);

	/* A fresh ring without SKIP: DRAIN works. */
	t_ring_init(&r2, 4, 0);
	t_prep_nop(&r2, 3)->flags |= IOSQE_IO_DRAIN;
	t_submit(&r2, 1);
	t_expect_cqe(&r2, 3, 0, 0);
	io_uring_queue_exit(&r2);
}

int main(void)
{
	t_ring_init(&ring, 16, 0);
	t_assert(ring.features & IORING_FEAT_CQE_SKIP);
	fd = t_temp_fd(100, 3);

	test_single();
	test_links();
	test_drain();

	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
