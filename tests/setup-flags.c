/* SPDX-License-Identifier: MIT */
/*
 * Description: setup flags that change how the ring behaves: SQE128,
 * SQE_MIXED (+ NOP128 and the wrap padding), NO_SQARRAY, SUBMIT_ALL,
 * SINGLE_ISSUER (-EEXIST for another thread), DEFER_TASKRUN,
 * R_DISABLED + io_uring_enable_rings (-EBADFD before enabling and on a second
 * enable), COOP_TASKRUN / TASKRUN_FLAG, and CQE_MIXED across the CQ wrap.
 */
#include <pthread.h>
#include <unistd.h>

#include "helpers/helpers.h"

#ifndef IORING_NOP_CQE32
#define IORING_NOP_CQE32 (1U << 5)
#endif

/* Submit n NOPs (user_data base..base+n-1) and reap them in order. */
static void nops(struct io_uring *ring, uint64_t base, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		t_prep_nop(ring, base + i);
	t_submit(ring, (int)n);
	for (unsigned i = 0; i < n; i++)
		t_expect_cqe(ring, base + i, 0, 0);
}

static void test_sqe128(void)
{
	struct io_uring ring;
	struct io_uring_sqe *a, *b;

	t_ring_init(&ring, 8, IORING_SETUP_SQE128);
	a = t_prep_nop(&ring, 1);
	b = t_prep_nop(&ring, 2);
	/* Each slot is 128 bytes. */
	t_eq((char *)b - (char *)a, 128);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 1, 0, 0);
	t_expect_cqe(&ring, 2, 0, 0);
	/* Wrap the SQ a few times. */
	for (int i = 0; i < 5; i++)
		nops(&ring, 100 + 10 * i, 7);
	/* NOP128 is for SQE_MIXED rings only; the kernel says -EINVAL. */
	a = t_get_sqe(&ring);
	io_uring_prep_nop128(a);
	a->user_data = 3;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, -EINVAL, 0);
	io_uring_queue_exit(&ring);

	/* NOP128 on a ring with 64-byte SQEs: -EINVAL as well. */
	t_ring_init(&ring, 8, 0);
	a = t_get_sqe(&ring);
	io_uring_prep_nop128(a);
	a->user_data = 4;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, -EINVAL, 0);
	io_uring_queue_exit(&ring);
}

static void test_sqe_mixed(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	int ret;

	ret = t_setup_ring(&ring, 8, IORING_SETUP_SQE_MIXED);
	if (ret == -EINVAL) {
		printf("IORING_SETUP_SQE_MIXED not supported, part skipped\n");
		return;
	}
	if (ret)
		t_fail("SQE_MIXED setup: %s", t_errname(ret));
	/*
	 * Alternate 64- and 128-byte NOPs so the 128-byte ones sometimes hit
	 * the last slot; io_uring_get_sqe128 then pads with a NOP that has
	 * IOSQE_CQE_SKIP_SUCCESS, which must stay invisible.
	 */
	for (unsigned round = 0; round < 12; round++) {
		unsigned n = 1 + round % 3;

		for (unsigned i = 0; i < n; i++)
			t_prep_nop(&ring, 1000 * round + i);
		sqe = io_uring_get_sqe128(&ring);
		t_assert(sqe != NULL);
		io_uring_prep_nop128(sqe);
		sqe->user_data = 1000 * round + 500;
		ret = io_uring_submit(&ring);
		t_assert(ret == (int)n + 1 || ret == (int)n + 2);
		for (unsigned i = 0; i < n; i++)
			t_expect_cqe(&ring, 1000 * round + i, 0, 0);
		t_expect_cqe(&ring, 1000 * round + 500, 0, 0);
		t_expect_no_cqe(&ring);
	}
	/* A plain 64-byte NOP at the very last slot is fine. */
	io_uring_queue_exit(&ring);
}

static void test_no_sqarray(void)
{
	struct io_uring ring;
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_NO_SQARRAY;
	if (t_setup_ring_params(&ring, 4, &p))
		t_fail("NO_SQARRAY setup failed");
	t_assert(p.flags & IORING_SETUP_NO_SQARRAY);
	for (int i = 0; i < 6; i++)
		nops(&ring, 10 * i, 3);
	io_uring_queue_exit(&ring);
}

static void test_submit_all(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;

	t_ring_init(&ring, 8, IORING_SETUP_SUBMIT_ALL);
	/* A failing prep in the middle does not stop the batch. */
	t_prep_nop(&ring, 1);
	sqe = t_prep_nop(&ring, 2);
	sqe->opcode = 0xfe;			/* unknown opcode */
	t_prep_nop(&ring, 3);
	sqe = t_prep_nop(&ring, 4);
	sqe->ioprio = 1;			/* NOP takes no ioprio */
	t_prep_nop(&ring, 5);
	t_submit(&ring, 5);
	t_expect_cqe(&ring, 1, 0, 0);
	t_expect_cqe(&ring, 2, -EINVAL, 0);
	t_expect_cqe(&ring, 3, 0, 0);
	t_expect_cqe(&ring, 4, -EINVAL, 0);
	t_expect_cqe(&ring, 5, 0, 0);
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);

	/* Without SUBMIT_ALL, the same batch stops after the failed SQE. */
	t_ring_init(&ring, 8, 0);
	t_prep_nop(&ring, 1);
	sqe = t_prep_nop(&ring, 2);
	sqe->opcode = 0xfe;
	t_prep_nop(&ring, 3);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 1, 0, 0);
	t_expect_cqe(&ring, 2, -EINVAL, 0);
	t_expect_no_cqe(&ring);
	/* The rest stays queued and goes with the next submit. */
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, 0, 0);
	io_uring_queue_exit(&ring);
}

struct thr_arg {
	struct io_uring *ring;
	int submit_ret;
	int register_ret;
	int wait_ret;
	int do_wait;
};

static void *other_thread(void *data)
{
	struct thr_arg *a = data;
	struct io_uring_sqe *sqe = io_uring_get_sqe(a->ring);

	if (sqe) {
		io_uring_prep_nop(sqe);
		sqe->user_data = 77;
	}
	a->submit_ret = io_uring_submit(a->ring);
	if (a->do_wait) {
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };
		struct io_uring_cqe *cqe;

		a->wait_ret = io_uring_wait_cqe_timeout(a->ring, &cqe, &ts);
	}
	a->register_ret = io_uring_register_iowq_max_workers(a->ring,
			(unsigned[2]){ 0, 0 });
	return NULL;
}

static void run_other(struct io_uring *ring, struct thr_arg *a, int do_wait)
{
	pthread_t th;

	memset(a, 0, sizeof(*a));
	a->ring = ring;
	a->do_wait = do_wait;
	if (pthread_create(&th, NULL, other_thread, a))
		t_fail("pthread_create");
	pthread_join(th, NULL);
}

static void *enable_thread(void *data)
{
	struct thr_arg *a = data;

	a->register_ret = io_uring_enable_rings(a->ring);
	if (!a->register_ret)
		other_thread(a);
	return NULL;
}

static void run_enable(struct io_uring *ring, struct thr_arg *a)
{
	pthread_t th;

	memset(a, 0, sizeof(*a));
	a->ring = ring;
	if (pthread_create(&th, NULL, enable_thread, a))
		t_fail("pthread_create");
	pthread_join(th, NULL);
	t_eq(a->register_ret, 0);
}

static void test_single_issuer(void)
{
	struct io_uring ring;
	struct thr_arg a;

	/* The creator submits first: it becomes the submitter. */
	t_ring_init(&ring, 8, IORING_SETUP_SINGLE_ISSUER);
	nops(&ring, 1, 2);
	run_other(&ring, &a, 0);
	t_eq(a.submit_ret, -EEXIST);
	t_eq(a.register_ret, -EEXIST);
	/* The rejected SQE is still queued; the owner submits it. */
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 77, 0, 0);
	io_uring_queue_exit(&ring);

	/*
	 * Even before its first submit, the creating thread owns the ring
	 * (6.18 sets the submitter at creation unless R_DISABLED; very old
	 * kernels bound it at the first submit instead).
	 */
	t_ring_init(&ring, 8, IORING_SETUP_SINGLE_ISSUER);
	run_other(&ring, &a, 0);
	t_eq(a.submit_ret, -EEXIST);
	t_eq(a.register_ret, -EEXIST);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 77, 0, 0);
	io_uring_queue_exit(&ring);

	/* R_DISABLED: the thread that enables the ring becomes the owner. */
	t_ring_init(&ring, 8, IORING_SETUP_SINGLE_ISSUER |
			      IORING_SETUP_R_DISABLED);
	run_enable(&ring, &a);
	t_eq(a.submit_ret, 1);
	t_expect_cqe(&ring, 77, 0, 0);
	t_prep_nop(&ring, 5);
	t_eq(io_uring_submit(&ring), -EEXIST);
	io_uring_queue_exit(&ring);

	/* With DEFER_TASKRUN the creator is the submitter from the start. */
	t_ring_init(&ring, 8,
		    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	run_other(&ring, &a, 1);
	t_eq(a.submit_ret, -EEXIST);
	t_eq(a.register_ret, -EEXIST);
	/* Only the owner may wait for completions (it runs the task work). */
	t_eq(a.wait_ret, -EEXIST);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 77, 0, 0);
	nops(&ring, 10, 4);
	io_uring_queue_exit(&ring);

	/* R_DISABLED: the thread that enables the ring becomes the owner. */
	t_ring_init(&ring, 8, IORING_SETUP_SINGLE_ISSUER |
			      IORING_SETUP_DEFER_TASKRUN |
			      IORING_SETUP_R_DISABLED);
	t_eq(io_uring_enable_rings(&ring), 0);
	nops(&ring, 20, 2);
	io_uring_queue_exit(&ring);
}

static void test_r_disabled(void)
{
	struct io_uring ring;

	t_ring_init(&ring, 8, IORING_SETUP_R_DISABLED);
	t_prep_nop(&ring, 1);
	/* Submitting to a disabled ring: -EBADFD, nothing consumed. */
	t_eq(io_uring_submit(&ring), -EBADFD);
	t_expect_no_cqe(&ring);
	t_eq(io_uring_enable_rings(&ring), 0);
	/* A second enable is refused. */
	t_eq(io_uring_enable_rings(&ring), -EBADFD);
	/* The SQE queued before enabling goes in now. */
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 0, 0);
	nops(&ring, 10, 3);
	io_uring_queue_exit(&ring);
}

static void pipe_read_round(struct io_uring *ring)
{
	struct io_uring_sqe *sqe;
	int fds[2];
	char buf[16];

	t_pipe(fds);
	sqe = t_get_sqe(ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 42;
	t_submit(ring, 1);
	usleep(1000);
	t_expect_no_cqe(ring);
	t_eq(write(fds[1], "hello", 5), 5);
	t_expect_cqe(ring, 42, 5, 0);
	t_assert(!memcmp(buf, "hello", 5));
	close(fds[0]);
	close(fds[1]);
}

static void test_taskrun_modes(void)
{
	static const unsigned modes[] = {
		IORING_SETUP_COOP_TASKRUN,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
	};

	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct io_uring ring;

		t_ring_init(&ring, 8, modes[i]);
		nops(&ring, 1, 5);
		pipe_read_round(&ring);
		io_uring_queue_exit(&ring);
	}
}

static void test_cqe_mixed(void)
{
	struct io_uring ring;
	struct io_uring_params p;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	/* A CQ of 4 slots so that 32-byte CQEs hit the wrap often. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE;
	p.cq_entries = 4;
	ret = t_setup_ring_params(&ring, 4, &p);
	if (ret == -EINVAL) {
		printf("IORING_SETUP_CQE_MIXED not supported, part skipped\n");
		return;
	}
	if (ret)
		t_fail("CQE_MIXED setup: %s", t_errname(ret));
	for (unsigned i = 0; i < 40; i++) {
		int big = (i % 3) != 1;

		sqe = t_prep_nop(&ring, i);
		if (big) {
			sqe->nop_flags = IORING_NOP_CQE32;
			sqe->off = i * 3;
			sqe->addr = i * 5;
		}
		t_submit(&ring, 1);
		cqe = t_wait_cqe(&ring);
		t_check_cqe(cqe, i, 0, big ? IORING_CQE_F_32 : 0);
		if (big) {
			t_eq(cqe->big_cqe[0], i * 3);
			t_eq(cqe->big_cqe[1], i * 5);
		}
		io_uring_cqe_seen(&ring, cqe);
		t_expect_no_cqe(&ring);
	}
	/* Two at once: 16 + 32 bytes. */
	for (unsigned i = 0; i < 10; i++) {
		t_prep_nop(&ring, 100 + i);
		sqe = t_prep_nop(&ring, 200 + i);
		sqe->nop_flags = IORING_NOP_CQE32;
		t_submit(&ring, 2);
		t_expect_cqe(&ring, 100 + i, 0, 0);
		t_expect_cqe(&ring, 200 + i, 0, IORING_CQE_F_32);
	}
	io_uring_queue_exit(&ring);
}

int main(void)
{
	test_sqe128();
	test_sqe_mixed();
	test_no_sqarray();
	test_submit_all();
	test_single_issuer();
	test_r_disabled();
	test_taskrun_modes();
	test_cqe_mixed();
	return T_EXIT_PASS;
}
