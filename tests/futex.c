/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_FUTEX_WAIT and IORING_OP_FUTEX_WAKE.  A wait whose
 * value differs completes with -EAGAIN; a matching wait sleeps until a
 * FUTEX_WAKE SQE or a plain futex wake from another thread wakes it (0); a
 * wait submitted before a wake is always found by it (the wake's result
 * counts it, waiters wake in order); waking 0 wakes nobody; bitset masks;
 * private, shared and NUMA futexes; every -EINVAL/-EFAULT of the kernel
 * (flags, sizes, 32-bit values and masks, reserved fields, alignment, bad
 * addresses); a failed wait breaks its link; teardown with a wait pending.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers/helpers.h"

#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U8		0x00
#define FUTEX2_SIZE_U16		0x01
#define FUTEX2_SIZE_U32		0x02
#define FUTEX2_SIZE_U64		0x03
#define FUTEX2_NUMA		0x04
#define FUTEX2_PRIVATE		FUTEX_PRIVATE_FLAG
#endif
#define FUTEX2_MPOL_		0x08
#define ANY			FUTEX_BITSET_MATCH_ANY
#define U32			FUTEX2_SIZE_U32
#define PRIV			(FUTEX2_SIZE_U32 | FUTEX2_PRIVATE)

static struct io_uring ring;

static void wait_sqe(uint64_t ud, uint32_t *f, uint64_t val, uint64_t mask,
		     uint32_t flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_futex_wait(sqe, f, val, mask, flags, 0);
	sqe->user_data = ud;
}

static void wake_sqe(uint64_t ud, uint32_t *f, uint64_t nr, uint64_t mask,
		     uint32_t flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_futex_wake(sqe, f, nr, mask, flags, 0);
	sqe->user_data = ud;
}

static void one(uint64_t ud, int res)
{
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, res, 0);
}

/* Nothing completes for a while. */
static void quiet(void)
{
	usleep(30000);
	t_expect_no_cqe(&ring);
}

static void test_prep_errors(uint32_t *f)
{
	static const uint32_t bad_flags[] = {
		FUTEX2_SIZE_U8, FUTEX2_SIZE_U16, FUTEX2_SIZE_U64, 0x10, 0x20,
		0x40, 0x100, 0x1000, FUTEX2_PRIVATE | FUTEX2_SIZE_U64,
	};
	struct io_uring_sqe *sqe;
	unsigned i;

	*f = 0;
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		wait_sqe(10 + i, f, 1, ANY, bad_flags[i]);
		one(10 + i, -EINVAL);
		wake_sqe(30 + i, f, 1, ANY, bad_flags[i]);
		one(30 + i, -EINVAL);
	}
	/* 32-bit futex: value and mask must fit in 32 bits. */
	wait_sqe(50, f, 1ull << 32, ANY, U32);
	one(50, -EINVAL);
	wait_sqe(51, f, 0, 1ull << 32, U32);
	one(51, -EINVAL);
	wake_sqe(52, f, 1ull << 32, ANY, U32);
	one(52, -EINVAL);
	wake_sqe(53, f, 1, 0x1ffffffffull, U32);
	one(53, -EINVAL);
	/* Reserved fields. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_wait(sqe, f, 1, ANY, U32, 0);
	sqe->len = 1;
	sqe->user_data = 55;
	one(55, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_wake(sqe, f, 1, ANY, U32, 1);	/* futex_flags */
	sqe->user_data = 56;
	one(56, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_wait(sqe, f, 1, ANY, U32, 0);
	sqe->buf_index = 1;
	sqe->user_data = 57;
	one(57, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_wake(sqe, f, 1, ANY, U32, 0);
	sqe->file_index = 1;
	sqe->user_data = 58;
	one(58, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_wake(sqe, f, 1, ANY, U32, 0);
	sqe->ioprio = 1;
	sqe->user_data = 59;
	one(59, -EINVAL);
	/* Fields the op does not read are ignored. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_wake(sqe, f, 1, ANY, U32, 0);
	sqe->__pad2[0] = 7;
	sqe->user_data = 60;
	one(60, 0);
}

static void test_issue_errors(uint32_t *f)
{
	*f = 5;
	wait_sqe(1, f, 4, ANY, U32);		/* value differs */
	one(1, -EAGAIN);
	wait_sqe(2, f, 4, ANY, PRIV);
	one(2, -EAGAIN);
	wait_sqe(3, f, 5, 0, U32);		/* empty mask */
	one(3, -EINVAL);
	wait_sqe(4, (uint32_t *)((char *)f + 1), 5, ANY, U32);	/* alignment */
	one(4, -EINVAL);
	wait_sqe(5, NULL, 0, ANY, U32);
	one(5, -EFAULT);
	wait_sqe(6, NULL, 0, ANY, PRIV);
	one(6, -EFAULT);
	wait_sqe(7, NULL, 0, 0, U32);		/* the mask is checked first */
	one(7, -EINVAL);

	wake_sqe(10, f, 1, 0, U32);
	one(10, -EINVAL);
	wake_sqe(11, (uint32_t *)((char *)f + 2), 1, ANY, U32);
	one(11, -EINVAL);
	/* A shared wake must resolve the page; a private one only hashes
	 * the address, so nothing faults. */
	wake_sqe(12, NULL, 1, ANY, U32);
	one(12, -EFAULT);
	wake_sqe(13, NULL, 1, ANY, PRIV);
	one(13, 0);
	/* No waiters: 0, whatever the count. */
	wake_sqe(14, f, 0xffffffffull, ANY, U32);
	one(14, 0);
}

/* Wait, then a wake SQE: the wait completes with 0, the wake with 1. */
static void test_wait_wake(uint32_t *f, uint32_t flags)
{
	*f = 0;
	wait_sqe(1, f, 0, ANY, flags);
	t_submit(&ring, 1);
	quiet();
	*f = 1;		/* like a lock release: change, then wake */
	wake_sqe(2, f, 1, ANY, flags);
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = { { 1, 0, 0, 0 }, { 2, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}

	/* Wait and wake in one submission: the wait is queued first. */
	*f = 0;
	wait_sqe(3, f, 0, ANY, flags);
	wake_sqe(4, f, 1, ANY, flags);
	t_submit(&ring, 2);
	{
		struct t_cqe_want w[] = { { 3, 0, 0, 0 }, { 4, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
}

/* Waking 0 futexes wakes nobody and says 0. */
static void test_wake_zero(uint32_t *f)
{
	*f = 0;
	wait_sqe(1, f, 0, ANY, U32);
	t_submit(&ring, 1);
	wake_sqe(2, f, 0, ANY, U32);
	one(2, 0);
	quiet();
	wake_sqe(3, f, 1, ANY, U32);
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = { { 1, 0, 0, 0 }, { 3, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
}

/* Two waits, wake one: the first submitted wakes; then the other. */
static void test_order(uint32_t *f)
{
	*f = 0;
	wait_sqe(1, f, 0, ANY, U32);
	wait_sqe(2, f, 0, ANY, U32);
	t_submit(&ring, 2);
	*f = 1;
	wake_sqe(3, f, 1, ANY, U32);
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = { { 1, 0, 0, 0 }, { 3, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
	quiet();
	wake_sqe(4, f, 1, ANY, U32);
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = { { 2, 0, 0, 0 }, { 4, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}

	/* Wake both at once. */
	*f = 0;
	wait_sqe(5, f, 0, ANY, U32);
	wait_sqe(6, f, 0, ANY, U32);
	t_submit(&ring, 2);
	*f = 1;
	wake_sqe(7, f, 2, ANY, U32);
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = {
			{ 5, 0, 0, 0 }, { 6, 0, 0, 0 }, { 7, 2, 0, 0 },
		};

		t_reap_cqes(&ring, w, 3);
	}
}

/* Bitsets: a wake reaches only waits whose mask intersects its own. */
static void test_bitset(uint32_t *f)
{
	*f = 0;
	wait_sqe(1, f, 0, 0x1, U32);
	t_submit(&ring, 1);
	wake_sqe(2, f, 1, 0x2, U32);
	one(2, 0);
	quiet();
	wake_sqe(3, f, 1, 0x3, U32);
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = { { 1, 0, 0, 0 }, { 3, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
}

struct waker {
	uint32_t *f;
	int op;
	int woken;
};

static void *waker_fn(void *arg)
{
	struct waker *wk = arg;

	usleep(20000);
	__atomic_store_n(wk->f, 1, __ATOMIC_SEQ_CST);
	wk->woken = (int)syscall(SYS_futex, wk->f, wk->op, 1, NULL, NULL, 0);
	return NULL;
}

/* A plain futex() wake from another thread ends the wait. */
static void test_plain_wake(uint32_t *f, uint32_t flags, int op)
{
	struct waker wk = { f, op, -1 };
	pthread_t th;

	*f = 0;
	wait_sqe(1, f, 0, ANY, flags);
	t_submit(&ring, 1);
	t_assert(pthread_create(&th, NULL, waker_fn, &wk) == 0);
	t_expect_cqe(&ring, 1, 0, 0);
	pthread_join(th, NULL);
	t_eq(wk.woken, 1);
}

/* FUTEX2_NUMA: a 32-bit value followed by a 32-bit node word, 8-aligned. */
static void test_numa(uint32_t *f)
{
	uint32_t flags = PRIV | FUTEX2_NUMA;

	f[0] = 0;
	f[1] = 0;	/* node 0 */
	wait_sqe(1, f + 1, 0, ANY, flags);	/* 4 mod 8 */
	one(1, -EINVAL);
	wait_sqe(2, f, 1, ANY, flags);
	one(2, -EAGAIN);
	wait_sqe(3, f, 0, ANY, flags);
	t_submit(&ring, 1);
	quiet();
	wake_sqe(4, f, 1, ANY, flags);
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = { { 3, 0, 0, 0 }, { 4, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
	/* FUTEX2_MPOL is accepted too. */
	wake_sqe(5, f, 1, ANY, flags | FUTEX2_MPOL_);
	one(5, 0);
}

/* A failed wait (-EAGAIN) fails its link. */
static void test_link(uint32_t *f)
{
	struct io_uring_sqe *sqe;

	*f = 3;
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_wait(sqe, f, 0, ANY, U32, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	t_prep_nop(&ring, 2);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 1, -EAGAIN, 0);
	t_expect_cqe(&ring, 2, -ECANCELED, 0);
}

static void *idle_fn(void *arg)
{
	return arg;
}

int main(void)
{
	uint32_t *f, *shared;
	pthread_t th;

	/*
	 * Become multithreaded first.  On 6.18 a process gets its private
	 * futex hash with its first extra thread, and a private wait queued
	 * before that (io_uring's included) is no longer found by private
	 * wakes made afterwards; ursa's workers are threads anyway.
	 */
	t_assert(pthread_create(&th, NULL, idle_fn, NULL) == 0);
	pthread_join(th, NULL);

	f = aligned_alloc(64, 64);
	t_assert(f);
	memset(f, 0, 64);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	t_assert(shared != MAP_FAILED);

	t_ring_init(&ring, 16, 0);
	test_prep_errors(f);
	test_issue_errors(f);
	test_wait_wake(f, U32);
	test_wait_wake(f, PRIV);
	test_wait_wake(shared, U32);
	test_wake_zero(f);
	test_order(f);
	test_bitset(f);
	test_plain_wake(f, PRIV, FUTEX_WAKE_PRIVATE);
	test_plain_wake(shared, U32, FUTEX_WAKE);
	test_numa(f);
	test_link(f);

	/* Teardown with a wait still sleeping. */
	*f = 0;
	wait_sqe(99, f, 0, ANY, U32);
	t_submit(&ring, 1);
	io_uring_queue_exit(&ring);
	free(f);
	return T_EXIT_PASS;
}
