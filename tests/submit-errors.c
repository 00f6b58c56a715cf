/* SPDX-License-Identifier: MIT */
/*
 * Description: submission-time errors and io_uring_enter's return value:
 * unknown opcodes and SQE flags get a CQE with -EINVAL; a prep failure ends
 * the submit (enter returns how many SQEs it consumed, the failed one
 * included) and the rest stays queued; to_submit larger than the queue is
 * clamped; enter/register on a bad fd (-EBADF) or a non-ring fd
 * (-EOPNOTSUPP); unknown enter flags and register opcodes (-EINVAL); a bad
 * EXT_ARG size (-EINVAL).
 */
#include <signal.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void test_bad_sqes(void)
{
	struct io_uring_sqe *sqe;

	/* Opcode just past the last one, and the largest possible. */
	t_prep_nop(&ring, 1)->opcode = IORING_OP_LAST;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EINVAL, 0);
	t_prep_nop(&ring, 2)->opcode = 0xff;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, -EINVAL, 0);

	/* Unknown SQE flag bit (bit 7). */
	t_prep_nop(&ring, 3)->flags = 1U << 7;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, -EINVAL, 0);

	/* All defined flags that make sense on a NOP are accepted. */
	t_prep_nop(&ring, 4)->flags = IOSQE_ASYNC;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, 0, 0);

	/*
	 * A prep failure in the middle: submit returns the count up to and
	 * including the failed SQE; what follows stays in the SQ.
	 */
	t_prep_nop(&ring, 10);
	t_prep_nop(&ring, 11);
	t_prep_nop(&ring, 12)->opcode = 0xfe;
	t_prep_nop(&ring, 13);
	t_prep_nop(&ring, 14);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 10, 0, 0);
	t_expect_cqe(&ring, 11, 0, 0);
	t_expect_cqe(&ring, 12, -EINVAL, 0);
	t_expect_no_cqe(&ring);
	t_eq(io_uring_sq_ready(&ring), 2);

	/*
	 * The tail is already published: a raw enter with a to_submit larger
	 * than what is queued is clamped to the 2 pending SQEs.
	 */
	t_eq(io_uring_enter((unsigned)ring.ring_fd, 100, 0, 0, NULL), 2);
	t_expect_cqe(&ring, 13, 0, 0);
	t_expect_cqe(&ring, 14, 0, 0);
	t_eq(io_uring_sq_ready(&ring), 0);

	/* Nothing queued: enter(to_submit=8) submits nothing. */
	t_eq(io_uring_enter((unsigned)ring.ring_fd, 8, 0, 0, NULL), 0);

	/* The first SQE fails: submit returns 1. */
	sqe = t_prep_nop(&ring, 20);
	sqe->flags = 1U << 7;
	t_prep_nop(&ring, 21);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, -EINVAL, 0);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, 0, 0);

	/* io_uring_submit_and_wait: returns the number submitted. */
	t_prep_nop(&ring, 30);
	t_prep_nop(&ring, 31);
	t_eq(io_uring_submit_and_wait(&ring, 2), 2);
	t_eq(io_uring_cq_ready(&ring), 2);
	t_expect_cqe(&ring, 30, 0, 0);
	t_expect_cqe(&ring, 31, 0, 0);
}

static void test_bad_calls(void)
{
	int fds[2];
	struct io_uring_probe *probe;

	t_pipe(fds);
	/* Not an fd / not a ring. */
	t_eq(io_uring_enter(1000, 0, 0, 0, NULL), -EBADF);
	t_eq(io_uring_enter((unsigned)fds[0], 0, 0, 0, NULL), -EOPNOTSUPP);
	t_eq(io_uring_register(1000, IORING_REGISTER_PROBE, NULL, 0), -EBADF);
	probe = calloc(1, sizeof(*probe) + 256 * sizeof(probe->ops[0]));
	t_eq(io_uring_register((unsigned)fds[0], IORING_REGISTER_PROBE, probe,
			       256), -EOPNOTSUPP);

	/* Unknown enter flags. */
	t_eq(io_uring_enter((unsigned)ring.ring_fd, 0, 0, 1U << 31, NULL),
	     -EINVAL);
	/* Unknown register opcode. */
	t_eq(io_uring_register((unsigned)ring.ring_fd, 200, NULL, 0), -EINVAL);
	/* Register probe on a real ring works. */
	t_eq(io_uring_register((unsigned)ring.ring_fd, IORING_REGISTER_PROBE,
			       probe, 256), 0);
	free(probe);

	/* EXT_ARG with a wrong argument size. */
	{
		struct io_uring_getevents_arg arg;

		memset(&arg, 0, sizeof(arg));
		t_eq(io_uring_enter2((unsigned)ring.ring_fd, 0, 0,
				     IORING_ENTER_GETEVENTS |
				     IORING_ENTER_EXT_ARG,
				     (sigset_t *)&arg, sizeof(arg) - 1),
		     -EINVAL);
		/* Correct size, nothing to wait for (min_complete 0): 0. */
		t_eq(io_uring_enter2((unsigned)ring.ring_fd, 0, 0,
				     IORING_ENTER_GETEVENTS |
				     IORING_ENTER_EXT_ARG,
				     (sigset_t *)&arg, sizeof(arg)),
		     0);
	}
	/* A sigmask of the wrong size (no EXT_ARG). */
	{
		sigset_t set;

		sigemptyset(&set);
		t_eq(io_uring_enter2((unsigned)ring.ring_fd, 0, 1,
				     IORING_ENTER_GETEVENTS, &set, 4),
		     -EINVAL);
	}
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	t_ring_init(&ring, 8, 0);
	test_bad_sqes();
	test_bad_calls();
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
