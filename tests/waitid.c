/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_WAITID.  A wait for a child that has not changed
 * state sleeps until it does (exit, kill, stop, continue), then completes
 * with 0 and the siginfo fields the kernel writes (si_signo, si_errno,
 * si_code, si_pid, si_uid, si_status; nothing else is touched); WNOHANG
 * with nothing to report gives 0 and zeroes those fields, as -ECHILD does
 * (invalid arguments leave the siginfo alone); WNOWAIT
 * leaves the child waitable; P_ALL, P_PID, P_PGID, P_PIDFD; a NULL infop;
 * a bad infop gives -EFAULT after the child was reaped; errors: reserved
 * fields, bad options, bad idtype, no child (-ECHILD); teardown with a
 * wait pending.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers/helpers.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static struct io_uring ring;

static struct io_uring_sqe *waitid_sqe(uint64_t ud, idtype_t which, id_t id,
				       siginfo_t *si, int options)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_waitid(sqe, which, id, si, options, 0);
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

/* Every byte of si is 0xaa: untouched. */
#define untouched(si) untouched_at(__LINE__, si)
static void untouched_at(int line, const siginfo_t *si)
{
	const unsigned char *p = (const unsigned char *)si;
	size_t i;

	for (i = 0; i < sizeof(*si); i++)
		if (p[i] != 0xaa)
			t_fail("line %d: siginfo byte %zu written (%#x)",
			       line, i, p[i]);
}

/* The six fields written, everything else untouched. */
#define check_si(si, pid, code, status) \
	check_si_at(__LINE__, si, pid, code, status)
static void check_si_at(int line, const siginfo_t *si, pid_t pid, int code,
			int status)
{
	const unsigned char *p = (const unsigned char *)si;
	size_t i, lo = offsetof(siginfo_t, si_pid),
	       hi = offsetof(siginfo_t, si_status) + sizeof(int);

	if (si->si_signo != (pid ? SIGCHLD : 0) || si->si_errno ||
	    si->si_code != code || si->si_pid != pid ||
	    si->si_uid != (pid ? getuid() : 0) || si->si_status != status)
		t_fail("line %d: siginfo signo %d errno %d code %d pid %d uid %d "
		       "status %d, expected pid %d code %d status %d", line,
		       si->si_signo, si->si_errno, si->si_code, si->si_pid,
		       (int)si->si_uid, si->si_status, pid, code, status);
	for (i = 3 * sizeof(int); i < sizeof(*si); i++) {
		if (i >= lo && i < hi)
			continue;
		if (p[i] != 0xaa)
			t_fail("line %d: siginfo byte %zu written (%#x)",
			       line, i, p[i]);
	}
}

static pid_t child(int delay_ms, int code)
{
	pid_t pid = fork();

	t_assert(pid >= 0);
	if (!pid) {
		usleep((useconds_t)delay_ms * 1000);
		_exit(code);
	}
	return pid;
}

static void test_errors(void)
{
	struct io_uring_sqe *sqe;
	siginfo_t si;

	sqe = waitid_sqe(1, P_ALL, 0, NULL, WEXITED);
	sqe->addr = 1;
	one(1, -EINVAL);
	sqe = waitid_sqe(2, P_ALL, 0, NULL, WEXITED);
	sqe->buf_index = 1;
	one(2, -EINVAL);
	sqe = waitid_sqe(3, P_ALL, 0, NULL, WEXITED);
	sqe->addr3 = 1;
	one(3, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_waitid(sqe, P_ALL, 0, NULL, WEXITED, 1);	/* flags */
	sqe->user_data = 4;
	one(4, -EINVAL);
	sqe = waitid_sqe(5, P_ALL, 0, NULL, WEXITED);
	sqe->ioprio = 1;
	one(5, -EINVAL);

	/* Options, idtype, pid: kernel_waitid_prepare()'s -EINVAL cases;
	 * the siginfo is left alone. */
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(10, P_ALL, 0, &si, 0);		/* no state asked */
	one(10, -EINVAL);
	waitid_sqe(11, P_ALL, 0, &si, WEXITED | 0x100000);
	one(11, -EINVAL);
	waitid_sqe(12, (idtype_t)7, 0, &si, WEXITED);
	one(12, -EINVAL);
	waitid_sqe(13, P_PID, 0, &si, WEXITED);
	one(13, -EINVAL);
	waitid_sqe(14, P_PIDFD, 100000, &si, WEXITED);
	one(14, -EBADF);
	untouched(&si);

	/* No children at all: -ECHILD, with or without WNOHANG; the wait
	 * looked, so the fields are zeroed; a bad infop turns it -EFAULT. */
	waitid_sqe(20, P_ALL, 0, &si, WEXITED);
	one(20, -ECHILD);
	check_si(&si, 0, 0, 0);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(21, P_ALL, 0, &si, WEXITED | WNOHANG);
	one(21, -ECHILD);
	check_si(&si, 0, 0, 0);
	waitid_sqe(22, P_PID, 12345, (siginfo_t *)8, WEXITED);
	one(22, -EFAULT);
	waitid_sqe(23, P_PID, 12345, NULL, WEXITED);
	one(23, -ECHILD);
}

static void test_exit(void)
{
	siginfo_t si;
	pid_t pid;

	/* Running child, WNOHANG: 0, fields zeroed. */
	pid = child(100, 3);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(1, P_PID, (id_t)pid, &si, WEXITED | WNOHANG);
	one(1, 0);
	check_si(&si, 0, 0, 0);

	/* Blocking: completes when the child exits. */
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(2, P_PID, (id_t)pid, &si, WEXITED);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 0, 0);
	check_si(&si, pid, CLD_EXITED, 3);
	t_eq(waitpid(pid, NULL, WNOHANG), -1);	/* reaped */

	/* Already a zombie: completes at once. */
	pid = child(0, 4);
	usleep(50000);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(3, P_ALL, 0, &si, WEXITED);
	one(3, 0);
	check_si(&si, pid, CLD_EXITED, 4);

	/* WNOWAIT: reported, but the child stays waitable. */
	pid = child(0, 5);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(4, P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
	one(4, 0);
	check_si(&si, pid, CLD_EXITED, 5);
	{
		int status;

		t_eq(waitpid(pid, &status, 0), pid);
		t_assert(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	}

	/* NULL infop: still reaped. */
	pid = child(0, 6);
	waitid_sqe(5, P_PID, (id_t)pid, NULL, WEXITED);
	one(5, 0);
	t_eq(waitpid(pid, NULL, WNOHANG), -1);

	/* Bad infop: -EFAULT, and the child is gone all the same. */
	pid = child(0, 7);
	waitid_sqe(6, P_PID, (id_t)pid, (siginfo_t *)8, WEXITED);
	one(6, -EFAULT);
	t_eq(waitpid(pid, NULL, WNOHANG), -1);

	/* P_PGID 0: the caller's process group. */
	pid = child(30, 8);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(7, P_PGID, 0, &si, WEXITED);
	one(7, 0);
	check_si(&si, pid, CLD_EXITED, 8);
}

static void test_signals(void)
{
	siginfo_t si;
	pid_t pid;

	/* Killed. */
	pid = child(10000, 0);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(1, P_PID, (id_t)pid, &si, WEXITED);
	t_submit(&ring, 1);
	quiet();
	kill(pid, SIGKILL);
	t_expect_cqe(&ring, 1, 0, 0);
	check_si(&si, pid, CLD_KILLED, SIGKILL);

	/* Stopped, then continued, then killed. */
	pid = fork();
	t_assert(pid >= 0);
	if (!pid) {
		raise(SIGSTOP);
		pause();
		_exit(0);
	}
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(2, P_PID, (id_t)pid, &si, WSTOPPED);
	one(2, 0);
	check_si(&si, pid, CLD_STOPPED, SIGSTOP);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(3, P_PID, (id_t)pid, &si, WCONTINUED);
	t_submit(&ring, 1);
	quiet();
	kill(pid, SIGCONT);
	t_expect_cqe(&ring, 3, 0, 0);
	check_si(&si, pid, CLD_CONTINUED, SIGCONT);
	kill(pid, SIGKILL);
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(4, P_ALL, 0, &si, WEXITED);
	one(4, 0);
	check_si(&si, pid, CLD_KILLED, SIGKILL);
}

static void test_pidfd(void)
{
	siginfo_t si;
	pid_t pid;
	int pfd;

	pid = child(50, 9);
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		waitpid(pid, NULL, 0);
		return;		/* no pidfds here: nothing to test */
	}
	memset(&si, 0xaa, sizeof(si));
	waitid_sqe(1, P_PIDFD, (id_t)pfd, &si, WEXITED);
	one(1, 0);
	check_si(&si, pid, CLD_EXITED, 9);
	close(pfd);
}

int main(void)
{
	pid_t pid;

	signal(SIGCHLD, SIG_DFL);
	t_ring_init(&ring, 8, 0);
	test_errors();
	test_exit();
	test_signals();
	test_pidfd();

	/* Teardown with a wait pending. */
	pid = child(10000, 0);
	waitid_sqe(99, P_PID, (id_t)pid, NULL, WEXITED);
	t_submit(&ring, 1);
	quiet();
	io_uring_queue_exit(&ring);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return T_EXIT_PASS;
}
