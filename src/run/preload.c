/* SPDX-License-Identifier: MIT */
/*
 * libursa-preload.so: ursa-run's interposer (docs/URSA-RUN.md).
 *
 * Loaded with LD_PRELOAD next to the drop-in liburing.so.2 (which holds the
 * engine), it installs a seccomp filter that makes the kernel answer
 * io_uring_setup/enter/register, and close()/dup2()/dup3()/close_range() of
 * fds in the reserved ring range, with SIGSYS (SECCOMP_RET_TRAP), plus, in
 * the default "trap" signal mode, execve/execveat and the rt_sigprocmask/
 * rt_sigaction calls that could block SIGSYS or replace its handler.  The
 * SIGSYS handler decodes the syscall from the ucontext, serves it from the
 * engine and writes the result into RAX.  libc's syscall() and signal
 * functions are interposed too: io_uring through syscall() then needs no
 * trap, and libc callers keep SIGSYS deliverable without one.
 *
 * The interposer's own syscalls pass the filter by their instruction
 * pointer: they are made by one syscall instruction in a trampoline page
 * mapped at an address fixed for the whole process tree.  The filter
 * outlives exec, so that address and the ring fd base travel to exec'd
 * images through the environment, and each image maps its trampoline there
 * before anything can trap.  (An argument-register cookie is not enough: a
 * register keeps the value after our call, and the next syscall made by
 * other code may carry it unknowingly.)
 */
#include <dlfcn.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>

#include <ursa/ursa.h>
#include "run/run.h"

#if !defined(__x86_64__)
/* The SIGSYS decoding below is x86-64 only; elsewhere, say so and stop. */
__attribute__((constructor)) static void ursa_run_unsupported(void)
{
	static const char msg[] =
		"ursa-run: syscall interposition is implemented for x86-64 only\n";

	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to say */
	}
	_exit(URSA_RUN_EXIT_SETUP);
}
#else

#ifndef SA_RESTORER
#define SA_RESTORER	0x04000000	/* x86-64 <asm/signal.h> */
#endif
#define SIGSYS_BIT	(1ULL << (SIGSYS - 1))
#define URSA_STR_(x)	#x
#define URSA_STR(x)	URSA_STR_(x)
/* glibc keeps these two usable in every thread; so do its wrappers. */
#define GLIBC_INTERNAL_SIGS	((1ULL << (32 - 1)) | (1ULL << (33 - 1)))

/* The kernel's struct sigaction for rt_sigaction on x86-64. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/*
 * x86-64 signal handlers must return through rt_sigreturn via SA_RESTORER.
 * glibc's restorer is private, and the interposer installs its handler
 * with a raw rt_sigaction (a libc sigaction would itself be trapped in an
 * exec'd image before the handler exists), so it brings its own.
 */
__asm__(".text\n"
	".align 16\n"
	".globl ursa_run_restorer\n"
	".hidden ursa_run_restorer\n"
	".type ursa_run_restorer,@function\n"
	"ursa_run_restorer:\n"
	"\tmovq $15, %rax\n"		/* __NR_rt_sigreturn */
	"\tsyscall\n"
	"\thlt\n"
	".size ursa_run_restorer, .-ursa_run_restorer\n");
extern void ursa_run_restorer(void) __attribute__((visibility("hidden")));

/* ------------------------------------------------------------------ state */

static uintptr_t tramp_page;		/* the trampoline's fixed address */
static int fd_base;			/* ring fds are >= fd_base */
static int nslots;			/* ring fds tracked: [fd_base, fd_base + nslots) */
static bool trap_signals = true;	/* "trap" mode: rt_sig* are trapped too */
static bool log_on;
static _Atomic pid_t my_pid;		/* the process whose memory this is */
static volatile int *fork_marker;	/* MADV_WIPEONFORK: 0 in a forked child */
static char reason[256] = "preloaded";
static char libs[2 * PATH_MAX + 2];	/* "preload:dropin", kept in LD_PRELOAD */

/*
 * Per ring fd: the pid that created the ring.  A fork child sees its
 * parent's pid there, which is how it knows the ring is not its own.
 */
#define SLOT_FREE		0
#define SLOT_PLACEHOLDER	(-1)	/* fork child closed an inherited ring: fd kept */
#define SLOT_REUSED		(-2)	/* number now names something else */
static _Atomic int *slots;

/* The program's SIGSYS disposition, which it sees but the kernel does not. */
#define NACT 8
static struct ksigaction prog_sys_v[NACT];
static _Atomic unsigned prog_sys_i;

/* The engine's entry points, behind our own (interposing) definitions. */
static int (*real_setup)(unsigned, struct io_uring_params *);
static int (*real_enter)(unsigned, unsigned, unsigned, unsigned, const void *,
			 size_t);
static int (*real_register)(unsigned, unsigned, const void *, unsigned);
static int (*real_close)(int);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*real_signal)(int, sighandler_t);
static sighandler_t (*real_bsd_signal)(int, sighandler_t);
static sighandler_t (*real_sysv_signal)(int, sighandler_t);
static sighandler_t (*real_sigset)(int, sighandler_t);
static int (*real_sighold)(int);
static int (*real_sigignore)(int);
static int (*real_attr_setsigmask)(pthread_attr_t *, const sigset_t *);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *,
			 const sigset_t *);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int,
			       const sigset_t *);
static int (*real_epoll_pwait2)(int, struct epoll_event *, int,
				const struct timespec *, const sigset_t *);

/* libc's syscall(), where ours sends what is not io_uring (see below) */
extern void *ursa_run_next_syscall __attribute__((visibility("hidden")));

static __thread int depth __attribute__((tls_model("initial-exec")));
/* our traps handled by this thread (for the inheritance probe) */
static __thread unsigned long traps __attribute__((tls_model("initial-exec")));

/* ---------------------------------------------------------------- helpers */

/*
 * The trampoline: a function taking (nr, a0..a5) that makes the syscall.
 * Its bytes are copied to the fixed page; the filter allows syscalls whose
 * return address is that copy's ursa_run_tramp_ret.
 */
__asm__(".text\n"
	".align 16\n"
	".globl ursa_run_tramp_start\n"
	".hidden ursa_run_tramp_start\n"
	"ursa_run_tramp_start:\n"
	"\tmovq %rdi, %rax\n"
	"\tmovq %rsi, %rdi\n"
	"\tmovq %rdx, %rsi\n"
	"\tmovq %rcx, %rdx\n"
	"\tmovq %r8, %r10\n"
	"\tmovq %r9, %r8\n"
	"\tmovq 8(%rsp), %r9\n"
	"\tsyscall\n"
	".globl ursa_run_tramp_ret\n"
	".hidden ursa_run_tramp_ret\n"
	"ursa_run_tramp_ret:\n"
	"\tret\n"
	".globl ursa_run_tramp_end\n"
	".hidden ursa_run_tramp_end\n"
	"ursa_run_tramp_end:\n");
extern const char ursa_run_tramp_start[], ursa_run_tramp_ret[],
	ursa_run_tramp_end[] __attribute__((visibility("hidden")));
typedef long (*tramp_fn)(long, long, long, long, long, long, long);

static uintptr_t tramp_ip(void)
{
	return tramp_page + (uintptr_t)(ursa_run_tramp_ret - ursa_run_tramp_start);
}

static inline long sys5(long nr, long a0, long a1, long a2, long a3, long a4)
{
	if (__builtin_expect(!tramp_page, 0))	/* before init: no filter yet */
		return run_raw_syscall(nr, a0, a1, a2, a3, a4, 0);
	return ((tramp_fn)tramp_page)(nr, a0, a1, a2, a3, a4, 0);
}

static void vlog_raw(const char *fmt, va_list ap)
{
	char buf[768];
	int n = snprintf(buf, sizeof(buf), "ursa-run[%ld]: ",
			 run_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0));
	int m;

	if (n < 0)
		return;
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	run_raw_syscall(SYS_write, 2, (long)buf, n, 0, 0, 0);
}

/* Always printed: errors and refusals. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_raw(fmt, ap);
	va_end(ap);
}

/* Printed with URSA_LOG=1. */
#define logv(...)	do { if (log_on) say(__VA_ARGS__); } while (0)

__attribute__((noreturn, format(printf, 2, 3)))
static void fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_raw(fmt, ap);
	va_end(ap);
	run_raw_syscall(SYS_exit_group, code, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static pid_t raw_getpid(void)
{
	return (pid_t)run_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

/*
 * The pid of the process whose memory this is, without a syscall: a fork
 * child (through glibc or not) finds the wipe-on-fork marker zeroed.  A
 * vfork child shares our memory and is seen as its parent here; the paths
 * where that matters (close, dup, close_range, sigaction) ask the kernel.
 */
static pid_t cur_pid(void)
{
	if (!fork_marker)	/* kernel without MADV_WIPEONFORK (< 4.14) */
		return raw_getpid();
	if (__builtin_expect(!*fork_marker, 0)) {
		atomic_store(&my_pid, raw_getpid());
		*fork_marker = 1;
	}
	return atomic_load_explicit(&my_pid, memory_order_relaxed);
}

static _Atomic int *slot_of(int fd)
{
	if (!slots || fd < fd_base || fd - fd_base >= nslots)
		return NULL;
	return &slots[fd - fd_base];
}

static int slot_get(int fd)
{
	_Atomic int *s = slot_of(fd);

	return s ? atomic_load(s) : SLOT_FREE;
}

static void slot_set(int fd, int v)
{
	_Atomic int *s = slot_of(fd);

	if (s)
		atomic_store(s, v);
}

static struct ksigaction prog_sys_get(void)
{
	return prog_sys_v[atomic_load(&prog_sys_i) % NACT];
}

/* Writers are rare (a SIGSYS sigaction); a reader copies one whole slot. */
static void prog_sys_set(const struct ksigaction *a)
{
	unsigned i = atomic_load(&prog_sys_i) + 1;

	prog_sys_v[i % NACT] = *a;
	atomic_store(&prog_sys_i, i);
}

/* What the kernel says for io_uring calls on an fd that is no ring of ours. */
static long not_a_ring(int fd)
{
	char path[64], link[64];
	long n;

	if (sys5(SYS_fcntl, fd, F_GETFD, 0, 0, 0) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = sys5(SYS_readlink, (long)path, (long)link, sizeof(link) - 1, 0, 0);
	if (n > 0) {
		link[n] = 0;
		if (!strcmp(link, "anon_inode:[io_uring]"))
			say("fd %d is a kernel io_uring ring; ursa-run serves "
			    "only its own rings and does not forward it", fd);
	}
	return -EOPNOTSUPP;
}

/* ---------------------------------------------- the io_uring entry points */

static long do_setup(unsigned entries, struct io_uring_params *p, pid_t pid,
		     const char *how)
{
	int fd = real_setup(entries, p);

	if (fd < 0) {
		int e = errno;

		logv("io_uring_setup(%u) %s failed on ursa: %s", entries, how,
		     strerror(e));
		if (e == EINVAL && fd_base > 0) {
			struct rlimit rl;

			if (!getrlimit(RLIMIT_NOFILE, &rl) &&
			    rl.rlim_cur <= (rlim_t)fd_base) {
				/* no fd can be placed in the ring range: the
				 * kernel's answer for "no fd left" */
				say("io_uring_setup: RLIMIT_NOFILE (%llu) is now "
				    "at or below the ring fd base %d: EMFILE",
				    (unsigned long long)rl.rlim_cur, fd_base);
				e = EMFILE;
			}
		}
		return -e;
	}
	slot_set(fd, pid);
	logv("ring fd %d served by ursa (%s; %s)", fd, reason, how);
	return fd;
}

/* 0 if fd is a ring this process may use, else the -errno to answer. */
static long ring_usable(int fd, pid_t pid)
{
	int v = slot_get(fd);

	if (v == SLOT_PLACEHOLDER)
		return -EBADF;
	if (v == SLOT_REUSED || !ursa_is_ring_fd(fd))
		return not_a_ring(fd);
	if (v > 0 && v != pid) {
		say("ring fd %d belongs to process %d: ursa rings are not shared "
		    "across fork (answering -EBADFD)", fd, v);
		return -EBADFD;
	}
	return 0;
}

static long do_enter(unsigned fd, unsigned to_submit, unsigned min_complete,
		     unsigned flags, const void *arg, size_t argsz, pid_t pid)
{
	int ret;

	if (!(flags & IORING_ENTER_REGISTERED_RING)) {
		long err = ring_usable((int)fd, pid);

		if (err)
			return err;
	}
	ret = real_enter(fd, to_submit, min_complete, flags, arg, argsz);
	return ret < 0 ? -errno : ret;
}

static long do_register(unsigned fd, unsigned opcode, const void *arg,
			unsigned nr_args, pid_t pid)
{
	int ret;

	if (!(opcode & IORING_REGISTER_USE_REGISTERED_RING) && (int)fd != -1) {
		long err = ring_usable((int)fd, pid);

		if (err)
			return err;
	}
	ret = real_register(fd, opcode, arg, nr_args);
	return ret < 0 ? -errno : ret;
}

/* Is fd a ring (or a name of one) that this process created? */
static bool own_ring(int fd, pid_t pid)
{
	int v = slot_get(fd);

	return v > 0 && v == pid && ursa_is_ring_fd(fd);
}

/*
 * Ring fds being polled (epoll_ctl on them, or poll/ppoll): the engine
 * signals an eventfd on each CQE post for them, and each epoll_wait resets
 * that eventfd while the ring has nothing to reap (see ring_poll_prepare).
 */
#define NMIRROR 64
static _Atomic int mirrors[NMIRROR];		/* ring fd + 1; 0 = free */
static _Atomic int nr_mirrors;

static int mirror_add(int fd)
{
	int efd = ursa_ring_poll_fd(fd);

	if (efd < 0)
		return -1;
	for (int i = 0; i < NMIRROR; i++)
		if (atomic_load(&mirrors[i]) == fd + 1)
			return efd;
	for (int i = 0; i < NMIRROR; i++) {
		int z = 0;

		if (atomic_compare_exchange_strong(&mirrors[i], &z, fd + 1)) {
			atomic_fetch_add(&nr_mirrors, 1);
			return efd;
		}
	}
	return efd;	/* (table full: that ring's readiness may repeat) */
}

static void mirror_del(int fd)
{
	for (int i = 0; i < NMIRROR; i++) {
		int v = fd + 1;

		if (atomic_compare_exchange_strong(&mirrors[i], &v, 0)) {
			atomic_fetch_sub(&nr_mirrors, 1);
			return;
		}
	}
}

/* Before sleeping in epoll_wait: rings with nothing to reap get their
 * eventfd reset, so a level-triggered set does not report them again. */
static void ring_poll_prepare(void)
{
	if (!atomic_load_explicit(&nr_mirrors, memory_order_relaxed))
		return;
	for (int i = 0; i < NMIRROR; i++) {
		int v = atomic_load_explicit(&mirrors[i], memory_order_relaxed);

		if (v)
			ursa_ring_poll(v - 1, 1);
	}
}

/*
 * close() of an fd in the ring range.  private_mem: this process owns its
 * memory (not a vfork child sharing its parent's), so state may change.
 */
static long do_close(int fd, pid_t pid, bool private_mem)
{
	int v = slot_get(fd);

	if (v == SLOT_PLACEHOLDER)
		return -EBADF;
	if (v != SLOT_REUSED && ursa_is_ring_fd(fd)) {
		if (v > 0 && v != pid) {
			/*
			 * A ring inherited across fork.  Tearing it down here
			 * would wait for the parent's requests and threads;
			 * closing the fd would let a new ring reuse the number
			 * and make the engine destroy the stale one.  Keep the
			 * fd as a placeholder instead; it goes away at exit or
			 * exec (it is close-on-exec).
			 */
			if (!private_mem)
				return sys5(SYS_close, fd, 0, 0, 0, 0);
			slot_set(fd, SLOT_PLACEHOLDER);
			logv("close(%d): ring inherited from process %d; fd kept "
			     "as a placeholder", fd, v);
			return 0;
		}
		slot_set(fd, SLOT_FREE);
		mirror_del(fd);
		logv("ring fd %d closed: ursa tears the ring down (unless "
		     "another name of it stays open)", fd);
		return real_close(fd) < 0 ? -errno : 0;
	}
	return sys5(SYS_close, fd, 0, 0, 0, 0);
}

/* dup2/dup3 onto a ring fd close the ring first, as the kernel would. */
static long do_dup(long nr, int oldfd, int newfd, long flags, pid_t pid,
		   bool private_mem)
{
	long ret;

	if (oldfd != newfd && slot_get(newfd) != SLOT_PLACEHOLDER &&
	    ursa_is_ring_fd(newfd)) {
		if (sys5(SYS_fcntl, oldfd, F_GETFD, 0, 0, 0) < 0)
			return -EBADF;
		do_close(newfd, pid, private_mem);
	}
	ret = sys5(nr, oldfd, newfd, flags, 0, 0);
	if (ret >= 0 && private_mem && oldfd != newfd && own_ring(oldfd, pid)) {
		/* newfd names the same ring, as with the kernel's */
		if (ursa_ring_dup(oldfd, newfd))
			say("dup of ring fd %d to %d: %s", oldfd, newfd,
			    strerror(errno));
		slot_set(newfd, pid);
		logv("ring fd %d duplicated to %d", oldfd, newfd);
	} else if (ret >= 0 && private_mem && slot_get(newfd) != SLOT_FREE) {
		slot_set(newfd, SLOT_REUSED);
	}
	return ret;
}

/*
 * dup(fd) and fcntl(fd, F_DUPFD[_CLOEXEC], min) of an fd in the range.  A
 * ring's new name is placed in the range too (the lowest free number at or
 * above both min and the base), so its close() traps like the ring's own.
 */
static long do_dupfd(long nr, int oldfd, long cmd, long min, pid_t pid,
		     bool private_mem)
{
	long newfd;

	if (!private_mem || !own_ring(oldfd, pid)) {
		if (nr == SYS_dup)
			return sys5(SYS_dup, oldfd, 0, 0, 0, 0);
		return sys5(SYS_fcntl, oldfd, cmd, min, 0, 0);
	}
	if (nr == SYS_dup)
		cmd = F_DUPFD;
	if (min < 0 || min >= INT_MAX)
		return -EINVAL;
	newfd = sys5(SYS_fcntl, oldfd, cmd, min < fd_base ? fd_base : min, 0, 0);
	if (newfd < 0)
		return newfd;
	if (ursa_ring_dup(oldfd, (int)newfd))
		say("dup of ring fd %d to %ld: %s", oldfd, newfd, strerror(errno));
	slot_set((int)newfd, pid);
	logv("ring fd %d duplicated to %ld", oldfd, newfd);
	return newfd;
}

/*
 * epoll_ctl on an fd in the range.  A ring fd is a memfd, which epoll
 * refuses (EPERM); the set gets the ring's eventfd instead, which the
 * engine signals on every CQE post.  The program's epoll_data comes back
 * unchanged, so it cannot tell.
 */
static long do_epoll_ctl(int epfd, int op, int fd, long ev, pid_t pid,
			 bool private_mem)
{
	if (private_mem && own_ring(fd, pid)) {
		int efd = mirror_add(fd);

		if (efd >= 0) {
			ursa_ring_poll(fd, 1);
			logv("epoll_ctl(%d, %d, ring fd %d): polling its "
			     "eventfd %d", epfd, op, fd, efd);
			return sys5(SYS_epoll_ctl, epfd, op, efd, ev, 0);
		}
	}
	return sys5(SYS_epoll_ctl, epfd, op, fd, ev, 0);
}

static long do_close_range(unsigned first, unsigned last, unsigned flags,
			   pid_t pid, bool private_mem)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC) && first <= last) {
		long lo = first > (unsigned)fd_base ? (long)first : fd_base;
		long hi = (long)last < (long)fd_base + nslots - 1 ?
			  (long)last : (long)fd_base + nslots - 1;

		for (long fd = lo; fd <= hi; fd++) {
			if (!ursa_is_ring_fd((int)fd))
				continue;
			if (do_close((int)fd, pid, private_mem) == 0 &&
			    private_mem && slot_get((int)fd) == SLOT_PLACEHOLDER)
				slot_set((int)fd, SLOT_REUSED);
		}
	}
	return sys5(SYS_close_range, first, last, flags, 0, 0);
}

/* ------------------------------------------------------------ signal calls */

/*
 * A trapped rt_sigprocmask: do it for real (the kernel validates and writes
 * oldset), then make the mask that rt_sigreturn will install the new one,
 * minus SIGSYS: a trap while SIGSYS is blocked kills the process.
 */
static long emu_sigprocmask(ucontext_t *uc, long how, long set, long oset,
			    long size)
{
	long ret = sys5(SYS_rt_sigprocmask, how, set, oset, size, 0);
	uint64_t cur;

	if (ret == 0 && set &&
	    sys5(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&cur, 8, 0) == 0) {
		cur &= ~SIGSYS_BIT;
		memcpy(&uc->uc_sigmask, &cur, sizeof(cur));
	}
	return ret;
}

static long emu_sigaction(long sig, long act, long oact, long size, pid_t pid)
{
	struct ksigaction k;
	long ret;

	if (sig == SIGSYS) {
		struct ksigaction old = prog_sys_get();

		if (size != 8)
			return -EINVAL;
		if (act) {
			memcpy(&k, (const void *)act, sizeof(k));
			/* a vfork child (sharing our memory) must not change
			 * what its parent sees */
			if (pid == cur_pid())
				prog_sys_set(&k);
		}
		if (oact)
			memcpy((void *)oact, &old, sizeof(old));
		return 0;
	}
	ret = sys5(SYS_rt_sigaction, sig, act, oact, size, 0);
	if (ret == 0 && act &&
	    sys5(SYS_rt_sigaction, sig, 0, (long)&k, 8, 0) == 0 &&
	    (k.mask & SIGSYS_BIT)) {
		/* a handler running with SIGSYS blocked could not be served */
		k.mask &= ~SIGSYS_BIT;
		sys5(SYS_rt_sigaction, sig, (long)&k, 0, 8, 0);
	}
	return ret;
}

/* ------------------------------------------------------------------ exec */

static const char *const own_keys[] = {
	ENV_RUN_BACKEND, ENV_RUN_REASON, ENV_RUN_MODE, ENV_RUN_LIBS,
	ENV_RUN_TRAMP, ENV_RUN_FD_BASE, ENV_RUN_FILTER,
};
#define NR_OWN	(sizeof(own_keys) / sizeof(own_keys[0]))
static char own_env[NR_OWN][sizeof(libs) + 32];
static char preload_env[sizeof(libs) + 16];

static bool key_is(const char *entry, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(entry, key, n) && entry[n] == '=';
}

/* Does LD_PRELOAD's value name both of our libraries? */
static bool preload_ok(const char *val)
{
	char want[sizeof(libs)];
	char *save = NULL;

	memcpy(want, libs, sizeof(want));
	for (char *p = strtok_r(want, ":", &save); p;
	     p = strtok_r(NULL, ":", &save))
		if (!strstr(val, p))
			return false;
	return true;
}

/* own_keys[1], the reason, is only restored when missing: a nested
 * ursa-run states its own; the others describe the filter and must match. */
#define SOFT_KEY	1u

static bool env_complete(char *const *envp)
{
	unsigned found = 0;
	bool pre = false;

	for (size_t i = 0; envp && envp[i]; i++) {
		for (unsigned k = 0; k < NR_OWN; k++)
			if (!strcmp(envp[i], own_env[k]) ||
			    (k == SOFT_KEY && key_is(envp[i], own_keys[k])))
				found |= 1u << k;
		if (key_is(envp[i], "LD_PRELOAD") && preload_ok(envp[i] + 11))
			pre = true;
	}
	return pre && found == (1u << NR_OWN) - 1;
}

/*
 * The environment for the next image: the program's, with our variables
 * restored and our libraries in LD_PRELOAD.  Built in fresh mmap'd memory
 * (a vfork child shares its parent's heap), unmapped if exec fails.
 */
static char **env_rebuild(char *const *envp, size_t *mapped)
{
	size_t n = 0, bytes = 0, sz;
	char **out, *str;
	const char *their_pre = NULL;
	size_t j = 0;

	bool their_reason = false;

	for (; envp && envp[n]; n++) {
		bytes += strlen(envp[n]) + 1;
		if (key_is(envp[n], "LD_PRELOAD"))
			their_pre = envp[n] + 11;
		if (key_is(envp[n], own_keys[SOFT_KEY]))
			their_reason = true;
	}
	bytes += sizeof(preload_env) + (their_pre ? strlen(their_pre) : 0) + 2;
	for (unsigned k = 0; k < NR_OWN; k++)
		bytes += strlen(own_env[k]) + 1;
	sz = (n + NR_OWN + 2) * sizeof(char *) + bytes;
	sz = (sz + 4095) & ~(size_t)4095;
	/* (mmap is not trapped) */
	out = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (out == MAP_FAILED)
		return NULL;
	str = (char *)(out + n + NR_OWN + 2);
	for (size_t i = 0; i < n; i++) {
		bool ours = key_is(envp[i], "LD_PRELOAD");

		for (unsigned k = 0; k < NR_OWN && !ours; k++)
			ours = k != SOFT_KEY && key_is(envp[i], own_keys[k]);
		if (ours)
			continue;
		out[j++] = strcpy(str, envp[i]);
		str += strlen(str) + 1;
	}
	for (unsigned k = 0; k < NR_OWN; k++) {
		if (k == SOFT_KEY && their_reason)
			continue;
		out[j++] = strcpy(str, own_env[k]);
		str += strlen(str) + 1;
	}
	if (their_pre && preload_ok(their_pre))
		str += sprintf(out[j++] = str, "LD_PRELOAD=%s", their_pre) + 1;
	else if (their_pre && *their_pre)
		str += sprintf(out[j++] = str, "LD_PRELOAD=%s:%s", libs,
			       their_pre) + 1;
	else
		str += sprintf(out[j++] = str, "LD_PRELOAD=%s", libs) + 1;
	out[j] = NULL;
	*mapped = sz;
	return out;
}

static enum run_elf_kind classify_at(int dfd, const char *path, int flags,
				     char *interp, size_t isz)
{
	enum run_elf_kind k;
	long fd;

	if (!path)
		return RUN_ELF_UNKNOWN;
	if (!*path && (flags & AT_EMPTY_PATH))
		return run_elf_kind_fd(dfd, interp, isz);
	fd = sys5(SYS_openat, dfd, (long)path, O_RDONLY | O_CLOEXEC, 0, 0);
	if (fd < 0)
		return RUN_ELF_UNKNOWN;
	k = run_elf_kind_fd((int)fd, interp, isz);
	sys5(SYS_close, fd, 0, 0, 0, 0);
	return k;
}

static long emu_exec(bool at, long dfd, const char *path, char *const *argv,
		     char *const *envp, long flags)
{
	char interp[PATH_MAX];
	enum run_elf_kind k = classify_at(at ? (int)dfd : AT_FDCWD, path,
					  at ? (int)flags : 0, interp,
					  sizeof(interp));
	char *const *env = envp;
	char **built = NULL;
	size_t mapped = 0;
	long ret;

	if (k == RUN_ELF_SCRIPT)
		k = classify_at(AT_FDCWD, interp, 0, interp, sizeof(interp));
	if (k == RUN_ELF_STATIC) {
		if (trap_signals) {
			say("refusing to exec %s: it is statically linked, so the "
			    "interposer cannot follow it, and the inherited "
			    "seccomp filter would kill it at its first signal-mask "
			    "call (run with --signals=wrap to allow static "
			    "programs that do not use io_uring)", path);
			return -EPERM;
		}
		logv("exec %s: statically linked; it runs without the "
		     "interposer and dies (SIGSYS) if it uses io_uring", path);
	}
	if (!env_complete(envp)) {
		built = env_rebuild(envp, &mapped);
		if (!built)
			return -ENOMEM;
		env = built;
		logv("exec %s: environment restored (LD_PRELOAD and %s...)",
		     path, ENV_RUN_TRAMP);
	}
	if (at)
		ret = sys5(SYS_execveat, dfd, (long)path, (long)argv, (long)env,
			   flags);
	else
		ret = sys5(SYS_execve, (long)path, (long)argv, (long)env, 0, 0);
	if (built)
		sys5(SYS_munmap, (long)built, (long)mapped, 0, 0, 0);
	return ret;
}

/* ------------------------------------------------------------ the handler */

static void forward_sigsys(int sig, siginfo_t *si, void *uc)
{
	struct ksigaction a = prog_sys_get();
	uint64_t m, old;

	if (a.handler == SIG_IGN && si->si_code != SYS_SECCOMP)
		return;
	if (a.handler == SIG_DFL || a.handler == SIG_IGN) {
		/* the default action (the kernel makes it so for a forced
		 * SIGSYS even when ignored): terminate with a core */
		struct ksigaction d = {
			.handler = SIG_DFL, .flags = SA_RESTORER,
			.restorer = ursa_run_restorer,
		};

		sys5(SYS_rt_sigaction, SIGSYS, (long)&d, 0, 8, 0);
		sys5(SYS_tgkill, raw_getpid(), run_raw_syscall(SYS_gettid, 0, 0,
			0, 0, 0, 0), SIGSYS, 0, 0);
		return;
	}
	m = a.mask & ~SIGSYS_BIT;
	sys5(SYS_rt_sigprocmask, SIG_BLOCK, (long)&m, (long)&old, 8, 0);
	if (a.flags & SA_RESETHAND) {
		struct ksigaction d = { .handler = SIG_DFL };

		prog_sys_set(&d);
	}
	if (a.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))(void (*)(void))a.handler)(
			sig, si, uc);
	else
		a.handler(sig);
	sys5(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0);
}

/* An io_uring syscall, trapped or from a patched site: result or -errno. */
static long serve_uring(long nr, long a0, long a1, long a2, long a3, long a4,
			long a5, pid_t pid, const char *how)
{
	if (nr == SYS_io_uring_enter)
		return do_enter((unsigned)a0, (unsigned)a1, (unsigned)a2,
				(unsigned)a3, (const void *)a4, (size_t)a5, pid);
	if (nr == SYS_io_uring_register)
		return do_register((unsigned)a0, (unsigned)a1, (const void *)a2,
				   (unsigned)a3, pid);
	return do_setup((unsigned)a0, (struct io_uring_params *)a1, pid, how);
}

#include "run/patch.h"

/*
 * A patched site's call (ursa_run_patch_entry, src/run/patch.h): what the
 * SIGSYS handler would do, minus the signal.  Signals are handled as on
 * the trap path: the handler runs with the trapping thread's mask (SIGSYS
 * has an empty sa_mask and SA_NODEFER), so the same signals interrupt a
 * blocking enter, which answers -EINTR either way.  errno is preserved, as
 * a syscall instruction does.
 */
long ursa_run_patched(struct patch_regs *r)
{
	int saved_errno = errno;
	long ret = serve_uring(r->rax, r->rdi, r->rsi, r->rdx, r->r10, r->r8,
			       r->r9, cur_pid(), "patched io_uring_setup");

	errno = saved_errno;
	return ret;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	int saved_errno = errno;
	long a0, a1, a2, a3, a4, a5, ret;
	pid_t pid;
	bool priv;

	if (si->si_code != SYS_SECCOMP || si->si_errno != (int)URSA_RUN_TRAP_DATA ||
	    si->si_arch != AUDIT_ARCH_X86_64) {
		forward_sigsys(sig, si, ucv);
		errno = saved_errno;
		return;
	}
	if (++depth > 32)
		fatal(URSA_RUN_EXIT_INTERNAL, "SIGSYS handler nested %d deep "
		      "(syscall %d): the interposer's own calls are being "
		      "trapped; is %s consistent with the installed filter?",
		      depth, si->si_syscall, ENV_RUN_TRAMP);
	traps++;
	a0 = g[REG_RDI];
	a1 = g[REG_RSI];
	a2 = g[REG_RDX];
	a3 = g[REG_R10];
	a4 = g[REG_R8];
	a5 = g[REG_R9];
	pid = cur_pid();
	priv = true;
	switch (si->si_syscall) {
	case SYS_close:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_close_range:
	case SYS_rt_sigaction:
	case SYS_dup:
	case SYS_fcntl:
	case SYS_epoll_ctl:
		/* a vfork child must not change its parent's state */
		pid = raw_getpid();
		priv = pid == cur_pid();
	}

	switch (si->si_syscall) {
	case SYS_io_uring_setup:
	case SYS_io_uring_enter:
	case SYS_io_uring_register:
		ret = serve_uring(si->si_syscall, a0, a1, a2, a3, a4, a5, pid,
				  "trapped io_uring_setup");
		/* later calls from this instruction need no trap */
		patch_site((uintptr_t)g[REG_RIP], (unsigned)si->si_syscall);
		break;
	case SYS_close:
		ret = do_close((int)a0, pid, priv);
		break;
	case SYS_dup2:
		ret = do_dup(SYS_dup2, (int)a0, (int)a1, 0, pid, priv);
		break;
	case SYS_dup3:
		ret = do_dup(SYS_dup3, (int)a0, (int)a1, a2, pid, priv);
		break;
	case SYS_close_range:
		ret = do_close_range((unsigned)a0, (unsigned)a1, (unsigned)a2,
				     pid, priv);
		break;
	case SYS_dup:
		ret = do_dupfd(SYS_dup, (int)a0, 0, 0, pid, priv);
		break;
	case SYS_fcntl:
		ret = do_dupfd(SYS_fcntl, (int)a0, a1, a2, pid, priv);
		break;
	case SYS_epoll_ctl:
		ret = do_epoll_ctl((int)a0, (int)a1, (int)a2, a3, pid, priv);
		break;
	case SYS_rt_sigprocmask:
		ret = emu_sigprocmask(uc, a0, a1, a2, a3);
		break;
	case SYS_rt_sigaction:
		ret = emu_sigaction(a0, a1, a2, a3, pid);
		break;
	case SYS_execve:
		ret = emu_exec(false, AT_FDCWD, (const char *)a0,
			       (char *const *)a1, (char *const *)a2, 0);
		break;
	case SYS_execveat:
		ret = emu_exec(true, a0, (const char *)a1, (char *const *)a2,
			       (char *const *)a3, a4);
		break;
	default:
		/* the filter and this switch disagree: a bug, not a program
		 * error; say so rather than guess */
		fatal(URSA_RUN_EXIT_INTERNAL, "unexpected trapped syscall %d",
		      si->si_syscall);
	}
	g[REG_RAX] = ret;
	depth--;
	errno = saved_errno;
}

/* ------------------------------------------------------------- the filter */

/*
 * A tiny assembler for classic BPF with forward labels, so the program
 * below reads top to bottom.
 */
enum { L_NONE, L_FD0, L_FD1, L_FD1B, L_FD2, L_FCNTL, L_CRANGE, L_MASK,
       L_ACT, L_OURS, L_TRAP,
       L_ALLOW, NR_LABELS };

struct bpf_asm {
	struct sock_filter ins[96];
	unsigned char jt[96], jf[96];	/* label ids; L_NONE = next insn */
	int pos[NR_LABELS];
	int n;
};

static void ins(struct bpf_asm *a, unsigned short code, unsigned k, int jt,
		int jf)
{
	if (a->n >= 96)
		fatal(URSA_RUN_EXIT_INTERNAL, "seccomp program too long");
	a->ins[a->n] = (struct sock_filter)BPF_STMT(code, k);
	a->jt[a->n] = (unsigned char)jt;
	a->jf[a->n] = (unsigned char)jf;
	a->n++;
}

#define LD(a, off)		ins(a, BPF_LD | BPF_W | BPF_ABS, off, 0, 0)
#define JEQ(a, k, t, f)		ins(a, BPF_JMP | BPF_JEQ | BPF_K, k, t, f)
#define JGE(a, k, t, f)		ins(a, BPF_JMP | BPF_JGE | BPF_K, k, t, f)
#define JMP(a, t)		ins(a, BPF_JMP | BPF_JA, 0, t, 0)
#define RET(a, k)		ins(a, BPF_RET | BPF_K, k, 0, 0)
#define LABEL(a, l)		((a)->pos[l] = (a)->n)
#define ARG_LO(i)		((unsigned)offsetof(struct seccomp_data, args) + 8u * (i))
#define ARG_HI(i)		(ARG_LO(i) + 4u)

static void resolve(struct bpf_asm *a)
{
	for (int i = 0; i < a->n; i++) {
		struct sock_filter *f = &a->ins[i];
		int t;

		if (BPF_CLASS(f->code) != BPF_JMP)
			continue;
		if (BPF_OP(f->code) == BPF_JA) {
			f->k = (unsigned)(a->pos[a->jt[i]] - i - 1);
			continue;
		}
		t = a->jt[i] ? a->pos[a->jt[i]] - i - 1 : 0;
		if (t < 0 || t > 255)
			fatal(URSA_RUN_EXIT_INTERNAL, "seccomp jump out of range");
		f->jt = (unsigned char)t;
		t = a->jf[i] ? a->pos[a->jf[i]] - i - 1 : 0;
		if (t < 0 || t > 255)
			fatal(URSA_RUN_EXIT_INTERNAL, "seccomp jump out of range");
		f->jf = (unsigned char)t;
	}
}

/*
 * Syscalls not named here are allowed after three comparisons at most, and
 * because their answer depends on nothing but the number, the kernel's
 * seccomp action cache (5.11+) skips running the filter for them at all.
 */
static void build_filter(struct bpf_asm *a)
{
	memset(a, 0, sizeof(*a));
	LD(a, offsetof(struct seccomp_data, arch));
	JEQ(a, AUDIT_ARCH_X86_64, L_NONE, L_ALLOW);
	LD(a, offsetof(struct seccomp_data, nr));
	JGE(a, 0x40000000u, L_ALLOW, L_NONE);	/* x32: not ours */
	JEQ(a, SYS_io_uring_setup, L_TRAP, L_NONE);
	JEQ(a, SYS_io_uring_enter, L_TRAP, L_NONE);
	JEQ(a, SYS_io_uring_register, L_TRAP, L_NONE);
	JEQ(a, SYS_close, L_FD0, L_NONE);
	JEQ(a, SYS_dup2, L_FD1, L_NONE);
	JEQ(a, SYS_dup3, L_FD1, L_NONE);
	JEQ(a, SYS_close_range, L_CRANGE, L_NONE);
	JEQ(a, SYS_dup, L_FD0, L_NONE);
	JEQ(a, SYS_fcntl, L_FCNTL, L_NONE);
	JEQ(a, SYS_epoll_ctl, L_FD2, L_NONE);
	/*
	 * Only in trap mode: there no signal mask can hold SIGSYS, so these
	 * traps are safe everywhere.  Without trapping rt_sigprocmask they
	 * are not: glibc's posix_spawn blocks every signal, and its child
	 * resets SIGSYS's handler and execs, which would trap into a blocked
	 * SIGSYS or a default handler.
	 */
	if (trap_signals) {
		JEQ(a, SYS_execve, L_OURS, L_NONE);
		JEQ(a, SYS_execveat, L_OURS, L_NONE);
		JEQ(a, SYS_rt_sigaction, L_ACT, L_NONE);
		JEQ(a, SYS_rt_sigprocmask, L_MASK, L_NONE);
	}
	JMP(a, L_ALLOW);

	/* close(fd): fd in [base, 2^31) (the kernel reads an unsigned int) */
	LABEL(a, L_FD0);
	LD(a, ARG_LO(0));
	JGE(a, 0x80000000u, L_ALLOW, L_NONE);
	JGE(a, (unsigned)fd_base, L_OURS, L_ALLOW);
	/* dup2/dup3(old, new): new or old in the ring range */
	LABEL(a, L_FD1);
	LD(a, ARG_LO(1));
	JGE(a, 0x80000000u, L_FD1B, L_NONE);
	JGE(a, (unsigned)fd_base, L_OURS, L_FD1B);
	LABEL(a, L_FD1B);
	LD(a, ARG_LO(0));
	JGE(a, 0x80000000u, L_ALLOW, L_NONE);
	JGE(a, (unsigned)fd_base, L_OURS, L_ALLOW);
	/* epoll_ctl(epfd, op, fd, ev): fd in the ring range */
	LABEL(a, L_FD2);
	LD(a, ARG_LO(2));
	JGE(a, 0x80000000u, L_ALLOW, L_NONE);
	JGE(a, (unsigned)fd_base, L_OURS, L_ALLOW);
	/* fcntl(fd, F_DUPFD or F_DUPFD_CLOEXEC, ...): fd in the ring range */
	LABEL(a, L_FCNTL);
	LD(a, ARG_LO(0));
	JGE(a, 0x80000000u, L_ALLOW, L_NONE);
	JGE(a, (unsigned)fd_base, L_NONE, L_ALLOW);
	LD(a, ARG_LO(1));
	JEQ(a, F_DUPFD, L_OURS, L_NONE);
	JEQ(a, F_DUPFD_CLOEXEC, L_OURS, L_ALLOW);
	/* close_range(first, last, flags): the range reaches the ring range */
	LABEL(a, L_CRANGE);
	LD(a, ARG_LO(1));
	JGE(a, (unsigned)fd_base, L_OURS, L_ALLOW);
	/* rt_sigprocmask(how, set, ...): anything but a query or an unblock */
	LABEL(a, L_MASK);
	LD(a, ARG_LO(0));
	JEQ(a, SIG_UNBLOCK, L_ALLOW, L_NONE);
	LD(a, ARG_LO(1));
	JEQ(a, 0, L_NONE, L_OURS);
	LD(a, ARG_HI(1));
	JEQ(a, 0, L_ALLOW, L_OURS);
	/* rt_sigaction(sig, act, ...): SIGSYS always, others when setting */
	LABEL(a, L_ACT);
	LD(a, ARG_LO(0));
	JEQ(a, SIGSYS, L_OURS, L_NONE);
	LD(a, ARG_LO(1));
	JEQ(a, 0, L_NONE, L_OURS);
	LD(a, ARG_HI(1));
	JEQ(a, 0, L_ALLOW, L_OURS);
	/* our own calls come from the trampoline's one syscall instruction */
	LABEL(a, L_OURS);
	LD(a, offsetof(struct seccomp_data, instruction_pointer) + 4);
	JEQ(a, (unsigned)((uint64_t)tramp_ip() >> 32), L_NONE, L_TRAP);
	LD(a, offsetof(struct seccomp_data, instruction_pointer));
	JEQ(a, (unsigned)(uint64_t)tramp_ip(), L_ALLOW, L_TRAP);
	LABEL(a, L_TRAP);
	RET(a, SECCOMP_RET_TRAP | URSA_RUN_TRAP_DATA);
	LABEL(a, L_ALLOW);
	RET(a, SECCOMP_RET_ALLOW);
	resolve(a);
}

static void install_filter(void)
{
	struct bpf_asm a;
	struct sock_fprog prog;
	long ret;

	build_filter(&a);
	prog.len = (unsigned short)a.n;
	prog.filter = a.ins;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fatal(URSA_RUN_EXIT_SECCOMP, "prctl(PR_SET_NO_NEW_PRIVS) refused "
		      "(%s): io_uring cannot be interposed here; the container "
		      "or sandbox must allow prctl and seccomp (or use "
		      "--backend=kernel where the kernel serves io_uring)",
		      strerror(errno));
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		      SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (ret < 0)
		fatal(URSA_RUN_EXIT_SECCOMP, "seccomp(SECCOMP_SET_MODE_FILTER) "
		      "refused (%s): io_uring cannot be interposed here; the "
		      "container or sandbox must allow seccomp()",
		      strerror(errno));
	if (ret > 0)
		fatal(URSA_RUN_EXIT_SECCOMP, "seccomp filter could not be "
		      "synchronised to thread %ld (it has a different filter)",
		      ret);
}

/* ---------------------------------------------------------- construction */

static void install_handler(void)
{
	struct ksigaction k = {
		.handler = (void (*)(int))(void (*)(void))on_sigsys,
		.flags = SA_SIGINFO | SA_NODEFER | SA_RESTART | SA_RESTORER,
		.restorer = ursa_run_restorer,
		.mask = 0,
	};
	struct ksigaction old;
	uint64_t sys = SIGSYS_BIT;

	if (sys5(SYS_rt_sigaction, SIGSYS, (long)&k, (long)&old, 8, 0))
		fatal(URSA_RUN_EXIT_SETUP, "cannot install the SIGSYS handler");
	/* an ignored SIGSYS inherited across exec, or a handler a library
	 * constructor installed before ours, stays the program's */
	if (old.handler != SIG_DFL)
		prog_sys_set(&old);
	/* a blocked SIGSYS (inherited mask) would make every trap fatal */
	sys5(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sys, 0, 8, 0);
}

static int choose_base(void)
{
	struct rlimit rl;
	const char *e = getenv(ENV_RUN_FD_BASE);
	rlim_t soft, span;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		fatal(URSA_RUN_EXIT_SETUP, "getrlimit(RLIMIT_NOFILE): %s",
		      strerror(errno));
	/* room for a ring range well above the fds programs usually hold */
	if (rl.rlim_cur < 4096 && rl.rlim_max > rl.rlim_cur) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		logv("RLIMIT_NOFILE soft limit raised from %llu to %llu to make "
		     "room for ring fds", (unsigned long long)was,
		     (unsigned long long)rl.rlim_cur);
	}
	soft = rl.rlim_cur > (1u << 30) ? (1u << 30) : rl.rlim_cur;
	if (e && *e) {
		long b = strtol(e, NULL, 0);

		if (b < 3 || (rlim_t)b >= soft)
			fatal(URSA_RUN_EXIT_SETUP, "%s=%s is not below "
			      "RLIMIT_NOFILE (%llu)", ENV_RUN_FD_BASE, e,
			      (unsigned long long)soft);
		return (int)b;
	}
	span = soft / 8;
	if (span < 64)
		span = 64;
	if (span > 65536)
		span = 65536;
	if (soft < 256)
		fatal(URSA_RUN_EXIT_SETUP, "RLIMIT_NOFILE is %llu: too low to "
		      "reserve a ring fd range (need 256)",
		      (unsigned long long)soft);
	return (int)(soft - span);
}

static void *need_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p)
		fatal(URSA_RUN_EXIT_SETUP, "symbol %s not found after "
		      "libursa-preload.so (is ursa's liburing.so.2 in "
		      "LD_PRELOAD?): %s", name, dlerror());
	return p;
}

static void find_libs(void)
{
	const char *e = getenv(ENV_RUN_LIBS);
	Dl_info self, eng;

	if (e && *e && strlen(e) < sizeof(libs)) {
		strcpy(libs, e);
		return;
	}
	if (!dladdr((void *)find_libs, &self) ||
	    !dladdr((void *)ursa_is_ring_fd, &eng) || !self.dli_fname ||
	    !eng.dli_fname)
		fatal(URSA_RUN_EXIT_SETUP, "cannot find my own path (dladdr)");
	if (snprintf(libs, sizeof(libs), "%s:%s", self.dli_fname,
		     eng.dli_fname) >= (int)sizeof(libs))
		fatal(URSA_RUN_EXIT_SETUP, "library paths too long");
}

/*
 * Map the trampoline at addr (an exec'd image: the address the inherited
 * filter allows), or at a random page of a range that programs, libraries,
 * sanitizer shadows and language runtimes leave alone (a new filter).
 */
static void map_tramp(uintptr_t addr)
{
	size_t len = (size_t)(ursa_run_tramp_end - ursa_run_tramp_start);
	void *p = MAP_FAILED;

	for (int tries = 0; tries < 16 && p == MAP_FAILED; tries++) {
		uintptr_t want = addr;

		if (!want) {
			uint64_t r = 0;

			if (getrandom(&r, sizeof(r), 0) != sizeof(r))
				r = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^
				    (uint64_t)getpid() ^ (uint64_t)tries << 40;
			/* [0x2000_0000_0000, 0x5000_0000_0000), page aligned */
			want = 0x200000000000ULL +
			       (r % 0x300000000000ULL & ~(uintptr_t)4095);
		}
		p = mmap((void *)want, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p != MAP_FAILED && (uintptr_t)p != want) {
			/* an old kernel took the address as a hint only */
			munmap(p, 4096);
			p = MAP_FAILED;
			errno = EEXIST;
		}
		if (addr)
			break;
	}
	if (p == MAP_FAILED)
		fatal(URSA_RUN_EXIT_SETUP, "cannot map the syscall trampoline "
		      "at %#lx: %s%s", (unsigned long)addr, strerror(errno),
		      addr ? " (the address the inherited seccomp filter "
		      "allows is taken in this image)" : "");
	memcpy(p, ursa_run_tramp_start, len);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
		fatal(URSA_RUN_EXIT_SETUP, "mprotect(PROT_EXEC) of the syscall "
		      "trampoline refused: %s", strerror(errno));
	tramp_page = (uintptr_t)p;
}

static void atfork_child(void)
{
	atomic_store(&my_pid, getpid());
}

/* Is a filter of ours already there (from an earlier image)?  A close of an
 * fd above base traps if so, and the trap counter tells. */
static bool filter_present(void)
{
	unsigned long before = traps;

	close(0x7fffffff);
	return traps != before;
}

/*
 * Runs as the constructor, or earlier from the engine entry points below if
 * another library's constructor uses io_uring before ours has run.
 */
__attribute__((constructor)) static void ursa_run_init(void)
{
	static bool started;
	const char *e;
	bool inherited;
	size_t bytes;

	if (started)
		return;
	started = true;
	atomic_store(&my_pid, getpid());
	{
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m != MAP_FAILED && !madvise(m, 4096, MADV_WIPEONFORK)) {
			fork_marker = m;
			*fork_marker = 1;
		}
	}
	e = getenv(ENV_LOG);
	log_on = e && *e && strcmp(e, "0");
	e = getenv(ENV_RUN_MODE);
	if (e && !strcmp(e, "wrap"))
		trap_signals = false;
	else if (e && *e && strcmp(e, "trap"))
		fatal(URSA_RUN_EXIT_SETUP, "%s=%s: expected trap or wrap",
		      ENV_RUN_MODE, e);
	e = getenv(ENV_RUN_REASON);
	if (e && *e)
		snprintf(reason, sizeof(reason), "%s", e);
	find_libs();

	real_setup = need_sym("ursa_io_uring_setup");
	real_enter = need_sym("ursa_io_uring_enter");
	real_register = need_sym("ursa_io_uring_register");
	real_close = need_sym("ursa_close");
	real_sigaction = need_sym("sigaction");
	real_signal = need_sym("signal");
	real_bsd_signal = need_sym("bsd_signal");
	real_sysv_signal = need_sym("sysv_signal");
	real_sigset = need_sym("sigset");
	real_sighold = need_sym("sighold");
	real_sigignore = need_sym("sigignore");
	real_attr_setsigmask = need_sym("pthread_attr_setsigmask_np");
	real_ppoll = need_sym("ppoll");
	real_epoll_pwait = need_sym("epoll_pwait");
	real_epoll_pwait2 = dlsym(RTLD_NEXT, "epoll_pwait2");	/* glibc >= 2.35 */
	ursa_run_next_syscall = need_sym("syscall");

	e = getenv(ENV_RUN_FILTER);
	inherited = e && !strcmp(e, "1") && getenv(ENV_RUN_TRAMP) &&
		    getenv(ENV_RUN_FD_BASE);
	if (inherited) {
		map_tramp((uintptr_t)strtoull(getenv(ENV_RUN_TRAMP), NULL, 16));
		fd_base = (int)strtol(getenv(ENV_RUN_FD_BASE), NULL, 0);
	} else {
		map_tramp(0);
		fd_base = choose_base();
	}
	{
		struct rlimit rl;
		long n = 65536;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur > (rlim_t)fd_base)
			n = (long)(rl.rlim_cur - (rlim_t)fd_base);
		if (n > (1 << 20))
			n = 1 << 20;
		nslots = (int)n;
	}
	bytes = (size_t)nslots * sizeof(*slots);
	slots = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED)
		fatal(URSA_RUN_EXIT_SETUP, "mmap: %s", strerror(errno));

	patch_init();
	install_handler();
	if (inherited && !filter_present()) {
		logv("%s=1 but no filter of ours traps: installing one",
		     ENV_RUN_FILTER);
		inherited = false;
	}
	if (!inherited)
		install_filter();

	ursa_set_backend(URSA_BACKEND_URSA);
	ursa_set_ring_fd_base(fd_base);
	pthread_atfork(NULL, NULL, atfork_child);

	/* what every later image must find in its environment */
	snprintf(own_env[0], sizeof(own_env[0]), "%s=ursa", ENV_RUN_BACKEND);
	snprintf(own_env[1], sizeof(own_env[1]), "%s=%s", ENV_RUN_REASON, reason);
	snprintf(own_env[2], sizeof(own_env[2]), "%s=%s", ENV_RUN_MODE,
		 trap_signals ? "trap" : "wrap");
	snprintf(own_env[3], sizeof(own_env[3]), "%s=%s", ENV_RUN_LIBS, libs);
	snprintf(own_env[4], sizeof(own_env[4]), "%s=%lx", ENV_RUN_TRAMP,
		 (unsigned long)tramp_page);
	snprintf(own_env[5], sizeof(own_env[5]), "%s=%d", ENV_RUN_FD_BASE,
		 fd_base);
	snprintf(own_env[6], sizeof(own_env[6]), "%s=1", ENV_RUN_FILTER);
	snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s", libs);
	for (unsigned k = 0; k < NR_OWN; k++)
		setenv(own_keys[k], strchr(own_env[k], '=') + 1, 1);
	e = getenv("LD_PRELOAD");
	if (!e || !preload_ok(e)) {
		char v[sizeof(libs) * 2 + 2];

		snprintf(v, sizeof(v), "%s%s%s", libs, e && *e ? ":" : "",
			 e ? e : "");
		setenv("LD_PRELOAD", v, 1);
	}
	logv("interposing io_uring for pid %d (signals=%s, ring fds >= %d, "
	     "filter %s)", (int)getpid(), trap_signals ? "trap" : "wrap",
	     fd_base, inherited ? "inherited" : "installed");
}

/* ------------------------------------------- interposed engine entry points */

/*
 * Programs linked against liburing reach the engine through these (the
 * drop-in library calls them by their exported names), so those rings get
 * the same bookkeeping, fork checks and logging as trapped ones.
 */
int ursa_io_uring_setup(unsigned entries, struct io_uring_params *p)
{
	long r;

	if (!real_setup)
		ursa_run_init();
	r = do_setup(entries, p, cur_pid(), "liburing API");

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

int ursa_io_uring_enter(unsigned fd, unsigned to_submit, unsigned min_complete,
			unsigned flags, const void *arg, size_t argsz)
{
	long r = do_enter(fd, to_submit, min_complete, flags, arg, argsz,
			  cur_pid());

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

int ursa_io_uring_register(unsigned fd, unsigned opcode, const void *arg,
			   unsigned nr_args)
{
	long r = do_register(fd, opcode, arg, nr_args, cur_pid());

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

int ursa_close(int fd)
{
	long r = do_close(fd, cur_pid(), true);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------ interposed libc syscall() */

/*
 * Many programs reach io_uring through libc's syscall() (libuv, Rust's
 * io-uring crate, fio's setup and register calls): those calls go straight
 * to the engine here, with no trap.  Every other number jumps to libc's
 * syscall() with registers and stack untouched (clone and vfork through
 * syscall() stay as they were).  Inline syscall instructions still trap.
 */
long ursa_run_uring_syscall(long nr, long a1, long a2, long a3, long a4,
			    long a5, long a6) __attribute__((visibility("hidden")));
long ursa_run_syscall_fallback(long nr, long a1, long a2, long a3, long a4,
			       long a5, long a6) __attribute__((visibility("hidden")));
void *ursa_run_next_syscall __attribute__((visibility("hidden"))) =
	(void *)ursa_run_syscall_fallback;

__asm__(".text\n"
	".globl syscall\n"
	".type syscall,@function\n"
	"syscall:\n"
	"\tleaq -" URSA_STR(__NR_io_uring_setup) "(%rdi), %rax\n"
	"\tcmpq $2, %rax\n"		/* setup, enter, register: 425..427 */
	"\tja 1f\n"
	"\tjmp ursa_run_uring_syscall\n"
	"1:\tjmp *ursa_run_next_syscall(%rip)\n"
	".size syscall, .-syscall\n");

/* Before the constructor has found libc's syscall(). */
long ursa_run_syscall_fallback(long nr, long a1, long a2, long a3, long a4,
			       long a5, long a6)
{
	long (*next)(long, ...) = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");

	return next(nr, a1, a2, a3, a4, a5, a6);
}

long ursa_run_uring_syscall(long nr, long a1, long a2, long a3, long a4,
			    long a5, long a6)
{
	pid_t pid;
	long r;

	if (!real_setup)
		ursa_run_init();
	pid = cur_pid();
	if (nr == __NR_io_uring_enter)
		r = do_enter((unsigned)a1, (unsigned)a2, (unsigned)a3,
			     (unsigned)a4, (const void *)a5, (size_t)a6, pid);
	else if (nr == __NR_io_uring_register)
		r = do_register((unsigned)a1, (unsigned)a2, (const void *)a3,
				(unsigned)a4, pid);
	else
		r = do_setup((unsigned)a1, (struct io_uring_params *)a2, pid,
			     "libc syscall()");
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* ----------------------------------------- interposed libc signal functions */

/*
 * These keep SIGSYS deliverable and our handler in place for programs that
 * go through libc (cheaper than a trap; the only protection in "wrap"
 * mode).  The program's SIGSYS disposition is recorded and honoured by
 * forward_sigsys() for SIGSYS that is not ours.
 */
static void user_to_k(const struct sigaction *u, struct ksigaction *k)
{
	memset(k, 0, sizeof(*k));
	k->handler = u->sa_handler;
	k->flags = (unsigned long)u->sa_flags;
	k->restorer = u->sa_restorer;
	memcpy(&k->mask, &u->sa_mask, sizeof(k->mask));
}

static void k_to_user(const struct ksigaction *k, struct sigaction *u)
{
	memset(u, 0, sizeof(*u));
	u->sa_handler = k->handler;
	u->sa_flags = (int)k->flags;
	u->sa_restorer = k->restorer;
	memcpy(&u->sa_mask, &k->mask, sizeof(k->mask));
}

static sighandler_t sigsys_set_handler(sighandler_t h, unsigned long flags)
{
	struct ksigaction old = prog_sys_get(), k = {
		.handler = h, .flags = flags, .mask = 0,
	};

	prog_sys_set(&k);
	return old.handler;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
	struct sigaction copy;

	if (sig == SIGSYS) {
		struct ksigaction old = prog_sys_get(), k;

		if (act) {
			user_to_k(act, &k);
			prog_sys_set(&k);
		}
		if (oact)
			k_to_user(&old, oact);
		return 0;
	}
	if (act && sigismember(&act->sa_mask, SIGSYS) == 1) {
		copy = *act;
		sigdelset(&copy.sa_mask, SIGSYS);
		act = &copy;
	}
	return real_sigaction(sig, act, oact);
}

sighandler_t signal(int sig, sighandler_t h)
{
	if (sig == SIGSYS)
		return sigsys_set_handler(h, SA_RESTART);
	return real_signal(sig, h);
}

sighandler_t bsd_signal(int sig, sighandler_t h)
{
	if (sig == SIGSYS)
		return sigsys_set_handler(h, SA_RESTART);
	return real_bsd_signal(sig, h);
}

sighandler_t sysv_signal(int sig, sighandler_t h)
{
	if (sig == SIGSYS)
		return sigsys_set_handler(h, SA_RESETHAND | SA_NODEFER);
	return real_sysv_signal(sig, h);
}

sighandler_t sigset(int sig, sighandler_t h)
{
	if (sig == SIGSYS)
		return h == SIG_HOLD ? prog_sys_get().handler :
		       sigsys_set_handler(h, 0);
	return real_sigset(sig, h);
}

int sighold(int sig)
{
	return sig == SIGSYS ? 0 : real_sighold(sig);
}

int sigignore(int sig)
{
	if (sig == SIGSYS) {
		sigsys_set_handler(SIG_IGN, 0);
		return 0;
	}
	return real_sigignore(sig);
}

static long mask_call(int how, const sigset_t *set, sigset_t *oset)
{
	uint64_t m;

	if (set && how != SIG_UNBLOCK) {
		memcpy(&m, set, sizeof(m));
		m &= ~(SIGSYS_BIT | GLIBC_INTERNAL_SIGS);
		return sys5(SYS_rt_sigprocmask, how, (long)&m, (long)oset, 8, 0);
	}
	return sys5(SYS_rt_sigprocmask, how, (long)set, (long)oset, 8, 0);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *oset)
{
	long r = mask_call(how, set, oset);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *oset)
{
	return (int)-mask_call(how, set, oset);
}

int pthread_attr_setsigmask_np(pthread_attr_t *attr, const sigset_t *set)
{
	sigset_t copy;

	if (set && sigismember(set, SIGSYS) == 1) {
		copy = *set;
		sigdelset(&copy, SIGSYS);
		set = &copy;
	}
	return real_attr_setsigmask(attr, set);
}

/* ------------------------------------------- interposed libc poll and epoll */

/*
 * poll()/ppoll() on a ring fd answer as the kernel's ring fd would
 * (ursa_ring_poll: POLLIN with CQEs to reap, POLLOUT while the SQ has
 * room); to sleep, the ring's eventfd stands in for it.  Only libc's
 * functions are covered: a raw poll syscall sees a memfd (always ready).
 * select() cannot take the ring fds at all: they lie above FD_SETSIZE.
 */
static bool is_polled_ring(int fd)
{
	return fd >= fd_base && fd_base > 0 && own_ring(fd, cur_pid());
}

static long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000L + t->tv_nsec;
}

static int poll_rings(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		      const sigset_t *mask)
{
	struct pollfd small[32], *copy = small;
	struct timespec start, now, left, zero = { 0, 0 };
	int ret;

	if (n > 32) {
		copy = malloc(n * sizeof(*copy));
		if (!copy) {
			errno = ENOMEM;
			return -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int ready = 0, count = 0;

		for (nfds_t i = 0; i < n; i++) {
			copy[i] = fds[i];
			copy[i].revents = 0;
			if (!is_polled_ring(fds[i].fd))
				continue;
			/* arm first: a CQE from now on wakes the eventfd */
			copy[i].fd = mirror_add(fds[i].fd);
			copy[i].events = POLLIN;
			if (ursa_ring_poll(fds[i].fd, 1) &
			    (fds[i].events | POLLERR | POLLHUP))
				ready++;
		}
		if (ready || !tmo) {
			ret = real_ppoll(copy, n, ready ? &zero : NULL, mask);
		} else {
			long rem;

			clock_gettime(CLOCK_MONOTONIC, &now);
			rem = ts_ns(tmo) - (ts_ns(&now) - ts_ns(&start));
			if (rem < 0)
				rem = 0;
			left.tv_sec = rem / 1000000000L;
			left.tv_nsec = rem % 1000000000L;
			ret = real_ppoll(copy, n, &left, mask);
		}
		if (ret < 0)
			break;
		for (nfds_t i = 0; i < n; i++) {
			if (is_polled_ring(fds[i].fd))
				fds[i].revents = (short)(ursa_ring_poll(fds[i].fd, 0) &
					(fds[i].events | POLLERR | POLLHUP));
			else
				fds[i].revents = copy[i].revents;
			if (fds[i].revents)
				count++;
		}
		/* a ring's eventfd woke us but its CQEs were taken already:
		 * sleep again for what is left of the timeout */
		if (count || !ret || ready) {
			ret = count;
			break;
		}
	}
	if (copy != small)
		free(copy);
	return ret;
}

/* Before our constructor (another library's constructor polling). */
static void poll_syms(void)
{
	if (!real_ppoll)
		real_ppoll = (int (*)(struct pollfd *, nfds_t,
				      const struct timespec *,
				      const sigset_t *))dlsym(RTLD_NEXT, "ppoll");
	if (!real_epoll_pwait)
		real_epoll_pwait = (int (*)(int, struct epoll_event *, int, int,
					    const sigset_t *))
			dlsym(RTLD_NEXT, "epoll_pwait");
}

static bool has_ring(const struct pollfd *fds, nfds_t n)
{
	if (__builtin_expect(!real_ppoll, 0))
		poll_syms();
	if (!fd_base)
		return false;
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd >= fd_base && is_polled_ring(fds[i].fd))
			return true;
	return false;
}

/* glibc declares poll's fds write-only (an access attribute), but they are
 * read: GCC would warn of uninitialised reads here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
	  const sigset_t *mask)
{
	if (!has_ring(fds, n))
		return real_ppoll(fds, n, tmo, mask);
	return poll_rings(fds, n, tmo, mask);
}

int poll(struct pollfd *fds, nfds_t n, int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	if (!has_ring(fds, n))
		return real_ppoll(fds, n, ms < 0 ? NULL : &t, NULL);
	return poll_rings(fds, n, ms < 0 ? NULL : &t, NULL);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen);
int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();	/* what glibc's fortified poll does */
	return poll(fds, n, ms);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		const sigset_t *mask, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return ppoll(fds, n, tmo, mask);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* epoll sets hold a ring's eventfd (do_epoll_ctl); reset the eventfds of
 * rings with nothing to reap before waiting, as a level-triggered ring fd
 * would stop being ready. */
int epoll_wait(int epfd, struct epoll_event *ev, int n, int ms)
{
	if (__builtin_expect(!real_epoll_pwait, 0))
		poll_syms();
	ring_poll_prepare();
	return real_epoll_pwait(epfd, ev, n, ms, NULL);
}

int epoll_pwait(int epfd, struct epoll_event *ev, int n, int ms,
		const sigset_t *mask)
{
	if (__builtin_expect(!real_epoll_pwait, 0))
		poll_syms();
	ring_poll_prepare();
	return real_epoll_pwait(epfd, ev, n, ms, mask);
}

int epoll_pwait2(int epfd, struct epoll_event *ev, int n,
		 const struct timespec *tmo, const sigset_t *mask)
{
	ring_poll_prepare();
	if (!real_epoll_pwait2) {
		errno = ENOSYS;
		return -1;
	}
	return real_epoll_pwait2(epfd, ev, n, tmo, mask);
}

#endif /* __x86_64__ */
