/* SPDX-License-Identifier: MIT */
/*
 * Description: ursa-run keeps serving a raw-syscall io_uring program that
 * does what issue 7 item 3 lists: installs its own SIGSYS handler (libc and
 * raw rt_sigaction), installs its own seccomp filter (a RET_TRAP and a
 * RET_ERRNO rule), blocks all signals (pthread_sigmask and raw
 * rt_sigprocmask), uses io_uring from a handler running on a sigaltstack
 * with every signal in sa_mask, uses rings from threads created before and
 * after the first ring, forks (the child gets -EBADFD on its parent's ursa
 * ring and can make its own), execs with an empty environment and through
 * posix_spawn, and is refused the exec of a static program in "trap" mode.
 * Its io_uring calls are syscall instructions of its own, so under ursa-run
 * each one is a SIGSYS trap (the path a blocked SIGSYS would break).
 * The subject runs under deny-io_uring + ursa-run (trap and wrap modes) and,
 * where the kernel serves io_uring, without either, as the reference.
 */
#include <pthread.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "run-driver.h"

#define CHILD_EPERM	3
#define PROG_TRAP_DATA	0x42
#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1	/* si_code of a seccomp RET_TRAP */
#endif

extern char **environ;

static volatile sig_atomic_t sys_count, sys2_count, sys_last_errno,
	sys_last_nr, sys_last_code;
static volatile int usr1_result = 1, usr1_on_altstack, usr1_usr2_blocked;
static char *altstack;
static size_t altstack_sz;
static struct rring ring_a;
static pthread_mutex_t ring_a_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_barrier;
static const char *mode;	/* "trap", "wrap" or "none" (no ursa-run) */
static int step_failed;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL (line %d): ", __LINE__);			\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
		step_failed = 1;					\
		return;							\
	}								\
} while (0)

static void own_sys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sys_count++;
	sys_last_code = si->si_code;
	sys_last_errno = si->si_errno;
	sys_last_nr = si->si_code == SYS_SECCOMP ? si->si_syscall : -1;
}

static void own_sys2(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	sys2_count++;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	char here;
	sigset_t cur;

	(void)sig;
	(void)si;
	(void)uc;
	usr1_on_altstack = &here >= altstack && &here < altstack + altstack_sz;
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	usr1_usr2_blocked = sigismember(&cur, SIGUSR2);
	usr1_result = rr_nops(&ring_a, 2);
}

static bool is_ursa(void)
{
	return !strcmp(rr_backend(ring_a.fd), "ursa");
}

/* 1: the program's own SIGSYS handler, through libc */
static void step_own_handler(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = own_sys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	CHECK(!sigaction(SIGSYS, &sa, NULL), "sigaction(SIGSYS)");
	CHECK(!raise(SIGSYS) && sys_count == 1, "raise(SIGSYS) reached the "
	      "program's handler %d times", (int)sys_count);
	CHECK(!sigaction(SIGSYS, NULL, &old) && old.sa_sigaction == own_sys,
	      "sigaction(SIGSYS) does not report the program's handler");
	printf("ok: own SIGSYS handler\n");
}

/* 2: the program's own seccomp filter: RET_TRAP getppid, RET_ERRNO getpriority */
static void step_own_seccomp(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | PROG_TRAP_DATA),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpriority, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	int before = sys_count;

	CHECK(!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl");
	CHECK(!syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog),
	      "seccomp: %s", strerror(errno));
	syscall(SYS_getppid);
	CHECK(sys_count == before + 1 && sys_last_code == SYS_SECCOMP &&
	      sys_last_errno == PROG_TRAP_DATA && sys_last_nr == SYS_getppid,
	      "the program's own RET_TRAP did not reach its handler "
	      "(count %d code %d errno %d nr %d)", (int)(sys_count - before),
	      (int)sys_last_code, (int)sys_last_errno, (int)sys_last_nr);
	errno = 0;
	CHECK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == -1 && errno == EACCES,
	      "the program's own RET_ERRNO: %s", strerror(errno));
	printf("ok: own seccomp filter (RET_TRAP to its handler, RET_ERRNO)\n");
}

/* 4: raw rt_sigaction(SIGSYS): recorded for the program, not installed */
static void step_raw_sigaction(void)
{
	struct sigaction q;
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} k;
	int before = sys2_count;

	sigaction(SIGSYS, NULL, &q);
	memset(&k, 0, sizeof(k));
	k.handler = (void *)own_sys2;
	k.flags = SA_SIGINFO;
	if (q.sa_restorer) {
		/* the kernel will call it for real: return through glibc's */
		k.restorer = (void *)q.sa_restorer;
		k.flags |= 0x04000000;	/* SA_RESTORER */
	}
	CHECK(!syscall(SYS_rt_sigaction, SIGSYS, &k, NULL, 8),
	      "raw rt_sigaction: %s", strerror(errno));
	CHECK(!rr_nops(&ring_a, 2), "io_uring after a raw rt_sigaction(SIGSYS)");
	raise(SIGSYS);
	CHECK(sys2_count == before + 1, "raise(SIGSYS) after raw rt_sigaction "
	      "reached the new handler %d times", (int)(sys2_count - before));
	printf("ok: raw rt_sigaction(SIGSYS)\n");
}

/* 5, 6: every signal blocked, through libc and raw */
static void step_block_all(bool raw)
{
	sigset_t all, old, cur;

	sigfillset(&all);
	if (raw)
		CHECK(!syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8),
		      "raw rt_sigprocmask");
	else
		CHECK(!pthread_sigmask(SIG_BLOCK, &all, &old), "pthread_sigmask");
	CHECK(!rr_nops(&ring_a, 3), "io_uring with all signals blocked (%s)",
	      raw ? "raw" : "pthread_sigmask");
	if (raw)
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &cur, 8);
	else
		pthread_sigmask(SIG_SETMASK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGTERM),
	      "the mask did not take");
	if (raw)
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	else
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	printf("ok: all signals blocked (%s)\n",
	       raw ? "raw rt_sigprocmask" : "pthread_sigmask");
}

/* 7: io_uring from a handler on a sigaltstack, sa_mask = everything */
static void step_altstack(void)
{
	struct sigaction sa;
	stack_t ss;

	altstack_sz = 64 * 1024;
	altstack = malloc(altstack_sz);
	ss.ss_sp = altstack;
	ss.ss_size = altstack_sz;
	ss.ss_flags = 0;
	CHECK(!sigaltstack(&ss, NULL), "sigaltstack");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	CHECK(!sigaction(SIGUSR1, &sa, NULL), "sigaction(SIGUSR1)");
	raise(SIGUSR1);
	CHECK(usr1_on_altstack, "the handler did not run on the altstack");
	CHECK(usr1_usr2_blocked, "sa_mask was not applied in the handler");
	CHECK(usr1_result == 0, "io_uring in the handler: %d", usr1_result);
	printf("ok: io_uring in a handler on a sigaltstack with a full sa_mask\n");
}

/* 8: threads before and after the first ring */
static void *thread_main(void *arg)
{
	struct rring r;
	intptr_t wait = (intptr_t)arg;
	int ret;

	if (wait)
		pthread_barrier_wait(&start_barrier);
	ret = rr_init(&r, 16);
	if (ret)
		return (void *)(intptr_t)ret;
	for (int i = 0; i < 50 && !ret; i++)
		ret = rr_nops(&r, 8);
	for (int i = 0; i < 10 && !ret; i++) {
		pthread_mutex_lock(&ring_a_lock);
		ret = rr_nops(&ring_a, 1);
		pthread_mutex_unlock(&ring_a_lock);
	}
	rr_unmap(&r);
	close(r.fd);
	return (void *)(intptr_t)ret;
}

static void step_threads(pthread_t before)
{
	pthread_t after;
	void *r1, *r2;

	CHECK(!pthread_create(&after, NULL, thread_main, (void *)0),
	      "pthread_create");
	pthread_barrier_wait(&start_barrier);
	pthread_join(before, &r1);
	pthread_join(after, &r2);
	CHECK(!r1 && !r2, "threads: before %ld after %ld", (long)(intptr_t)r1,
	      (long)(intptr_t)r2);
	printf("ok: rings used from threads created before and after the first\n");
}

/* 9: fork */
static void step_fork(void)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct rring b;
		long r = rr_enter(ring_a.fd, 0, 0, 0);

		if (is_ursa() ? r != -EBADFD : r < 0) {
			printf("child: enter on the parent's ring: %ld\n", r);
			_exit(1);
		}
		if (rr_init(&b, 4) || rr_nops(&b, 4)) {
			printf("child: own ring failed\n");
			_exit(2);
		}
		if (close(b.fd) || close(ring_a.fd)) {
			printf("child: close: %s\n", strerror(errno));
			_exit(3);
		}
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
	      "fork child status 0x%x", st);
	CHECK(!rr_nops(&ring_a, 2), "parent's ring after the child");
	printf("ok: fork (child: parent's ring %s, own ring works)\n",
	       is_ursa() ? "-EBADFD" : "shared");
}

/* 10: exec with an empty environment, and posix_spawn */
static void step_exec(void)
{
	char *argv[] = { drv_self, "--exec-child", (char *)rr_backend(ring_a.fd),
			 NULL };
	char *empty[] = { NULL };
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		execve(drv_self, argv, empty);
		_exit(126);
	}
	if (!strcmp(mode, "wrap")) {
		/* wrap mode does not restore the environment: the new image
		 * has no interposer, and its first io_uring call is fatal */
		CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		      WTERMSIG(st) == SIGSYS, "exec with an empty environment "
		      "(wrap): status 0x%x, expected death by SIGSYS", st);
	} else {
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      !WEXITSTATUS(st), "exec with an empty environment: "
		      "status 0x%x", st);
	}
	CHECK(!posix_spawn(&pid, drv_self, NULL, NULL, argv, environ),
	      "posix_spawn");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
	      "posix_spawn child: status 0x%x", st);
	printf("ok: exec (empty environment, posix_spawn): new image served "
	       "by %s\n", rr_backend(ring_a.fd));
}

/* 11: exec of a static program */
static void step_static_exec(void)
{
	const char *ldconfig = "/sbin/ldconfig";
	int st;
	pid_t pid;

	if (access(ldconfig, X_OK)) {
		printf("note: no %s, static exec not checked\n", ldconfig);
		return;
	}
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *argv[] = { (char *)ldconfig, "--version", NULL };
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execve(ldconfig, argv, environ);
		_exit(errno == EPERM ? 40 : 41);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st), "static exec");
	if (!strcmp(mode, "trap"))
		CHECK(WEXITSTATUS(st) == 40, "exec of a static program in trap "
		      "mode: status %d, expected EPERM", WEXITSTATUS(st));
	else
		CHECK(WEXITSTATUS(st) == 0, "exec of a static program (%s): "
		      "status %d", mode, WEXITSTATUS(st));
	printf("ok: exec of a static program %s\n",
	       !strcmp(mode, "trap") ? "refused (EPERM)" : "runs");
}

static int exec_child(const char *want)
{
	struct rring r;
	int ret;

	rr_asm = true;
	ret = rr_init(&r, 4);
	if (ret) {
		printf("exec child: setup: %s\n", strerror(-ret));
		return 1;
	}
	if (strcmp(rr_backend(r.fd), want)) {
		printf("exec child: served by %s, expected %s\n",
		       rr_backend(r.fd), want);
		return 1;
	}
	ret = rr_nops(&r, 4);
	close(r.fd);
	return ret ? 1 : 0;
}

static int child(void)
{
	pthread_t before;
	int ret;
	const char *e = getenv("URSA_RUN_SIGNALS");

	/* syscall instructions of our own: under ursa-run every io_uring
	 * call here is a SIGSYS trap, the path signal masks can break */
	rr_asm = true;
	mode = getenv("URSA_RUN_FILTER") ? (e ? e : "trap") : "none";
	printf("mode: %s\n", mode);
	pthread_barrier_init(&start_barrier, NULL, 2);
	if (pthread_create(&before, NULL, thread_main, (void *)1))
		return 1;

	step_own_handler();
	if (!step_failed)
		step_own_seccomp();
	if (step_failed)
		return 1;
	ret = rr_init(&ring_a, 16);
	if (ret) {
		printf("io_uring_setup: %s\n", strerror(-ret));
		return ret == -EPERM ? CHILD_EPERM : 1;
	}
	printf("ring A: fd %d backend=%s\n", ring_a.fd, rr_backend(ring_a.fd));
	if (rr_nops(&ring_a, 4))
		return 1;
	if (strcmp(mode, "wrap"))
		step_raw_sigaction();
	if (!step_failed)
		step_block_all(false);
	if (!step_failed && strcmp(mode, "wrap"))
		step_block_all(true);
	if (!step_failed)
		step_altstack();
	if (!step_failed)
		step_threads(before);
	if (!step_failed)
		step_fork();
	if (!step_failed)
		step_exec();
	if (!step_failed)
		step_static_exec();
	if (step_failed)
		return 1;
	{
		int before_count = sys_count;

		kill(getpid(), SIGSYS);
		if (sys_count + sys2_count == before_count) {
			printf("FAIL: kill(SIGSYS) reached no handler\n");
			return 1;
		}
	}
	rr_unmap(&ring_a);
	if (close(ring_a.fd) || rr_enter(ring_a.fd, 0, 0, 0) != -EBADF) {
		printf("FAIL: close(ring A)\n");
		return 1;
	}
	printf("child ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct drv_result res;
	const char *deny, *urun;

	if (argc > 2 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argv[2]);
	drv_init();
	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
	deny = drv_tool("deny-io_uring");
	urun = drv_tool("ursa-run");
	drv_need_seccomp();

	{
		const char *a[] = { deny, urun, "--backend=ursa", drv_self,
				    "--child", NULL };
		const char *want[] = { "mode: trap", "backend=ursa",
				       "refused (EPERM)", "child ok", NULL };

		drv_run_prog(&res, 30, NULL, a);
		if (!drv_expect("item 3 under deny + ursa-run (signals=trap)",
				&res, 0, want) || getenv("V"))
			drv_show("trap", &res);
	}
	{
		const char *a[] = { deny, urun, "--backend=ursa",
				    "--signals=wrap", drv_self, "--child", NULL };
		const char *want[] = { "mode: wrap", "backend=ursa",
				       "static program runs", "child ok", NULL };

		drv_run_prog(&res, 30, NULL, a);
		drv_expect("item 3 under deny + ursa-run (signals=wrap)", &res,
			   0, want);
	}
	{
		const char *a[] = { deny, drv_self, "--child", NULL };

		drv_run_prog(&res, 30, NULL, a);
		drv_expect("deny-io_uring alone: EPERM", &res, CHILD_EPERM, NULL);
	}
	if (drv_kernel_io_uring()) {
		const char *a[] = { drv_self, "--child", NULL };
		const char *want[] = { "mode: none", "backend=kernel",
				       "child ok", NULL };

		drv_run_prog(&res, 30, NULL, a);
		drv_expect("reference: the same program on the kernel", &res,
			   0, want);
	}
	return drv_failed;
}
