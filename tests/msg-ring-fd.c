/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_MSG_RING with IORING_MSG_SEND_FD: a direct
 * descriptor of the sender's table goes into the target's table, at
 * file_index - 1 (res 0 for both) or at a free slot with
 * IORING_FILE_INDEX_ALLOC (res = the slot, for both); the target's CQE
 * carries user_data = sqe->off, none with IORING_MSG_RING_CQE_SKIP;
 * FLAGS_PASS changes nothing (the field names the slot); an occupied slot
 * is replaced; the sender keeps its own slot; the file works in the target
 * (a read through the new slot).  Errors, in the kernel's order: len -EINVAL,
 * the sender itself -EINVAL, disabled target -EBADFD, bad or empty source
 * slot -EBADF, target without a table -ENXIO (-ENFILE to allocate), slot
 * out of range or 0 -EINVAL, table full -ENFILE, not a ring -EBADFD.
 * From a worker (IOSQE_ASYNC) and while another thread keeps the target's
 * table busy with updates, every send succeeds.  A DEFER_TASKRUN target
 * owned by another thread receives a file too.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <ursa/ursa.h>
#include "helpers/helpers.h"

static struct io_uring src, dst;
static int pfd[2];	/* the pipe whose read end src holds in slot 0 */

static struct io_uring_sqe *prep_send(struct io_uring *r, int ring_fd,
				      int src_slot, int dst_slot, uint64_t data,
				      unsigned flags, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(r);

	io_uring_prep_msg_ring_fd(sqe, ring_fd, src_slot, dst_slot, data, flags);
	sqe->user_data = ud;
	return sqe;
}

static int send_one(struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	uint64_t ud = sqe->user_data;
	int res;

	t_submit(&src, 1);
	cqe = t_wait_cqe(&src);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&src, cqe);
	return res;
}

/* Prove that slot of ring r reads from our pipe. */
static void check_reads_pipe(struct io_uring *r, int slot, char tag)
{
	struct io_uring_sqe *sqe;
	char c = 0;

	t_eq(write(pfd[1], &tag, 1), 1);
	sqe = t_get_sqe(r);
	io_uring_prep_read(sqe, slot, &c, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 0x5eed;
	t_submit(r, 1);
	t_expect_cqe(r, 0x5eed, 1, 0);
	t_eq(c, tag);
}

static void test_send(void)
{
	struct io_uring_sqe *sqe;
	int other[2];

	/* Allocated: the slot is the result on both sides. */
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_fd_alloc(sqe, dst.ring_fd, 0, 0x9a, 0);
	sqe->user_data = 2;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&dst, 0x9a, 0, 0);
	check_reads_pipe(&dst, 0, 'c');
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_fd_alloc(sqe, dst.ring_fd, 0, 0x9b, 0);
	sqe->user_data = 3;
	t_eq(send_one(sqe), 1);
	t_expect_cqe(&dst, 0x9b, 1, 0);

	/* To slot 2 (file_index 3): the result is 0 on both sides. */
	t_eq(send_one(prep_send(&src, dst.ring_fd, 0, 2, 0x99, 0, 1)), 0);
	t_expect_cqe(&dst, 0x99, 0, 0);
	check_reads_pipe(&dst, 2, 'a');
	/* The sender keeps its own. */
	check_reads_pipe(&src, 0, 'b');

	/* CQE_SKIP: the file arrives, the target hears nothing. */
	t_eq(send_one(prep_send(&src, dst.ring_fd, 0, 3, 0x9c,
				IORING_MSG_RING_CQE_SKIP, 4)), 0);
	t_expect_no_cqe(&dst);
	check_reads_pipe(&dst, 3, 'd');

	/* FLAGS_PASS: file_index still names the slot; CQE flags stay 0. */
	t_eq(send_one(prep_send(&src, dst.ring_fd, 0, 4, 0x9d,
				IORING_MSG_RING_FLAGS_PASS, 5)), 0);
	t_expect_cqe(&dst, 0x9d, 0, 0);
	check_reads_pipe(&dst, 4, 'e');

	/* An occupied slot is replaced. */
	t_pipe(other);
	t_eq(io_uring_register_files_update(&src, 1, &other[0], 1), 1);
	t_eq(send_one(prep_send(&src, dst.ring_fd, 1, 2, 0x9e, 0, 6)), 0);
	t_expect_cqe(&dst, 0x9e, 0, 0);
	t_eq(write(other[1], "z", 1), 1);
	sqe = t_get_sqe(&dst);
	{
		char c = 0;

		io_uring_prep_read(sqe, 2, &c, 1, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->user_data = 7;
		t_submit(&dst, 1);
		t_expect_cqe(&dst, 7, 1, 0);
		t_eq(c, 'z');
	}
	close(other[0]);
	close(other[1]);
}

static void test_errors(void)
{
	struct io_uring_sqe *sqe;
	struct io_uring bare, off, tiny;
	int fds[2], fd = -1;

	t_pipe(fds);
	/* len must be 0 */
	sqe = prep_send(&src, dst.ring_fd, 0, 5, 1, 0, 1);
	sqe->len = 1;
	t_eq(send_one(sqe), -EINVAL);
	/* not to itself (len is checked first) */
	t_eq(send_one(prep_send(&src, src.ring_fd, 0, 5, 1, 0, 2)), -EINVAL);
	sqe = prep_send(&src, src.ring_fd, 9, 5, 1, 0, 3);
	t_eq(send_one(sqe), -EINVAL);
	/* source slot out of range, or empty */
	t_eq(send_one(prep_send(&src, dst.ring_fd, 8, 5, 1, 0, 4)), -EBADF);
	t_eq(send_one(prep_send(&src, dst.ring_fd, 2, 5, 1, 0, 5)), -EBADF);
	/* target slot out of range; file_index 0 is slot -1 */
	t_eq(send_one(prep_send(&src, dst.ring_fd, 0, 8, 1, 0, 6)), -EINVAL);
	sqe = prep_send(&src, dst.ring_fd, 0, 0, 1, 0, 7);
	sqe->file_index = 0;
	t_eq(send_one(sqe), -EINVAL);
	/* not a ring: before anything else about the message */
	sqe = prep_send(&src, fds[0], 9, 5, 1, 0, 8);
	sqe->len = 1;
	t_eq(send_one(sqe), -EBADFD);
	t_expect_no_cqe(&dst);

	/* A target without a table. */
	t_ring_init(&bare, 4, 0);
	t_eq(send_one(prep_send(&src, bare.ring_fd, 0, 0, 1, 0, 10)), -ENXIO);
	sqe = prep_send(&src, bare.ring_fd, 0, 0, 1, 0, 11);
	sqe->file_index = 0;
	t_eq(send_one(sqe), -ENXIO);
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_fd_alloc(sqe, bare.ring_fd, 0, 1, 0);
	sqe->user_data = 12;
	t_eq(send_one(sqe), -ENFILE);
	t_expect_no_cqe(&bare);
	/* ... and a sender without one: the source slot is missing. */
	sqe = t_get_sqe(&bare);
	io_uring_prep_msg_ring_fd(sqe, dst.ring_fd, 0, 5, 1, 0);
	sqe->user_data = 13;
	t_submit(&bare, 1);
	t_expect_cqe(&bare, 13, -EBADF, 0);
	io_uring_queue_exit(&bare);

	/* A disabled target: before the source slot is looked at. */
	t_ring_init(&off, 4, IORING_SETUP_R_DISABLED);
	t_eq(send_one(prep_send(&src, off.ring_fd, 0, 0, 1, 0, 14)), -EBADFD);
	t_eq(send_one(prep_send(&src, off.ring_fd, 7, 0, 1, 0, 15)), -EBADFD);
	io_uring_queue_exit(&off);

	/* A full table has no slot to allocate. */
	t_ring_init(&tiny, 4, 0);
	t_eq(io_uring_register_files(&tiny, &fd, 1), 0);
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_fd_alloc(sqe, tiny.ring_fd, 0, 1, 0);
	sqe->user_data = 16;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&tiny, 1, 0, 0);
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_fd_alloc(sqe, tiny.ring_fd, 0, 2, 0);
	sqe->user_data = 17;
	t_eq(send_one(sqe), -ENFILE);
	t_expect_no_cqe(&tiny);
	io_uring_queue_exit(&tiny);

	close(fds[0]);
	close(fds[1]);
	t_expect_no_cqe(&dst);
}

/* From a worker (IOSQE_ASYNC), and racing the target's own registrations
 * (which hold its lock: the sender must wait or retry, never fail). */
struct churn {
	struct io_uring *ring;
	_Atomic int stop;
	_Atomic unsigned done;
	int fail;
};

static void *churn_fn(void *arg)
{
	struct churn *c = arg;
	int fds[2];

	if (pipe(fds)) {
		c->fail = 1;
		return NULL;
	}
	while (!c->stop) {
		if (io_uring_register_files_update(c->ring, 6, &fds[0], 1) != 1)
			c->fail = 2;
		c->done++;
	}
	close(fds[0]);
	close(fds[1]);
	return NULL;
}

static void test_async_and_contention(void)
{
	struct io_uring_sqe *sqe;
	struct churn c = { .ring = &dst };
	struct io_uring_cqe *cqe;
	pthread_t th;

	sqe = prep_send(&src, dst.ring_fd, 0, 5, 0xa5, 0, 1);
	sqe->flags |= IOSQE_ASYNC;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&dst, 0xa5, 0, 0);
	check_reads_pipe(&dst, 5, 'f');

	pthread_create(&th, NULL, churn_fn, &c);
	while (!c.done)
		usleep(100);
	for (unsigned round = 0; round < 500; round++) {
		for (unsigned i = 0; i < 4; i++)
			prep_send(&src, dst.ring_fd, 0, 5, 0xa6,
				  IORING_MSG_RING_CQE_SKIP, 10 + i);
		t_submit(&src, 4);
		for (unsigned i = 0; i < 4; i++) {
			cqe = t_wait_cqe(&src);
			t_eq(cqe->res, 0);
			io_uring_cqe_seen(&src, cqe);
		}
	}
	c.stop = 1;
	pthread_join(th, NULL);
	t_eq(c.fail, 0);
	t_expect_no_cqe(&dst);
	check_reads_pipe(&dst, 5, 'g');
}

struct remote {
	pthread_barrier_t ready;
	int ring_fd;
	char got;
	int fail;
};

/* A DEFER_TASKRUN ring in its own thread: wait for the file, read from it. */
static void *remote_fn(void *arg)
{
	struct remote *rm = arg;
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring r;
	int fd = -1, slot;

	if (io_uring_queue_init(4, &r, IORING_SETUP_SINGLE_ISSUER |
				IORING_SETUP_DEFER_TASKRUN) ||
	    io_uring_register_files(&r, &fd, 1)) {
		rm->fail = 1;
		pthread_barrier_wait(&rm->ready);
		return NULL;
	}
	rm->ring_fd = r.ring_fd;
	pthread_barrier_wait(&rm->ready);
	if (io_uring_wait_cqe_timeout(&r, &cqe, &ts) || cqe->user_data != 0x77 ||
	    cqe->res < 0) {
		rm->fail = 2;
		goto out;
	}
	slot = cqe->res;
	io_uring_cqe_seen(&r, cqe);
	sqe = io_uring_get_sqe(&r);
	io_uring_prep_read(sqe, slot, &rm->got, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_submit(&r);
	if (io_uring_wait_cqe_timeout(&r, &cqe, &ts) || cqe->res != 1)
		rm->fail = 3;
	else
		io_uring_cqe_seen(&r, cqe);
out:
	io_uring_queue_exit(&r);
	return NULL;
}

static void test_remote(void)
{
	struct remote rm = { .ring_fd = -1 };
	struct io_uring_sqe *sqe;
	pthread_t th;

	pthread_barrier_init(&rm.ready, NULL, 2);
	pthread_create(&th, NULL, remote_fn, &rm);
	pthread_barrier_wait(&rm.ready);
	t_eq(rm.fail, 0);
	t_eq(write(pfd[1], "r", 1), 1);
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_fd_alloc(sqe, rm.ring_fd, 0, 0x77, 0);
	sqe->user_data = 1;
	t_eq(send_one(sqe), 0);
	pthread_join(th, NULL);
	t_eq(rm.fail, 0);
	t_eq(rm.got, 'r');
	pthread_barrier_destroy(&rm.ready);
}

/* ursa: our direct descriptors cannot go into a kernel ring's table. */
static void test_kernel_target(void)
{
	struct io_uring kr;
	int ret;

	if (t_backend_is_kernel())
		return;
	ursa_set_backend(URSA_BACKEND_KERNEL);
	ret = io_uring_queue_init(4, &kr, 0);
	ursa_set_backend(URSA_BACKEND_URSA);
	if (ret)
		return;
	t_eq(send_one(prep_send(&src, kr.ring_fd, 0, 0, 1, 0, 1)), -EBADFD);
	t_expect_no_cqe(&kr);
	io_uring_queue_exit(&kr);
}

int main(void)
{
	int files[3] = { -1, -1, -1 };

	t_ring_init(&src, 8, 0);
	t_ring_init(&dst, 8, 0);
	t_pipe(pfd);
	/* src: slot 0 our pipe, slot 1 for the replace test, slot 2 empty */
	files[0] = pfd[0];
	t_eq(io_uring_register_files(&src, files, 3), 0);
	t_eq(io_uring_register_files_sparse(&dst, 8), 0);

	test_send();
	test_errors();
	test_async_and_contention();
	test_remote();
	test_kernel_target();

	io_uring_queue_exit(&src);
	io_uring_queue_exit(&dst);
	return T_EXIT_PASS;
}
