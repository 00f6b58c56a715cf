/* SPDX-License-Identifier: MIT */
/*
 * Description: reads and writes on pipes: a read on an empty pipe stays
 * pending until the test writes, then completes with what was written; a read
 * pending when the write end closes completes with 0; a write larger than the
 * pipe completes short (what fit); a write to a full pipe waits until the
 * test drains some of it; the offset is ignored on a
 * pipe; O_NONBLOCK pipes still wait, RWF_NOWAIT gives -EAGAIN; a write with
 * no reader gives -EPIPE.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void test_read_waits(void)
{
	struct io_uring_sqe *sqe;
	char buf[64];
	int fds[2];

	t_pipe(fds);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 1;
	t_submit(&ring, 1);

	/* Nothing to read yet: no completion, even after a while. */
	usleep(20000);
	t_expect_no_cqe(&ring);
	{
		struct __kernel_timespec ts = { 0, 10000000 };
		struct io_uring_cqe *cqe;

		t_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), -ETIME);
	}

	t_eq(write(fds[1], "0123456789", 10), 10);
	t_expect_cqe(&ring, 1, 10, 0);
	t_assert(!memcmp(buf, "0123456789", 10));

	/* Data already there: completes at once with what is available. */
	t_eq(write(fds[1], "abc", 3), 3);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 3, 0);
	t_assert(!memcmp(buf, "abc", 3));

	/* A nonzero offset is ignored on a pipe (it has no position). */
	t_eq(write(fds[1], "xyz", 3), 3);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 12345);
	sqe->user_data = 3;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, 3, 0);

	/* READV on a pipe that gets data later. */
	{
		char a[2], b[10];
		struct iovec iov[2] = { { a, 2 }, { b, 10 } };

		sqe = t_get_sqe(&ring);
		io_uring_prep_readv(sqe, fds[0], iov, 2, 0);
		sqe->user_data = 4;
		t_submit(&ring, 1);
		usleep(5000);
		t_expect_no_cqe(&ring);
		t_eq(write(fds[1], "hello", 5), 5);
		t_expect_cqe(&ring, 4, 5, 0);
		t_assert(!memcmp(a, "he", 2) && !memcmp(b, "llo", 3));
	}

	/* Pending read, then the writer closes: EOF, res 0. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 5;
	t_submit(&ring, 1);
	usleep(5000);
	t_expect_no_cqe(&ring);
	close(fds[1]);
	t_expect_cqe(&ring, 5, 0, 0);
	close(fds[0]);
}

static void test_full_pipe(void)
{
	enum { SZ = 256 * 1024, PIPE_SZ = 65536 };
	static char out[SZ], in[SZ];
	struct io_uring_sqe *sqe;
	size_t got = 0;
	int fds[2];

	t_pipe(fds);
	t_eq(fcntl(fds[1], F_GETPIPE_SZ), PIPE_SZ);
	t_fill_pattern(out, SZ, 0, 5);

	/*
	 * A write larger than the pipe: it completes at once with what fit
	 * (a short write), as write(2) on a pipe may; it is not held back
	 * until all of it is written.
	 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fds[1], out, SZ, 0);
	sqe->user_data = 10;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 10, PIPE_SZ, 0);

	/* The pipe is full now: this write waits for the reader. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fds[1], out + PIPE_SZ, 100, 0);
	sqe->user_data = 11;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	t_eq(read(fds[0], in, 4096), 4096);
	t_expect_cqe(&ring, 11, 100, 0);
	got = 4096;
	while (got < PIPE_SZ + 100) {
		ssize_t n = read(fds[0], in + got, PIPE_SZ + 100 - got);

		if (n <= 0)
			t_fail("read: %s", strerror(errno));
		got += (size_t)n;
	}
	t_assert(!t_bufcmp(in, out, PIPE_SZ + 100, "pipe data"));
	close(fds[0]);
	close(fds[1]);
}

static void test_nonblock_and_epipe(void)
{
	struct io_uring_sqe *sqe;
	char buf[8];
	int fds[2];

	/*
	 * O_NONBLOCK empty pipe: the kernel still waits for data (pipes
	 * support nowait attempts, so O_NONBLOCK does not turn into -EAGAIN;
	 * the request is retried when the pipe becomes readable).
	 */
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
		t_fail("pipe2");
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 20;
	t_submit(&ring, 1);
	usleep(5000);
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "nb", 2), 2);
	t_expect_cqe(&ring, 20, 2, 0);

	/* RWF_NOWAIT on an empty pipe does not wait: -EAGAIN. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->rw_flags = RWF_NOWAIT;
	sqe->user_data = 23;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 23, -EAGAIN, 0);

	/* No reader left: -EPIPE (SIGPIPE is ignored here). */
	close(fds[0]);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fds[1], "x", 1, 0);
	sqe->user_data = 21;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, -EPIPE, 0);
	close(fds[1]);

	/* Reading the write end: -EBADF. */
	t_pipe(fds);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[1], buf, sizeof(buf), 0);
	sqe->user_data = 22;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 22, -EBADF, 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	t_ring_init(&ring, 8, 0);
	test_read_waits();
	test_full_pipe();
	test_nonblock_and_epipe();
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
