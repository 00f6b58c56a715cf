/* SPDX-License-Identifier: MIT */
/*
 * bench-trap [-t seconds] [-a]: what ursa-run's interposition costs, per
 * call.  Run it plainly, with -a (an allow-everything seccomp filter: what
 * any filter costs) and under ursa-run (bench/fio.sh does all three):
 *
 *   getpid            a syscall the filter does not look at
 *   close-low         close of an unused fd below the ring range (not trapped)
 *   close-high        close of an unused fd in the ring range (trapped)
 *   sigmask-libc      pthread_sigmask block+unblock (interposed, not trapped)
 *   sigmask-raw       raw rt_sigprocmask block+unblock (trapped in trap mode)
 *   enter-empty       io_uring_enter(fd, 0, 0, 0) by a syscall instruction
 *                     of this program (trapped under ursa-run)
 *   enter-nop         one NOP submitted and reaped, the same way
 *   libc-nop          one NOP through libc's syscall() (interposed under
 *                     ursa-run: no trap)
 *   direct-empty      ursa_io_uring_enter(fd, 0, 0, 0) called directly
 *   direct-nop        one NOP through ursa_io_uring_enter called directly
 *
 * The "direct" lines exist only where ursa's entry points are loaded (under
 * ursa-run): they are what a program linked against liburing gets through
 * the drop-in library, with no trap at all.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <liburing/io_uring.h>

static double secs = 0.5;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run fn in batches for about `secs`, in 5 rounds; report the best
 * round's ns per call (the least disturbed by other load). */
static void measure(const char *name, void (*fn)(void *), void *arg)
{
	double best = 1e30;

	for (int i = 0; i < 1000; i++)	/* warm up */
		fn(arg);
	for (int round = 0; round < 5; round++) {
		double t0 = now(), t, ns;
		unsigned long n = 0;

		do {
			for (int i = 0; i < 256; i++)
				fn(arg);
			n += 256;
			t = now();
		} while (t - t0 < secs / 5);
		ns = (t - t0) * 1e9 / (double)n;
		if (ns < best)
			best = ns;
	}
	printf("%-14s %9.1f ns/op\n", name, best);
	fflush(stdout);
}

/* An allow-everything filter: the cost of having any seccomp filter. */
static void allow_all_filter(void)
{
	struct sock_filter f = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("bench-trap: seccomp");
		exit(1);
	}
}

static void do_getpid(void *a)
{
	(void)a;
	syscall(SYS_getpid);
}

static void do_close(void *a)
{
	close((int)(long)a);
}

static void do_sigmask_libc(void *a)
{
	sigset_t *s = a;

	pthread_sigmask(SIG_BLOCK, s, NULL);
	pthread_sigmask(SIG_UNBLOCK, s, NULL);
}

static void do_sigmask_raw(void *a)
{
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, a, NULL, 8);
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, a, NULL, 8);
}

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail;
	struct io_uring_sqe *sqes;
	int (*direct)(unsigned, unsigned, unsigned, unsigned, const void *,
		      size_t);
};

static int ring_init(struct ring *r)
{
	struct io_uring_params p;
	char *sq, *cq;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 8, &p);
	if (fd < 0)
		return -errno;
	r->fd = (int)fd;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * 4, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * 16, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * 64, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	return 0;
}

static void queue_nop(struct ring *r)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask;

	memset(&r->sqes[idx], 0, sizeof(r->sqes[idx]));
	r->sqes[idx].opcode = IORING_OP_NOP;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

static void reap(struct ring *r)
{
	unsigned head = *r->cq_head;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "bench-trap: no CQE\n");
		exit(1);
	}
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
}

/* io_uring_enter by a syscall instruction here, as fio and liburing do */
static long asm_enter(int fd, unsigned submit, unsigned wait, unsigned flags)
{
	register long r10 __asm__("r10") = flags;
	register long r8 __asm__("r8") = 0;
	register long r9 __asm__("r9") = 0;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)__NR_io_uring_enter), "D"((long)fd),
			   "S"((long)submit), "d"((long)wait), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static void do_enter_empty(void *a)
{
	struct ring *r = a;

	asm_enter(r->fd, 0, 0, 0);
}

static void do_enter_nop(void *a)
{
	struct ring *r = a;

	queue_nop(r);
	asm_enter(r->fd, 1, 1, IORING_ENTER_GETEVENTS);
	reap(r);
}

static void do_libc_nop(void *a)
{
	struct ring *r = a;

	queue_nop(r);
	syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS,
		NULL, 0);
	reap(r);
}

static void do_direct_empty(void *a)
{
	struct ring *r = a;

	r->direct((unsigned)r->fd, 0, 0, 0, NULL, 0);
}

static void do_direct_nop(void *a)
{
	struct ring *r = a;

	queue_nop(r);
	r->direct((unsigned)r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	reap(r);
}

int main(int argc, char **argv)
{
	struct ring ring;
	sigset_t usr2;
	const char *base = getenv("URSA_RUN_FD_BASE");
	long high;
	int opt, ret;
	bool allow = false;

	while ((opt = getopt(argc, argv, "t:ah")) != -1) {
		if (opt == 't') {
			secs = atof(optarg);
		} else if (opt == 'a') {
			allow = true;
		} else {
			fprintf(stderr, "usage: bench-trap [-t seconds] [-a]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (allow)
		allow_all_filter();
	if (base) {
		high = atol(base) + 100;
	} else {
		struct rlimit rl;

		getrlimit(RLIMIT_NOFILE, &rl);
		high = (long)rl.rlim_cur - 100;
	}
	printf("# bench-trap: %s, filter %s\n",
	       getenv("URSA_RUN_FILTER") ? "under ursa-run" : "plain",
	       getenv("URSA_RUN_FILTER") ? "ursa-run's" :
	       allow ? "allow-all" : "none");

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	measure("getpid", do_getpid, NULL);
	measure("close-low", do_close, (void *)100L);
	measure("close-high", do_close, (void *)high);
	measure("sigmask-libc", do_sigmask_libc, &usr2);
	measure("sigmask-raw", do_sigmask_raw, &usr2);

	ret = ring_init(&ring);
	if (ret) {
		printf("# io_uring_setup: %s (no enter figures)\n",
		       strerror(-ret));
		return 0;
	}
	{
		char path[64], link[128];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", ring.fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		printf("# ring served by %s\n",
		       strstr(link, "memfd") ? "ursa" : "the kernel");
	}
	measure("enter-empty", do_enter_empty, &ring);
	measure("enter-nop", do_enter_nop, &ring);
	measure("libc-nop", do_libc_nop, &ring);
	ring.direct = (int (*)(unsigned, unsigned, unsigned, unsigned,
			       const void *, size_t))
		dlsym(RTLD_DEFAULT, "ursa_io_uring_enter");
	if (ring.direct) {
		measure("direct-empty", do_direct_empty, &ring);
		measure("direct-nop", do_direct_nop, &ring);
	}
	return 0;
}
