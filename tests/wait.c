/* SPDX-License-Identifier: MIT */
/*
 * Description: waiting for completions: io_uring_wait_cqe_timeout gives
 * -ETIME after the timeout and returns at once when a CQE is there;
 * io_uring_submit_and_wait_timeout returns the submitted count; wait_cqe_nr;
 * io_uring_wait_cqes with a sigmask that lets a signal in (-EINTR, handler
 * ran, mask restored); min_wait (io_uring_submit_and_wait_min_timeout,
 * IORING_FEAT_MIN_TIMEOUT); IORING_ENTER_ABS_TIMER with the default
 * (CLOCK_MONOTONIC) and a registered clock (CLOCK_BOOTTIME).
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;
static volatile sig_atomic_t got_signal;

static void on_sigusr1(int sig)
{
	(void)sig;
	got_signal++;
}

static struct __kernel_timespec ms(long v)
{
	struct __kernel_timespec ts = {
		.tv_sec = v / 1000, .tv_nsec = (v % 1000) * 1000000L,
	};
	return ts;
}

/* Elapsed milliseconds since start (usec timestamps). */
static long since_ms(uint64_t start)
{
	return (long)((t_now_usec() - start) / 1000);
}

static void test_timeouts(void)
{
	struct __kernel_timespec ts = ms(30);
	struct io_uring_cqe *cqe = NULL;
	uint64_t start;
	long el;

	start = t_now_usec();
	t_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), -ETIME);
	el = since_ms(start);
	if (el < 25 || el > 1500)
		t_fail("30 ms timeout took %ld ms", el);

	/* A CQE already there: no waiting. */
	t_prep_nop(&ring, 1);
	t_submit(&ring, 1);
	ts = ms(2000);
	start = t_now_usec();
	t_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), 0);
	t_assert(since_ms(start) < 500);
	t_check_cqe(cqe, 1, 0, 0);
	io_uring_cqe_seen(&ring, cqe);

	/* Submit and wait for both, with a timeout: returns 2 submitted. */
	t_prep_nop(&ring, 2);
	t_prep_nop(&ring, 3);
	ts = ms(2000);
	start = t_now_usec();
	t_eq(io_uring_submit_and_wait_timeout(&ring, &cqe, 2, &ts, NULL), 2);
	t_assert(since_ms(start) < 500);
	t_check_cqe(cqe, 2, 0, 0);
	io_uring_cqe_seen(&ring, cqe);
	t_expect_cqe(&ring, 3, 0, 0);

	/* Two ready, asked for three: the timeout expires, a CQE is there. */
	t_prep_nop(&ring, 4);
	t_prep_nop(&ring, 5);
	ts = ms(30);
	start = t_now_usec();
	t_eq(io_uring_submit_and_wait_timeout(&ring, &cqe, 3, &ts, NULL), 2);
	el = since_ms(start);
	if (el < 25 || el > 1500)
		t_fail("partial wait took %ld ms", el);
	t_check_cqe(cqe, 4, 0, 0);
	io_uring_cqe_seen(&ring, cqe);
	t_expect_cqe(&ring, 5, 0, 0);

	/* wait_cqe_nr: returns once 3 are there, pointing at the first. */
	for (int i = 0; i < 3; i++)
		t_prep_nop(&ring, 10 + i);
	t_submit(&ring, 3);
	t_eq(io_uring_wait_cqe_nr(&ring, &cqe, 3), 0);
	t_check_cqe(cqe, 10, 0, 0);
	t_eq(io_uring_cq_ready(&ring), 3);
	io_uring_cq_advance(&ring, 3);
}

struct kicker {
	pthread_t target;
	int delay_ms;
	int fd;		/* write one byte here after the delay, if >= 0 */
};

static void *kick(void *data)
{
	struct kicker *k = data;

	usleep((unsigned)k->delay_ms * 1000);
	if (k->fd >= 0) {
		if (write(k->fd, "k", 1) != 1)
			abort();
	} else {
		pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

static void test_sigmask(void)
{
	struct __kernel_timespec ts = ms(3000);
	struct io_uring_cqe *cqe = NULL;
	struct kicker k = { pthread_self(), 30, -1 };
	sigset_t block, during, now;
	struct sigaction sa;
	pthread_t th;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	/* The mask used while waiting: SIGUSR1 allowed. */
	pthread_sigmask(SIG_BLOCK, NULL, &during);
	sigdelset(&during, SIGUSR1);

	got_signal = 0;
	pthread_create(&th, NULL, kick, &k);
	ret = io_uring_wait_cqes(&ring, &cqe, 1, &ts, &during);
	pthread_join(th, NULL);
	t_eq(ret, -EINTR);
	t_eq(got_signal, 1);
	/* Outside the wait, SIGUSR1 is blocked again. */
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	t_assert(sigismember(&now, SIGUSR1));

	/* With the signal blocked during the wait it stays pending. */
	got_signal = 0;
	ts = ms(60);
	pthread_create(&th, NULL, kick, &k);
	ret = io_uring_wait_cqes(&ring, &cqe, 1, &ts, &now);
	pthread_join(th, NULL);
	t_eq(ret, -ETIME);
	t_eq(got_signal, 0);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	t_eq(got_signal, 1);
}

static void test_min_wait(void)
{
	struct __kernel_timespec ts = ms(3000);
	struct io_uring_cqe *cqe = NULL;
	struct kicker k = { pthread_self(), 80, -1 };
	struct io_uring_sqe *sqe;
	pthread_t th;
	uint64_t start;
	char buf[2];
	int fds[2], ret;
	long el;

	if (!(ring.features & IORING_FEAT_MIN_TIMEOUT))
		t_fail("IORING_FEAT_MIN_TIMEOUT missing");

	/*
	 * One NOP, asking for 8 with a 20 ms min_wait: after min_wait the
	 * wait ends because a completion exists (not after 3 s).
	 */
	t_prep_nop(&ring, 20);
	start = t_now_usec();
	ret = io_uring_submit_and_wait_min_timeout(&ring, &cqe, 8, &ts, 20000,
						   NULL);
	el = since_ms(start);
	t_eq(ret, 1);
	t_assert(cqe != NULL);
	t_check_cqe(cqe, 20, 0, 0);
	io_uring_cqe_seen(&ring, cqe);
	if (el > 1500)
		t_fail("min_wait wait took %ld ms", el);

	/*
	 * Nothing complete when min_wait runs out: the wait continues, and
	 * ends as soon as the first completion (80 ms) arrives.
	 */
	t_pipe(fds);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, 1, 0);
	sqe->user_data = 21;
	t_submit(&ring, 1);
	k.fd = fds[1];
	pthread_create(&th, NULL, kick, &k);
	start = t_now_usec();
	ret = io_uring_wait_cqes_min_timeout(&ring, &cqe, 8, &ts, 20000, NULL);
	el = since_ms(start);
	pthread_join(th, NULL);
	t_eq(ret, 0);
	t_check_cqe(cqe, 21, 1, 0);
	io_uring_cqe_seen(&ring, cqe);
	if (el < 60 || el > 2000)
		t_fail("min_wait then normal wait took %ld ms", el);
	close(fds[0]);
	close(fds[1]);
}

static int abs_wait(struct io_uring *r, clockid_t clk, long delta_ms)
{
	struct timespec now;
	struct __kernel_timespec ts;
	struct io_uring_getevents_arg arg;
	long long ns;

	clock_gettime(clk, &now);
	ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec +
	     delta_ms * 1000000LL;
	ts.tv_sec = ns / 1000000000LL;
	ts.tv_nsec = ns % 1000000000LL;
	memset(&arg, 0, sizeof(arg));
	arg.ts = (uint64_t)(uintptr_t)&ts;
	return io_uring_enter2((unsigned)r->ring_fd, 0, 1,
			       IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG |
			       IORING_ENTER_ABS_TIMER,
			       (sigset_t *)&arg, sizeof(arg));
}

static void test_abs_timer(void)
{
	struct io_uring_clock_register clk;
	uint64_t start;
	long el;

	/* Deadline 40 ms from now on CLOCK_MONOTONIC (the default clock). */
	start = t_now_usec();
	t_eq(abs_wait(&ring, CLOCK_MONOTONIC, 40), -ETIME);
	el = since_ms(start);
	if (el < 30 || el > 1500)
		t_fail("ABS_TIMER 40 ms took %ld ms", el);

	/* A deadline in the past: -ETIME at once. */
	start = t_now_usec();
	t_eq(abs_wait(&ring, CLOCK_MONOTONIC, -1000), -ETIME);
	t_assert(since_ms(start) < 500);

	/* With a completion ready, no timeout. */
	t_prep_nop(&ring, 30);
	t_submit(&ring, 1);
	t_eq(abs_wait(&ring, CLOCK_MONOTONIC, 1000), 0);
	t_expect_cqe(&ring, 30, 0, 0);

	/*
	 * ABS_TIMER without EXT_ARG has no timeout to apply: the kernel
	 * accepts and ignores the flag (it would wait forever for
	 * min_complete 1, so ask for 0 here).
	 */
	t_eq(io_uring_enter2((unsigned)ring.ring_fd, 0, 0,
			     IORING_ENTER_GETEVENTS | IORING_ENTER_ABS_TIMER,
			     NULL, _NSIG / 8), 0);

	/* Switch the ring to CLOCK_BOOTTIME. */
	memset(&clk, 0, sizeof(clk));
	clk.clockid = CLOCK_BOOTTIME;
	t_eq(io_uring_register_clock(&ring, &clk), 0);
	start = t_now_usec();
	t_eq(abs_wait(&ring, CLOCK_BOOTTIME, 40), -ETIME);
	el = since_ms(start);
	if (el < 30 || el > 1500)
		t_fail("ABS_TIMER (boottime) 40 ms took %ld ms", el);
	/* Only MONOTONIC and BOOTTIME are accepted. */
	clk.clockid = CLOCK_REALTIME;
	t_eq(io_uring_register_clock(&ring, &clk), -EINVAL);
	clk.clockid = CLOCK_MONOTONIC;
	clk.__resv[0] = 1;
	t_eq(io_uring_register_clock(&ring, &clk), -EINVAL);
}

int main(void)
{
	t_ring_init(&ring, 8, 0);
	t_assert(ring.features & IORING_FEAT_EXT_ARG);
	test_timeouts();
	test_sigmask();
	test_min_wait();
	test_abs_timer();
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
