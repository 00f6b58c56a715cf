/* SPDX-License-Identifier: MIT */
/*
 * Description: eventfd notification: io_uring_register_eventfd makes
 * completions signal the eventfd; IORING_CQ_EVENTFD_DISABLED
 * (io_uring_cq_eventfd_toggle) silences it; io_uring_register_eventfd_async
 * signals only completions from async (io-wq) context; unregister stops it;
 * errors: a second registration (-EBUSY), unregister without one (-ENXIO),
 * bad fd (-EBADF), an fd that is not an eventfd (-EINVAL).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

/* Read the eventfd counter without blocking; 0 if not signalled. */
static uint64_t evcount(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v)) {
		if (errno != EAGAIN)
			t_fail("eventfd read: %s", strerror(errno));
		return 0;
	}
	return v;
}

/* Wait up to ms for the eventfd to become readable. */
static int evwait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, ms);
}

int main(void)
{
	int efd, efd2, fds[2];

	t_ring_init(&ring, 8, 0);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t_assert(efd >= 0 && efd2 >= 0);

	/* Errors before anything is registered. */
	t_eq(io_uring_unregister_eventfd(&ring), -ENXIO);
	t_eq(io_uring_register_eventfd(&ring, 1000), -EBADF);
	t_pipe(fds);
	t_eq(io_uring_register_eventfd(&ring, fds[0]), -EINVAL);

	t_eq(io_uring_register_eventfd(&ring, efd), 0);
	t_eq(io_uring_register_eventfd(&ring, efd2), -EBUSY);
	t_assert(io_uring_cq_eventfd_enabled(&ring));

	/* A completion signals. */
	t_prep_nop(&ring, 1);
	t_submit(&ring, 1);
	t_assert(evwait(efd, 2000) == 1);
	t_assert(evcount(efd) >= 1);
	t_expect_cqe(&ring, 1, 0, 0);

	/* A later completion (pipe read woken by a write) signals too. */
	{
		char c;
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_read(sqe, fds[0], &c, 1, 0);
		sqe->user_data = 2;
		t_submit(&ring, 1);
		t_eq(evwait(efd, 10), 0);
		t_eq(write(fds[1], "x", 1), 1);
		t_assert(evwait(efd, 2000) == 1);
		t_assert(evcount(efd) >= 1);
		t_expect_cqe(&ring, 2, 1, 0);
	}

	/* A batch signals at least once. */
	for (int i = 0; i < 4; i++)
		t_prep_nop(&ring, 10 + i);
	t_submit(&ring, 4);
	t_assert(evwait(efd, 2000) == 1);
	{
		uint64_t n = evcount(efd);

		t_assert(n >= 1 && n <= 4);
	}
	for (int i = 0; i < 4; i++)
		t_expect_cqe(&ring, 10 + i, 0, 0);

	/* Disabled through the CQ ring flag: no signal. */
	t_eq(io_uring_cq_eventfd_toggle(&ring, false), 0);
	t_assert(!io_uring_cq_eventfd_enabled(&ring));
	t_assert(*ring.cq.kflags & IORING_CQ_EVENTFD_DISABLED);
	t_prep_nop(&ring, 20);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, 0, 0);
	t_eq(evwait(efd, 20), 0);
	t_eq(io_uring_cq_eventfd_toggle(&ring, true), 0);
	t_assert(io_uring_cq_eventfd_enabled(&ring));
	t_prep_nop(&ring, 21);
	t_submit(&ring, 1);
	t_assert(evwait(efd, 2000) == 1);
	t_assert(evcount(efd) >= 1);
	t_expect_cqe(&ring, 21, 0, 0);

	/* Unregistered: no more signals. */
	t_eq(io_uring_unregister_eventfd(&ring), 0);
	t_eq(io_uring_unregister_eventfd(&ring), -ENXIO);
	t_prep_nop(&ring, 30);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 30, 0, 0);
	t_eq(evwait(efd, 20), 0);

	/*
	 * eventfd_async: an inline completion does not signal; one that
	 * completes in io-wq (IOSQE_ASYNC) does.
	 */
	t_eq(io_uring_register_eventfd_async(&ring, efd2), 0);
	t_prep_nop(&ring, 40);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 40, 0, 0);
	t_eq(evwait(efd2, 20), 0);
	t_prep_nop(&ring, 41)->flags |= IOSQE_ASYNC;
	t_submit(&ring, 1);
	t_assert(evwait(efd2, 2000) == 1);
	t_assert(evcount(efd2) >= 1);
	t_expect_cqe(&ring, 41, 0, 0);
	t_eq(io_uring_unregister_eventfd(&ring), 0);

	t_expect_no_cqe(&ring);
	close(fds[0]);
	close(fds[1]);
	close(efd);
	close(efd2);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
