/* SPDX-License-Identifier: MIT */
/*
 * Description: the engine's fault injector (URSA_FAULT, read once per
 * process when its first ring is created; so each scenario runs in a forked
 * child that sets it first).  retry=1: every request's first nonblocking
 * attempt is sent down the would-block path (worker or readiness wait):
 * file reads and writes, readv/writev, a pipe read that gets data later, a
 * 3-request link chain, fsync and error results all give the same CQEs as
 * without faults (the same checks run in a child without URSA_FAULT).
 * op=22,err=5: every IORING_OP_READ fails with -EIO: a READ linked to a
 * WRITE and a NOP gives -EIO, -ECANCELED, -ECANCELED (the write not done);
 * with IOSQE_IO_HARDLINK the chain goes on; with IOSQE_CQE_SKIP_SUCCESS on
 * the read its -EIO is posted and the CQEs of the cancelled rest are not;
 * READV is untouched.  op=0,err=12,every=3: of 300 NOPs exactly every third
 * completes with -ENOMEM, and all 300 CQEs arrive.  ursa only: the kernel
 * has no such injector, so under the kernel backend only the checks without
 * faults run, then the test skips.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void ring_up(unsigned entries)
{
	t_ring_init(&ring, entries, 0);
}

/* ------------------------------------------------------- (a) retry path */

static void rw_file(void)
{
	static char buf[4096], wbuf[512], rbuf[512];
	struct io_uring_sqe *sqe;
	int fd = t_temp_fd(16384, 4);

	/* Plain read from the middle. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 1000);
	sqe->user_data = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, sizeof(buf), 0);
	if (t_check_pattern(buf, sizeof(buf), 1000, 4) >= 0)
		t_fail("read: wrong data");

	/* A write past the end (the file grows), read back. */
	t_fill_pattern(wbuf, sizeof(wbuf), 20000, 8);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, wbuf, sizeof(wbuf), 20000);
	sqe->user_data = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, sizeof(wbuf), 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, rbuf, sizeof(rbuf), 20000);
	sqe->user_data = 3;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, sizeof(rbuf), 0);
	t_assert(!t_bufcmp(rbuf, wbuf, sizeof(rbuf), "write read back"));

	/* Short read at the end, and a read past the end. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 20000 + 412);
	sqe->user_data = 4;
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf + 1024, 100, 30000);
	sqe->user_data = 5;
	t_submit(&ring, 2);
	{
		struct t_cqe_want w[] = {
			{ 4, 100, 0, 0 }, { 5, 0, 0, 0 },
		};

		t_reap_cqes(&ring, w, 2);
	}

	/* READV over three buffers, WRITEV of two. */
	{
		char a[100], b[1], c[300];
		struct iovec iov[3] = { { a, 100 }, { b, 1 }, { c, 300 } };
		char x[10] = "0123456789", y[5] = "abcde";
		struct iovec wv[2] = { { x, 10 }, { y, 5 } };

		sqe = t_get_sqe(&ring);
		io_uring_prep_readv(sqe, fd, iov, 3, 50);
		sqe->user_data = 6;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 6, 401, 0);
		if (t_check_pattern(a, 100, 50, 4) >= 0 ||
		    t_check_pattern(b, 1, 150, 4) >= 0 ||
		    t_check_pattern(c, 300, 151, 4) >= 0)
			t_fail("readv: wrong data");

		sqe = t_get_sqe(&ring);
		io_uring_prep_writev(sqe, fd, wv, 2, 7);
		sqe->user_data = 7;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 7, 15, 0);
		t_eq(pread(fd, buf, 15, 7), 15);
		t_assert(!memcmp(buf, "0123456789abcde", 15));
	}

	/* Errors take the same path: a bad fd, a read of a write-only fd. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, 1000, buf, 10, 0);
	sqe->user_data = 8;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 8, -EBADF, 0);
	{
		char path[] = "/proc/self/fd/XXXXXXXXXX";
		int wfd;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		wfd = open(path, O_WRONLY);
		t_assert(wfd >= 0);
		sqe = t_get_sqe(&ring);
		io_uring_prep_read(sqe, wfd, buf, 10, 0);
		sqe->user_data = 9;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 9, -EBADF, 0);
		close(wfd);
	}

	/* fsync, and fsync of a bad fd. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, 0);
	sqe->user_data = 10;
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	sqe->user_data = 11;
	t_submit(&ring, 2);
	{
		struct t_cqe_want w[] = {
			{ 10, 0, 0, 0 }, { 11, 0, 0, 0 },
		};

		t_reap_cqes(&ring, w, 2);
	}
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, 1000, 0);
	sqe->user_data = 12;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 12, -EBADF, 0);
	close(fd);
}

static void pipe_read_later(void)
{
	struct io_uring_sqe *sqe;
	char buf[32];
	int fds[2];

	t_pipe(fds);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 20;
	t_submit(&ring, 1);
	usleep(20000);
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "hello", 5), 5);
	t_expect_cqe(&ring, 20, 5, 0);
	t_assert(!memcmp(buf, "hello", 5));

	/* Data already there. */
	t_eq(write(fds[1], "xy", 2), 2);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 21;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, 2, 0);

	/* Pending, then EOF. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 22;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	close(fds[1]);
	t_expect_cqe(&ring, 22, 0, 0);
	close(fds[0]);
}

static void link_chain(void)
{
	static char out[1000], in[1000];
	struct io_uring_sqe *sqe;
	int fd = t_temp_fd(0, 0);

	t_fill_pattern(out, sizeof(out), 0, 13);
	/* WRITE -> READ -> NOP: in order, the read sees the write. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, out, sizeof(out), 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 30;
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, in, sizeof(in), 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 31;
	t_prep_nop(&ring, 32);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 30, sizeof(out), 0);
	t_expect_cqe(&ring, 31, sizeof(in), 0);
	t_expect_cqe(&ring, 32, 0, 0);
	t_assert(!t_bufcmp(in, out, sizeof(in), "linked read"));

	/* A short read breaks a soft link: the rest is cancelled. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, in, sizeof(in), 900);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 33;
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, out, 10, 5000);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 34;
	t_prep_nop(&ring, 35);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 33, 100, 0);
	t_expect_cqe(&ring, 34, -ECANCELED, 0);
	t_expect_cqe(&ring, 35, -ECANCELED, 0);
	close(fd);
}

static void scenario_retry(int faults_on)
{
	ring_up(16);
	/* NOPs too go the would-block way under retry=1. */
	for (unsigned i = 0; i < 8; i++)
		t_prep_nop(&ring, 100 + i);
	t_submit(&ring, 8);
	{
		struct t_cqe_want w[8];

		for (unsigned i = 0; i < 8; i++)
			w[i] = (struct t_cqe_want){ 100 + i, 0, 0, 0 };
		t_reap_cqes(&ring, w, 8);
	}
	/* With faults on, the first attempts really went elsewhere: the
	 * process has worker threads now. */
	if (faults_on)
		t_assert(t_count_threads() > 1);
	rw_file();
	pipe_read_later();
	link_chain();
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
}

static void scenario_retry_on(void)
{
	scenario_retry(1);
}

static void scenario_control(void)
{
	scenario_retry(0);
}

/* ------------------------------------------------ (b) READ fails with EIO */

static void scenario_read_eio(void)
{
	static char buf[256], out[64];
	struct io_uring_sqe *sqe;
	int fd = t_temp_fd(4096, 6);

	ring_up(16);
	memset(out, 'W', sizeof(out));

	/* Alone. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	sqe->user_data = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EIO, 0);

	/* Other opcodes are untouched: READV (a different opcode) works. */
	{
		struct iovec iov = { buf, sizeof(buf) };

		sqe = t_get_sqe(&ring);
		io_uring_prep_readv(sqe, fd, &iov, 1, 0);
		sqe->user_data = 2;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 2, sizeof(buf), 0);
		if (t_check_pattern(buf, sizeof(buf), 0, 6) >= 0)
			t_fail("readv: wrong data");
	}

	/* READ -> WRITE -> NOP, soft links: the failure cancels the rest. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 10;
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, out, sizeof(out), 100);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 11;
	t_prep_nop(&ring, 12);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 10, -EIO, 0);
	t_expect_cqe(&ring, 11, -ECANCELED, 0);
	t_expect_cqe(&ring, 12, -ECANCELED, 0);
	t_eq(pread(fd, buf, sizeof(out), 100), (int)sizeof(out));
	if (t_check_pattern(buf, sizeof(out), 100, 6) >= 0)
		t_fail("cancelled write was done");

	/* Hard links: the chain goes on after the failure. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	sqe->flags = IOSQE_IO_HARDLINK;
	sqe->user_data = 20;
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, out, sizeof(out), 200);
	sqe->flags = IOSQE_IO_HARDLINK;
	sqe->user_data = 21;
	t_prep_nop(&ring, 22);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 20, -EIO, 0);
	t_expect_cqe(&ring, 21, sizeof(out), 0);
	t_expect_cqe(&ring, 22, 0, 0);
	t_eq(pread(fd, buf, sizeof(out), 200), (int)sizeof(out));
	t_assert(!t_bufcmp(buf, out, sizeof(out), "hard-linked write"));

	/*
	 * CQE_SKIP_SUCCESS on the failing read: its own CQE is posted (it
	 * did not succeed) and the cancelled members post nothing.  A NOP
	 * after the chain shows nothing else is coming.
	 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	sqe->flags = IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = 30;
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, out, sizeof(out), 300);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 31;
	t_prep_nop(&ring, 32);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 30, -EIO, 0);
	usleep(10000);
	t_expect_no_cqe(&ring);
	t_prep_nop(&ring, 33);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 33, 0, 0);
	t_eq(pread(fd, buf, sizeof(out), 300), (int)sizeof(out));
	if (t_check_pattern(buf, sizeof(out), 300, 6) >= 0)
		t_fail("cancelled write was done");

	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	close(fd);
}

/* ------------------------------------- (c) every third NOP gets -ENOMEM */

static void scenario_nop_enomem(void)
{
	enum { TOTAL = 300, BATCH = 30 };
	unsigned ok = 0, failed = 0;
	uint64_t ud = 0;

	ring_up(32);
	while (ud < TOTAL) {
		uint64_t first = ud;

		for (unsigned i = 0; i < BATCH; i++)
			t_prep_nop(&ring, ud++);
		t_submit(&ring, BATCH);
		/* Inline NOPs complete in submission order; the injector
		 * counts NOP issues, the 3rd, 6th, ... fail. */
		for (unsigned i = 0; i < BATCH; i++) {
			uint64_t u = first + i;
			int want = (u % 3 == 2) ? -ENOMEM : 0;

			t_expect_cqe(&ring, u, want, 0);
			if (want)
				failed++;
			else
				ok++;
		}
	}
	t_eq(ok + failed, TOTAL);
	t_eq(failed, TOTAL / 3);
	t_expect_no_cqe(&ring);
	t_eq(*ring.sq.kdropped, 0);
	t_eq(*ring.cq.koverflow, 0);
	io_uring_queue_exit(&ring);
}

/* ----------------------------------------------------------------- driver */

static void run(const char *name, const char *spec, void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Before the child's first ring: the engine reads it then. */
		if (spec)
			setenv("URSA_FAULT", spec, 1);
		else
			unsetenv("URSA_FAULT");
		fn();
		fflush(stdout);
		_exit(T_EXIT_PASS);
	}
	if (waitpid(pid, &status, 0) != pid)
		t_fail("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		t_fail("%s (URSA_FAULT=%s): killed by signal %d", name,
		       spec ? spec : "", WTERMSIG(status));
	if (WEXITSTATUS(status) == T_EXIT_SKIP)
		exit(T_EXIT_SKIP);	/* the child printed why */
	if (WEXITSTATUS(status) != 0)
		t_fail("%s (URSA_FAULT=%s) failed", name, spec ? spec : "");
	printf("%s (URSA_FAULT=%s): ok\n", name, spec ? spec : "");
}

/* The specs below name opcodes by number. */
_Static_assert(IORING_OP_NOP == 0 && IORING_OP_READ == 22, "opcode numbers");

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* The checks without faults hold on the kernel as well. */
	run("control", NULL, scenario_control);
	if (t_backend_is_kernel())
		t_skip("URSA_FAULT is the ursa engine's fault injector; "
		       "the kernel backend has none (control checks passed)");
	run("retry", "retry=1", scenario_retry_on);
	run("read-eio", "op=22,err=5,every=1", scenario_read_eio);
	run("nop-enomem", "op=0,err=12,every=3", scenario_nop_enomem);
	return T_EXIT_PASS;
}
