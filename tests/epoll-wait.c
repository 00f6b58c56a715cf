/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_EPOLL_WAIT.  Ready events complete at once (res =
 * how many, at most maxevents, the array filled); with none ready the wait
 * stays pending until an fd in the set becomes ready; an epoll set nested
 * in another; a registered (fixed) epoll fd; IOSQE_ASYNC; two waits on one
 * set; errors: maxevents 0, negative or above EP_MAX_EVENTS, a non-epoll
 * fd, a bad fd, reserved fields (off, rw_flags, buf_index, splice_fd_in,
 * ioprio), a bad events pointer (-EFAULT once there is something to
 * copy); ASYNC_CANCEL of a pending wait (-ECANCELED); teardown with a wait
 * pending.
 */
#include <sys/epoll.h>
#include <unistd.h>

#include "helpers/helpers.h"

/* INT_MAX / sizeof(struct epoll_event): the kernel's EP_MAX_EVENTS. */
#define EP_MAX_EVENTS	(int)(0x7fffffff / sizeof(struct epoll_event))

static struct io_uring ring;
static struct epoll_event static_evs[4];

static struct io_uring_sqe *ewait(uint64_t ud, int fd, struct epoll_event *evs,
				  int maxevents)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_epoll_wait(sqe, fd, evs, maxevents, 0);
	sqe->user_data = ud;
	return sqe;
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

static int new_set(int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	t_assert(ep >= 0);
	if (fd >= 0)
		t_assert(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	return ep;
}

static void drain(int fd)
{
	char buf[64];

	t_assert(read(fd, buf, sizeof(buf)) > 0);
}

static void test_ready_and_wait(void)
{
	struct epoll_event evs[8];
	int p[3][2], ep, i;

	ep = new_set(-1, 0);
	for (i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 100 + i };

		t_pipe(p[i]);
		t_assert(epoll_ctl(ep, EPOLL_CTL_ADD, p[i][0], &ev) == 0);
	}

	/* Nothing ready: pending until a pipe gets data. */
	memset(evs, 0, sizeof(evs));
	ewait(1, ep, evs, 8);
	t_submit(&ring, 1);
	quiet();
	t_eq(write(p[1][1], "a", 1), 1);
	t_expect_cqe(&ring, 1, 1, 0);
	t_eq(evs[0].events, EPOLLIN);
	t_eq(evs[0].data.u64, 101);

	/* Ready now: at once, at most maxevents. */
	t_eq(write(p[0][1], "b", 1), 1);
	t_eq(write(p[2][1], "c", 1), 1);
	ewait(2, ep, evs, 2);
	one(2, 2);
	ewait(3, ep, evs, 8);
	one(3, 3);
	for (i = 0; i < 3; i++)
		drain(p[i][0]);

	/* Two waits on one set, one readiness (level-triggered): both. */
	{
		struct epoll_event e1[2], e2[2];

		ewait(4, ep, e1, 2);
		ewait(5, ep, e2, 2);
		t_submit(&ring, 2);
		quiet();
		t_eq(write(p[2][1], "d", 1), 1);
		{
			struct t_cqe_want w[] = { { 4, 1, 0, 0 }, { 5, 1, 0, 0 } };

			t_reap_cqes(&ring, w, 2);
		}
		t_eq(e1[0].data.u64, 102);
		t_eq(e2[0].data.u64, 102);
		drain(p[2][0]);
	}

	/* IOSQE_ASYNC: the same, from a worker. */
	{
		struct io_uring_sqe *sqe = ewait(6, ep, evs, 8);

		sqe->flags |= IOSQE_ASYNC;
		t_submit(&ring, 1);
		quiet();
		t_eq(write(p[0][1], "e", 1), 1);
		t_expect_cqe(&ring, 6, 1, 0);
		t_eq(evs[0].data.u64, 100);
		drain(p[0][0]);
	}

	/* Edge-triggered entries are consumed by the wait that reports them. */
	{
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 9 };

		t_assert(epoll_ctl(ep, EPOLL_CTL_MOD, p[1][0], &ev) == 0);
		t_eq(write(p[1][1], "f", 1), 1);
		ewait(7, ep, evs, 8);
		one(7, 1);
		t_eq(evs[0].data.u64, 9);
		ewait(8, ep, evs, 8);
		t_submit(&ring, 1);
		quiet();
		t_eq(write(p[1][1], "g", 1), 1);
		t_expect_cqe(&ring, 8, 1, 0);
		t_eq(evs[0].data.u64, 9);
	}
	for (i = 0; i < 3; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	close(ep);
}

/* An epoll set inside another: the outer one reports the inner one. */
static void test_nested(void)
{
	struct epoll_event evs[4];
	int p[2], inner, outer;

	t_pipe(p);
	inner = new_set(p[0], 1);
	outer = new_set(inner, 2);
	ewait(1, outer, evs, 4);
	t_submit(&ring, 1);
	quiet();
	t_eq(write(p[1], "x", 1), 1);
	t_expect_cqe(&ring, 1, 1, 0);
	t_eq(evs[0].data.u64, 2);
	/* And the inner set, waited on directly. */
	ewait(2, inner, evs, 4);
	one(2, 1);
	t_eq(evs[0].data.u64, 1);
	close(outer);
	close(inner);
	close(p[0]);
	close(p[1]);
}

static void test_fixed(void)
{
	struct epoll_event evs[4];
	struct io_uring_sqe *sqe;
	int p[2], ep;

	t_pipe(p);
	ep = new_set(p[0], 42);
	t_eq(io_uring_register_files(&ring, &ep, 1), 0);
	sqe = ewait(1, 0, evs, 4);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_submit(&ring, 1);
	quiet();
	t_eq(write(p[1], "x", 1), 1);
	t_expect_cqe(&ring, 1, 1, 0);
	t_eq(evs[0].data.u64, 42);
	t_eq(io_uring_unregister_files(&ring), 0);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_errors(void)
{
	struct epoll_event evs[4];
	struct io_uring_sqe *sqe;
	int p[2], ep;

	t_pipe(p);
	ep = new_set(p[0], 7);

	ewait(1, ep, evs, 0);
	one(1, -EINVAL);
	ewait(2, ep, evs, -1);
	one(2, -EINVAL);
	ewait(3, ep, evs, EP_MAX_EVENTS + 1);
	one(3, -EINVAL);
	ewait(4, p[0], evs, 4);			/* not an epoll fd */
	one(4, -EINVAL);
	ewait(5, 1000, evs, 4);
	one(5, -EBADF);
	sqe = ewait(6, ep, evs, 4);
	sqe->off = 1;
	one(6, -EINVAL);
	sqe = ewait(7, ep, evs, 4);
	sqe->rw_flags = 1;
	one(7, -EINVAL);
	sqe = ewait(8, ep, evs, 4);
	sqe->buf_index = 1;
	one(8, -EINVAL);
	sqe = ewait(9, ep, evs, 4);
	sqe->splice_fd_in = 1;
	one(9, -EINVAL);
	sqe = ewait(10, ep, evs, 4);
	sqe->ioprio = 1;
	one(10, -EINVAL);

	/* The array is only written when there is something to write. */
	t_eq(write(p[1], "x", 1), 1);
	ewait(11, ep, (struct epoll_event *)8, 4);
	one(11, -EFAULT);
	ewait(12, ep, NULL, 4);
	one(12, -EFAULT);
	/* The largest maxevents is fine (the kernel checks the whole range
	 * lies in user space: an array in the executable's data does, one
	 * on a stack near the top of the address space may not); addr3 is
	 * not looked at. */
	ewait(13, ep, static_evs, EP_MAX_EVENTS);
	one(13, 1);
	sqe = ewait(14, ep, evs, 4);
	sqe->addr3 = 1;
	one(14, 1);
	drain(p[0]);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_cancel(void)
{
	struct epoll_event evs[4];
	struct io_uring_sqe *sqe;
	int p[2], ep;

	t_pipe(p);
	ep = new_set(p[0], 1);
	ewait(1, ep, evs, 4);
	t_submit(&ring, 1);
	quiet();
	sqe = t_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 1, 0);
	sqe->user_data = 2;
	t_submit(&ring, 1);
	{
		struct t_cqe_want w[] = { { 1, -ECANCELED, 0, 0 }, { 2, 0, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
	/* Nothing is reported for the cancelled wait afterwards. */
	t_eq(write(p[1], "x", 1), 1);
	quiet();
	close(ep);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	struct epoll_event evs[4];
	int p[2], ep;

	t_ring_init(&ring, 16, 0);
	test_ready_and_wait();
	test_nested();
	test_fixed();
	test_errors();
	test_cancel();

	/* Teardown with a wait pending. */
	t_pipe(p);
	ep = new_set(p[0], 1);
	ewait(99, ep, evs, 4);
	t_submit(&ring, 1);
	quiet();
	io_uring_queue_exit(&ring);
	close(ep);
	return T_EXIT_PASS;
}
