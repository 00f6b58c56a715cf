/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_REGISTER_SEND_MSG_RING (io_uring_register(-1, 31,
 * sqe, 1), liburing's io_uring_register_sync_msg): a MSG_RING data message
 * with no source ring, posted at once; FLAGS_PASS flags; to a DEFER_TASKRUN
 * ring; waking a waiter in another thread.  Errors in the kernel's order:
 * arg NULL or nr_args != 1 -EINVAL, bad pointer -EFAULT, sqe->flags or
 * opcode -EINVAL, buf_index/personality/msg_ring_flags -EINVAL, any command
 * but DATA -EINVAL (even before the fd), bad fd -EBADF, not a ring -EBADFD,
 * then the data rules (-EINVAL) and a disabled ring (-EBADFD).  On a ring fd
 * the opcode is -EINVAL.  SQE fields the message does not use are ignored.
 */
#include <pthread.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring dst;

static int sync_msg(const struct io_uring_sqe *sqe, unsigned nr)
{
	return io_uring_register((unsigned)-1, IORING_REGISTER_SEND_MSG_RING,
				 sqe, nr);
}

static void prep(struct io_uring_sqe *sqe, int fd, unsigned len, uint64_t data)
{
	memset(sqe, 0, sizeof(*sqe));
	io_uring_prep_msg_ring(sqe, fd, len, data, 0);
}

static void test_basic(void)
{
	struct io_uring_sqe sqe;
	int ret;

	prep(&sqe, dst.ring_fd, 0x10, 0x1234);
	ret = io_uring_register_sync_msg(&sqe);
	if (ret == -EINVAL && t_backend_is_kernel())
		t_skip("kernel without IORING_REGISTER_SEND_MSG_RING (6.13)");
	t_eq(ret, 0);
	t_expect_cqe(&dst, 0x1234, 0x10, 0);

	memset(&sqe, 0, sizeof(sqe));
	io_uring_prep_msg_ring_cqe_flags(&sqe, dst.ring_fd, 2, 0x55, 0, 0x30000);
	t_eq(sync_msg(&sqe, 1), 0);
	t_expect_cqe(&dst, 0x55, 2, 0x30000);

	/* What the message does not read is not checked. */
	prep(&sqe, dst.ring_fd, 3, 0x56);
	sqe.ioprio = 7;
	sqe.user_data = 99;
	sqe.addr = (1ULL << 32) | IORING_MSG_DATA;	/* 32 bits are read */
	t_eq(sync_msg(&sqe, 1), 0);
	t_expect_cqe(&dst, 0x56, 3, 0);
	t_expect_no_cqe(&dst);
}

static void test_errors(void)
{
	struct io_uring_sqe sqe;
	struct io_uring off;
	int fds[2], closed;

	t_pipe(fds);
	closed = dup(fds[0]);
	close(closed);

	prep(&sqe, dst.ring_fd, 1, 1);
	t_eq(sync_msg(NULL, 1), -EINVAL);
	t_eq(sync_msg(&sqe, 0), -EINVAL);
	t_eq(sync_msg(&sqe, 2), -EINVAL);
	t_eq(sync_msg((void *)(uintptr_t)0xdeadbeef, 1), -EFAULT);

	sqe.flags = IOSQE_ASYNC;
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.opcode = IORING_OP_NOP;
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.buf_index = 1;
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.personality = 1;
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.msg_ring_flags = 1U << 2;
	t_eq(sync_msg(&sqe, 1), -EINVAL);

	/* Only data: there is no source table to send a file from. */
	memset(&sqe, 0, sizeof(sqe));
	io_uring_prep_msg_ring_fd(&sqe, dst.ring_fd, 0, 0, 1, 0);
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, closed, 1, 1);
	sqe.addr = IORING_MSG_SEND_FD;		/* the command comes first */
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.addr = 5;
	t_eq(sync_msg(&sqe, 1), -EINVAL);

	/* The target. */
	prep(&sqe, closed, 1, 1);
	t_eq(sync_msg(&sqe, 1), -EBADF);
	prep(&sqe, -1, 1, 1);
	t_eq(sync_msg(&sqe, 1), -EBADF);
	prep(&sqe, fds[0], 1, 1);
	t_eq(sync_msg(&sqe, 1), -EBADFD);
	prep(&sqe, closed, 1, 1);
	sqe.file_index = 1;			/* the fd comes first */
	t_eq(sync_msg(&sqe, 1), -EBADF);

	/* The data rules. */
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.file_index = 1;
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.addr3 = 1;
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	prep(&sqe, dst.ring_fd, 1, 1);
	sqe.msg_ring_flags = IORING_MSG_RING_CQE_SKIP;
	t_eq(sync_msg(&sqe, 1), -EINVAL);

	t_ring_init(&off, 4, IORING_SETUP_R_DISABLED);
	prep(&sqe, off.ring_fd, 1, 1);
	t_eq(sync_msg(&sqe, 1), -EBADFD);
	sqe.file_index = 1;			/* data rules before the state */
	t_eq(sync_msg(&sqe, 1), -EINVAL);
	t_eq(io_uring_enable_rings(&off), 0);
	prep(&sqe, off.ring_fd, 1, 2);
	t_eq(sync_msg(&sqe, 1), 0);
	t_expect_cqe(&off, 2, 1, 0);
	io_uring_queue_exit(&off);

	/* Only blind: on a ring it is not a register opcode. */
	prep(&sqe, dst.ring_fd, 1, 1);
	t_eq(io_uring_register((unsigned)dst.ring_fd,
			       IORING_REGISTER_SEND_MSG_RING, &sqe, 1), -EINVAL);

	t_expect_no_cqe(&dst);
	close(fds[0]);
	close(fds[1]);
}

static void test_defer(void)
{
	struct io_uring_sqe sqe;
	struct io_uring d;

	t_ring_init(&d, 4, IORING_SETUP_SINGLE_ISSUER |
		    IORING_SETUP_DEFER_TASKRUN);
	prep(&sqe, d.ring_fd, 4, 0x44);
	t_eq(sync_msg(&sqe, 1), 0);
	t_expect_cqe(&d, 0x44, 4, 0);
	io_uring_queue_exit(&d);
}

struct waiter {
	pthread_barrier_t ready;
	int ring_fd;
	int fail;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct io_uring_cqe *cqe;
	struct io_uring r;

	if (io_uring_queue_init(4, &r, 0)) {
		w->fail = 1;
		pthread_barrier_wait(&w->ready);
		return NULL;
	}
	w->ring_fd = r.ring_fd;
	pthread_barrier_wait(&w->ready);
	if (io_uring_wait_cqe_timeout(&r, &cqe, &ts))
		w->fail = 2;
	else if (cqe->user_data != 0xbeef || cqe->res != 8)
		w->fail = 3;
	io_uring_queue_exit(&r);
	return NULL;
}

static void test_wake(void)
{
	struct waiter w = { .ring_fd = -1 };
	struct io_uring_sqe sqe;
	pthread_t th;

	pthread_barrier_init(&w.ready, NULL, 2);
	pthread_create(&th, NULL, waiter_fn, &w);
	pthread_barrier_wait(&w.ready);
	t_eq(w.fail, 0);
	usleep(20000);
	prep(&sqe, w.ring_fd, 8, 0xbeef);
	t_eq(sync_msg(&sqe, 1), 0);
	pthread_join(th, NULL);
	t_eq(w.fail, 0);
	pthread_barrier_destroy(&w.ready);
}

int main(void)
{
	t_ring_init(&dst, 8, 0);
	test_basic();
	test_errors();
	test_defer();
	test_wake();
	io_uring_queue_exit(&dst);
	return T_EXIT_PASS;
}
