/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_FUTEX_WAITV.  The result is the index of the
 * futex that was woken; any entry whose value differs gives -EAGAIN; the
 * array is read at submit (changing it afterwards changes nothing); a plain
 * futex wake from another thread ends the wait; waits submitted first are
 * woken first; prep errors in the kernel's order (reserved SQE fields,
 * count 0 or over 128, the array unreadable, per entry: flags, reserved
 * word, 32-bit value), issue errors (alignment, bad futex address).
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers/helpers.h"

#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U8		0x00
#define FUTEX2_SIZE_U32		0x02
#define FUTEX2_SIZE_U64		0x03
#define FUTEX2_NUMA		0x04
#define FUTEX2_PRIVATE		FUTEX_PRIVATE_FLAG
#endif
#define U32			FUTEX2_SIZE_U32
#define ANY			FUTEX_BITSET_MATCH_ANY

static struct io_uring ring;

static void waitv_sqe(uint64_t ud, struct futex_waitv *v, unsigned nr)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_futex_waitv(sqe, v, nr, 0);
	sqe->user_data = ud;
}

static void one(uint64_t ud, int res)
{
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, res, 0);
}

static void quiet(void)
{
	usleep(30000);
	t_expect_no_cqe(&ring);
}

static void set(struct futex_waitv *v, uint32_t *f, uint64_t val,
		uint32_t flags)
{
	memset(v, 0, sizeof(*v));
	v->uaddr = (uint64_t)(uintptr_t)f;
	v->val = val;
	v->flags = flags;
}

/* Submit a FUTEX_WAKE (its CQE is checked by the caller). */
static void wake(uint64_t ud, uint32_t *f, int nr)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_futex_wake(sqe, f, (uint64_t)nr, ANY, U32, 0);
	sqe->user_data = ud;
	t_submit(&ring, 1);
}

static void test_prep_errors(uint32_t *f, struct futex_waitv *v)
{
	struct io_uring_sqe *sqe;
	char *page;
	int i;

	for (i = 0; i < 130; i++)
		set(&v[i], &f[i % 8], 1, U32);

	waitv_sqe(1, v, 0);
	one(1, -EINVAL);
	waitv_sqe(2, v, 129);
	one(2, -EINVAL);
	waitv_sqe(3, NULL, 1);
	one(3, -EFAULT);

	/* Reserved SQE fields. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_waitv(sqe, v, 1, 1);	/* futex_flags */
	sqe->user_data = 4;
	one(4, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_waitv(sqe, v, 1, 0);
	sqe->fd = U32;
	sqe->user_data = 5;
	one(5, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_waitv(sqe, v, 1, 0);
	sqe->addr2 = 1;
	sqe->user_data = 6;
	one(6, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_waitv(sqe, v, 1, 0);
	sqe->addr3 = ANY;
	sqe->user_data = 7;
	one(7, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_waitv(sqe, v, 1, 0);
	sqe->buf_index = 1;
	sqe->user_data = 8;
	one(8, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_futex_waitv(sqe, v, 1, 0);
	sqe->file_index = 1;
	sqe->user_data = 9;
	one(9, -EINVAL);

	/* Per entry. */
	v[1].flags = FUTEX2_SIZE_U8;
	waitv_sqe(10, v, 2);
	one(10, -EINVAL);
	v[1].flags = FUTEX2_SIZE_U64;
	waitv_sqe(11, v, 2);
	one(11, -EINVAL);
	v[1].flags = U32 | 0x1000;
	waitv_sqe(12, v, 2);
	one(12, -EINVAL);
	v[1].flags = U32;
	v[1].__reserved = 1;
	waitv_sqe(13, v, 2);
	one(13, -EINVAL);
	v[1].__reserved = 0;
	v[1].val = 1ull << 32;
	waitv_sqe(14, v, 2);
	one(14, -EINVAL);
	v[1].val = 1;

	/*
	 * The array runs into an unreadable page: -EFAULT, unless an entry
	 * before the hole is already invalid (entries are read in order).
	 */
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_assert(page != MAP_FAILED);
	t_assert(munmap(page + 4096, 4096) == 0);
	{
		struct futex_waitv *tail = (struct futex_waitv *)(page + 4096) - 1;

		set(tail, f, 1, U32);
		waitv_sqe(15, tail, 2);
		one(15, -EFAULT);
		tail->flags = FUTEX2_SIZE_U8;
		waitv_sqe(16, tail, 2);
		one(16, -EINVAL);
	}
	munmap(page, 4096);

	/* NUMA and private entries are accepted (values differ here). */
	set(&v[0], f, 1, U32 | FUTEX2_NUMA | FUTEX2_PRIVATE);
	f[0] = 0;
	waitv_sqe(17, v, 1);
	one(17, -EAGAIN);
}

static void test_issue_errors(uint32_t *f, struct futex_waitv *v)
{
	f[0] = f[1] = f[2] = 0;
	set(&v[0], &f[0], 0, U32);
	set(&v[1], &f[1], 0, U32);
	set(&v[2], &f[2], 7, U32);	/* differs */
	waitv_sqe(1, v, 3);
	one(1, -EAGAIN);
	set(&v[2], (uint32_t *)((char *)&f[2] + 1), 0, U32);
	waitv_sqe(2, v, 3);
	one(2, -EINVAL);
	set(&v[2], NULL, 0, U32);
	waitv_sqe(3, v, 3);
	one(3, -EFAULT);
	set(&v[2], NULL, 0, U32 | FUTEX2_PRIVATE);
	waitv_sqe(4, v, 3);
	one(4, -EFAULT);
}

/* Woken through entry i: the result is i. */
static void test_index(uint32_t *f, struct futex_waitv *v)
{
	int i;

	for (i = 0; i < 4; i++) {
		f[i] = 0;
		set(&v[i], &f[i], 0, U32);
	}
	for (i = 0; i < 4; i++) {
		waitv_sqe(10 + i, v, 4);
		t_submit(&ring, 1);
		quiet();
		wake(20 + i, &f[i], 1);
		{
			struct t_cqe_want w[] = {
				{ 10 + i, i, 0, 0 }, { 20 + i, 1, 0, 0 },
			};

			t_reap_cqes(&ring, w, 2);
		}
	}

	/* The array was copied at submit: rewriting it changes nothing. */
	waitv_sqe(30, v, 4);
	t_submit(&ring, 1);
	for (i = 0; i < 4; i++)
		set(&v[i], &f[0], 99, 0);
	quiet();
	wake(31, &f[3], 1);
	{
		struct t_cqe_want w[] = { { 30, 3, 0, 0 }, { 31, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}

	/* The full 128 entries. */
	for (i = 0; i < FUTEX_WAITV_MAX; i++)
		set(&v[i], &f[i % 8], 0, U32);
	waitv_sqe(40, v, FUTEX_WAITV_MAX);
	t_submit(&ring, 1);
	quiet();
	wake(41, &f[5], 1);
	{
		struct t_cqe_want w[] = { { 40, 5, 0, 0 }, { 41, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
}

/* Two waits on one futex, wake one: the first submitted wakes. */
static void test_order(uint32_t *f, struct futex_waitv *v)
{
	f[0] = 0;
	set(&v[0], &f[0], 0, U32);
	waitv_sqe(1, v, 1);
	waitv_sqe(2, v, 1);
	t_submit(&ring, 2);
	f[0] = 1;
	wake(3, &f[0], 1);
	{
		struct t_cqe_want w[] = { { 1, 0, 0, 0 }, { 3, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
	quiet();
	wake(4, &f[0], 1);
	{
		struct t_cqe_want w[] = { { 2, 0, 0, 0 }, { 4, 1, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
}

struct waker {
	uint32_t *f;
	int woken;
};

static void *waker_fn(void *arg)
{
	struct waker *wk = arg;

	usleep(20000);
	__atomic_store_n(wk->f, 1, __ATOMIC_SEQ_CST);
	wk->woken = (int)syscall(SYS_futex, wk->f, FUTEX_WAKE_PRIVATE, 1,
				 NULL, NULL, 0);
	return NULL;
}

static void test_plain_wake(uint32_t *f, struct futex_waitv *v)
{
	struct waker wk = { &f[1], -1 };
	pthread_t th;

	f[0] = f[1] = 0;
	set(&v[0], &f[0], 0, U32 | FUTEX2_PRIVATE);
	set(&v[1], &f[1], 0, U32 | FUTEX2_PRIVATE);
	waitv_sqe(1, v, 2);
	t_submit(&ring, 1);
	t_assert(pthread_create(&th, NULL, waker_fn, &wk) == 0);
	t_expect_cqe(&ring, 1, 1, 0);
	pthread_join(th, NULL);
	t_eq(wk.woken, 1);
}

static void *idle_fn(void *arg)
{
	return arg;
}

int main(void)
{
	struct futex_waitv *v;
	uint32_t *f;
	pthread_t th;

	/* Multithreaded from the start (see tests/futex.c: on 6.18 a private
	 * wait queued while single-threaded is lost to later wakes). */
	t_assert(pthread_create(&th, NULL, idle_fn, NULL) == 0);
	pthread_join(th, NULL);

	f = aligned_alloc(64, 64);
	v = calloc(130, sizeof(*v));
	t_assert(f && v);
	memset(f, 0, 64);

	t_ring_init(&ring, 16, 0);
	test_prep_errors(f, v);
	test_issue_errors(f, v);
	test_index(f, v);
	test_order(f, v);
	test_plain_wake(f, v);

	/* Teardown with a wait still sleeping. */
	f[0] = 0;
	set(&v[0], &f[0], 0, U32);
	waitv_sqe(99, v, 1);
	t_submit(&ring, 1);
	io_uring_queue_exit(&ring);
	free(v);
	free(f);
	return T_EXIT_PASS;
}
