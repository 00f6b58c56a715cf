/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_SETUP_DEFER_TASKRUN: a read on an empty pipe
 * completes only when the submitting task asks for completions
 * (io_uring_get_events / a waiting enter), not behind its back; a waiting
 * enter is woken by data written from another thread; the wait runs the
 * deferred work even with a timeout; another thread's wait is -EEXIST.
 */
#include <pthread.h>
#include <unistd.h>

#include "helpers/helpers.h"

static int wfd;
static struct io_uring ring;

static void *late_writer(void *arg)
{
	(void)arg;
	usleep(50 * 1000);
	if (write(wfd, "late", 4) != 4)
		abort();
	return NULL;
}

static void *other_waiter(void *arg)
{
	struct io_uring_cqe *cqe;

	(void)arg;
	return (void *)(intptr_t)io_uring_wait_cqe_nr(&ring, &cqe, 1);
}

int main(void)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char buf[16];
	pthread_t th;
	void *res;
	int fds[2], ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	ret = io_uring_queue_init_params(8, &ring, &p);
	if (ret == -ENOSYS || ret == -EPERM)
		t_skip("kernel refuses io_uring");
	t_eq(ret, 0);
	t_pipe(fds);
	wfd = fds[1];

	/* Data arrives while nobody waits: no CQE until the task asks. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 1;
	t_eq(io_uring_submit(&ring), 1);
	t_eq(write(fds[1], "abc", 3), 3);
	usleep(50 * 1000);
	t_eq(io_uring_cq_ready(&ring), 0);
	t_eq(io_uring_get_events(&ring), 0);
	t_expect_cqe(&ring, 1, 3, 0);
	t_assert(!memcmp(buf, "abc", 3));

	/* A waiting task is woken by data from another thread. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 2;
	t_eq(io_uring_submit(&ring), 1);
	pthread_create(&th, NULL, late_writer, NULL);
	t_eq(io_uring_wait_cqe(&ring, &cqe), 0);
	t_check_cqe(cqe, 2, 4, 0);
	io_uring_cqe_seen(&ring, cqe);
	pthread_join(th, NULL);

	/* Only the submitter may wait on a DEFER_TASKRUN ring. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 3;
	t_eq(io_uring_submit(&ring), 1);
	pthread_create(&th, NULL, other_waiter, NULL);
	pthread_join(th, &res);
	t_eq((int)(intptr_t)res, -EEXIST);

	/* A timed wait still runs the deferred work. */
	t_eq(write(fds[1], "xy", 2), 2);
	usleep(20 * 1000);
	t_expect_cqe(&ring, 3, 2, 0);
	io_uring_queue_exit(&ring);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
