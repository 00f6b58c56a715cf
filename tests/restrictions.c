/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_REGISTER_RESTRICTIONS on an IORING_SETUP_R_DISABLED
 * ring: only allowed SQE opcodes run (others complete with -EACCES), only
 * allowed SQE flags (a disallowed flag -> -EACCES, cancelling its chain),
 * required flags, allowed register opcodes (others -EACCES, even
 * ENABLE_RINGS); restrictions apply from enable on; errors: ring already
 * enabled (-EBADFD), invalid entries (-EINVAL, and a failed attempt can be
 * retried), registering twice (-EBUSY).
 */
#include <unistd.h>

#include "helpers/helpers.h"

static int fds[2];

static void test_errors(void)
{
	struct io_uring ring;
	struct io_uring_restriction r[2];

	memset(r, 0, sizeof(r));
	r[0].opcode = IORING_RESTRICTION_SQE_OP;
	r[0].sqe_op = IORING_OP_NOP;

	/* Only before the ring is enabled. */
	t_ring_init(&ring, 4, 0);
	t_eq(io_uring_register_restrictions(&ring, r, 1), -EBADFD);
	io_uring_queue_exit(&ring);

	t_ring_init(&ring, 4, IORING_SETUP_R_DISABLED);
	r[1].opcode = 99;				/* unknown kind */
	t_eq(io_uring_register_restrictions(&ring, r, 2), -EINVAL);
	r[1].opcode = IORING_RESTRICTION_SQE_OP;
	r[1].sqe_op = 250;				/* unknown opcode */
	t_eq(io_uring_register_restrictions(&ring, r, 2), -EINVAL);
	r[1].opcode = IORING_RESTRICTION_REGISTER_OP;
	r[1].register_op = 250;
	t_eq(io_uring_register_restrictions(&ring, r, 2), -EINVAL);
	t_eq(io_uring_register((unsigned)ring.ring_fd,
			       IORING_REGISTER_RESTRICTIONS, NULL, 1), -EINVAL);
	/* After failures, a valid set is still accepted, but only once. */
	t_eq(io_uring_register_restrictions(&ring, r, 1), 0);
	t_eq(io_uring_register_restrictions(&ring, r, 1), -EBUSY);
	io_uring_queue_exit(&ring);
}

static void test_sqe_rules(void)
{
	struct io_uring ring;
	struct io_uring_restriction r[5];
	struct io_uring_sqe *sqe;
	struct io_uring_probe *p;

	memset(r, 0, sizeof(r));
	r[0].opcode = IORING_RESTRICTION_SQE_OP;
	r[0].sqe_op = IORING_OP_NOP;
	r[1].opcode = IORING_RESTRICTION_SQE_OP;
	r[1].sqe_op = IORING_OP_READ;
	r[2].opcode = IORING_RESTRICTION_REGISTER_OP;
	r[2].register_op = IORING_REGISTER_PROBE;
	r[3].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	r[3].sqe_flags = IOSQE_IO_LINK;

	t_ring_init(&ring, 8, IORING_SETUP_R_DISABLED);
	t_eq(io_uring_register_restrictions(&ring, r, 4), 0);
	/* Not enforced before enabling: a register op outside the list. */
	t_eq(io_uring_register_files(&ring, fds, 2), 0);
	t_eq(io_uring_enable_rings(&ring), 0);

	/* Allowed opcodes run; others get -EACCES. */
	t_prep_nop(&ring, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 0, 0);
	t_eq(write(fds[1], "ab", 2), 2);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], (char[2]){ 0 }, 2, 0);
	sqe->user_data = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 2, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fds[1], "x", 1, 0);
	sqe->user_data = 3;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, -EACCES, 0);

	/* An allowed flag. */
	t_prep_nop(&ring, 4)->flags |= IOSQE_IO_LINK;
	t_prep_nop(&ring, 5);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 4, 0, 0);
	t_expect_cqe(&ring, 5, 0, 0);
	/* A disallowed flag (ASYNC; FIXED_FILE): -EACCES. */
	t_prep_nop(&ring, 6)->flags |= IOSQE_ASYNC;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -EACCES, 0);
	t_prep_nop(&ring, 7)->flags |= IOSQE_FIXED_FILE;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, -EACCES, 0);
	/* A disallowed opcode inside a chain cancels the chain. */
	t_prep_nop(&ring, 8)->flags |= IOSQE_IO_LINK;
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fds[1], "x", 1, 0);
	sqe->user_data = 9;
	sqe->flags |= IOSQE_IO_LINK;
	t_prep_nop(&ring, 10);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 8, -ECANCELED, 0);
	t_expect_cqe(&ring, 9, -EACCES, 0);
	t_expect_cqe(&ring, 10, -ECANCELED, 0);

	/* Register opcodes: PROBE allowed, the rest -EACCES. */
	p = io_uring_get_probe_ring(&ring);
	t_assert(p != NULL);
	io_uring_free_probe(p);
	t_eq(io_uring_unregister_files(&ring), -EACCES);
	t_eq(io_uring_register_eventfd(&ring, fds[0]), -EACCES);
	t_eq(io_uring_enable_rings(&ring), -EACCES);
	{
		unsigned v[2] = { 0, 0 };

		t_eq(io_uring_register_iowq_max_workers(&ring, v), -EACCES);
	}
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
}

static void test_required_flags(void)
{
	struct io_uring ring;
	struct io_uring_restriction r[3];
	struct io_uring_sqe *sqe;
	char c[2];

	memset(r, 0, sizeof(r));
	r[0].opcode = IORING_RESTRICTION_SQE_OP;
	r[0].sqe_op = IORING_OP_WRITE;
	r[1].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	r[1].sqe_flags = IOSQE_FIXED_FILE;
	r[2].opcode = IORING_RESTRICTION_REGISTER_OP;
	r[2].register_op = IORING_REGISTER_FILES;

	t_ring_init(&ring, 8, IORING_SETUP_R_DISABLED);
	t_eq(io_uring_register_restrictions(&ring, r, 3), 0);
	t_eq(io_uring_enable_rings(&ring), 0);
	t_eq(io_uring_register_files(&ring, fds, 2), 0);

	/* Without the required flag: -EACCES. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fds[1], "x", 1, 0);
	sqe->user_data = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EACCES, 0);
	/* With it (fixed slot 1 = the pipe's write end): runs. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, 1, "y", 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 1, 0);
	t_eq(read(fds[0], c, 2), 1);
	t_assert(c[0] == 'y');
	io_uring_queue_exit(&ring);
}

int main(void)
{
	t_pipe(fds);
	test_errors();
	test_sqe_rules();
	test_required_flags();
	close(fds[0]);
	close(fds[1]);
	return T_EXIT_PASS;
}
