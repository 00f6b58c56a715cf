/* SPDX-License-Identifier: MIT */
/*
 * Description: the registered buffer table: REGISTER_BUFFERS, BUFFERS2 with
 * tags (tag CQE {user_data = tag, res 0, flags 0} when a tagged buffer is
 * replaced, cleared or unregistered), sparse tables and {NULL, 0} holes,
 * BUFFERS_UPDATE (partial success counts), unregister, and errors: zero
 * count, too many (> 16384), a NULL or zero-length iovec, more than 1 GiB,
 * unmapped memory, a bad iovec array pointer, double registration, updates out
 * of range, tags on holes; buffers are usable for I/O after an update.
 */
#include <unistd.h>

#include "helpers/helpers.h"

/* IORING_MAX_REG_BUFFERS */
#define MAX_BUFS (1U << 14)

static struct io_uring ring;
static char b1[8192], b2[4096];

static void quiet(void)
{
	usleep(10000);
	t_expect_no_cqe(&ring);
}

static void test_errors(void)
{
	struct iovec iov[1] = { { b1, sizeof(b1) } };
	struct iovec null_base = { NULL, 4096 };
	struct iovec zero_len = { b1, 0 };
	struct iovec hole = { NULL, 0 };
	struct iovec huge = { b1, (1UL << 30) + 4096 };
	struct iovec unmapped = { (void *)0x10000, 4096 };
	struct iovec holes[2] = { { NULL, 0 }, { NULL, 0 } };
	__u64 tags[2] = { 5, 0 };
	struct iovec *many;

	t_eq(io_uring_unregister_buffers(&ring), -ENXIO);
	t_eq(io_uring_register_buffers_update_tag(&ring, 0, iov, NULL, 1),
	     -ENXIO);
	t_eq(io_uring_register_buffers(&ring, iov, 0), -EINVAL);
	t_eq(io_uring_register_buffers(&ring, &null_base, 1), -EFAULT);
	t_eq(io_uring_register_buffers(&ring, &zero_len, 1), -EFAULT);
	t_eq(io_uring_register_buffers(&ring, &huge, 1), -EFAULT);
	t_eq(io_uring_register_buffers(&ring, &unmapped, 1), -EFAULT);
	t_eq(io_uring_register_buffers(&ring, (struct iovec *)8, 1), -EFAULT);
	t_eq(io_uring_register_buffers_tags(&ring, holes, tags, 2), -EINVAL);

	many = calloc(MAX_BUFS + 1, sizeof(*many));
	t_assert(many);
	for (unsigned i = 0; i <= MAX_BUFS; i++) {
		many[i].iov_base = b1;
		many[i].iov_len = 4096;
	}
	t_eq(io_uring_register_buffers(&ring, many, MAX_BUFS + 1), -EINVAL);
	free(many);
	t_eq(io_uring_register_buffers_sparse(&ring, MAX_BUFS + 1), -EINVAL);
	t_eq(io_uring_register_buffers_sparse(&ring, MAX_BUFS), 0);
	t_eq(io_uring_unregister_buffers(&ring), 0);

	/* A {NULL, 0} entry is an empty slot, not an error. */
	t_eq(io_uring_register_buffers(&ring, &hole, 1), 0);
	t_eq(io_uring_unregister_buffers(&ring), 0);
}

static void read_fixed(uint64_t ud, int fd, void *buf, unsigned len,
		       int idx, int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_read_fixed(sqe, fd, buf, len, 0, idx);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static void test_update(int fd)
{
	struct iovec iov[2] = { { b1, sizeof(b1) }, { b2, sizeof(b2) } };
	struct iovec null_base = { NULL, 4096 };
	struct iovec hole = { NULL, 0 };
	struct iovec mix[2] = { { b1, 100 }, { NULL, 4096 } };

	t_eq(io_uring_register_buffers(&ring, iov, 2), 0);
	t_eq(io_uring_register_buffers(&ring, iov, 2), -EBUSY);
	t_eq(io_uring_register_buffers_update_tag(&ring, 2, iov, NULL, 1),
	     -EINVAL);
	t_eq(io_uring_register_buffers_update_tag(&ring, 1, iov, NULL, 2),
	     -EINVAL);
	t_eq(io_uring_register_buffers_update_tag(&ring, 0, &null_base, NULL,
						  1), -EFAULT);

	/* The first entry applies, the second fails: count 1. */
	t_eq(io_uring_register_buffers_update_tag(&ring, 0, mix, NULL, 2), 1);
	/* Slot 0 is now b1[0..100): a 200-byte read does not fit. */
	read_fixed(1, fd, b1, 100, 0, 100);
	read_fixed(2, fd, b1, 200, 0, -EFAULT);
	/* Slot 1 still b2. */
	read_fixed(3, fd, b2, 4096, 1, 4096);
	t_assert(t_check_pattern(b2, 4096, 0, 13) < 0);

	/* Clear slot 1: reads through it fail. */
	t_eq(io_uring_register_buffers_update_tag(&ring, 1, &hole, NULL, 1), 1);
	read_fixed(4, fd, b2, 10, 1, -EFAULT);
	t_eq(io_uring_unregister_buffers(&ring), 0);
	t_eq(io_uring_unregister_buffers(&ring), -ENXIO);
	read_fixed(5, fd, b1, 10, 0, -EFAULT);
}

static void test_tags(void)
{
	struct iovec iov[2] = { { b1, sizeof(b1) }, { b2, sizeof(b2) } };
	struct iovec hole = { NULL, 0 };
	__u64 t2[2] = { 100, 200 }, t1[1] = { 101 };

	t_eq(io_uring_register_buffers_tags(&ring, iov, t2, 2), 0);
	/* Replace slot 0 (tag 100) with b2 tagged 101. */
	t_eq(io_uring_register_buffers_update_tag(&ring, 0, &iov[1], t1, 1), 1);
	t_expect_cqe(&ring, 100, 0, 0);
	quiet();
	/* Clear slot 1 (tag 200). */
	t_eq(io_uring_register_buffers_update_tag(&ring, 1, &hole, NULL, 1), 1);
	t_expect_cqe(&ring, 200, 0, 0);
	/* A tag on a hole. */
	t_eq(io_uring_register_buffers_update_tag(&ring, 1, &hole, t1, 1),
	     -EINVAL);
	quiet();
	/* Unregister posts the remaining tag (101). */
	t_eq(io_uring_unregister_buffers(&ring), 0);
	t_expect_cqe(&ring, 101, 0, 0);
	quiet();

	/* Sparse, then a tagged update, then unregister. */
	t_eq(io_uring_register_buffers_sparse(&ring, 4), 0);
	t1[0] = 300;
	t_eq(io_uring_register_buffers_update_tag(&ring, 3, &iov[0], t1, 1), 1);
	quiet();
	t_eq(io_uring_unregister_buffers(&ring), 0);
	t_expect_cqe(&ring, 300, 0, 0);
}

int main(void)
{
	int fd;

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(8192, 13);
	test_errors();
	test_update(fd);
	test_tags();
	quiet();
	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
