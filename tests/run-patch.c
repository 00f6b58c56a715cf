/* SPDX-License-Identifier: MIT */
/*
 * Description: ursa-run patches a program's own io_uring_enter syscall
 * sites after their first SIGSYS trap (src/run/patch.h), and the program
 * cannot tell: many calls from one site stay correct (CQEs, return values),
 * the registers a syscall preserves (argument registers, flags incl. DF,
 * xmm0-15, zmm16/zmm31 where AVX-512 exists) are preserved, a site with an
 * instruction between the mov and the syscall (fio's getevents) and a loop
 * branching back onto the syscall instruction itself work, several threads
 * race on a site while it is patched, and a signal interrupts a blocking
 * enter with -EINTR as on the trap path and the kernel.  Also: with
 * URSA_RUN_PATCH=0 nothing is patched and all of it still passes (traps);
 * when mprotect(PROT_WRITE|PROT_EXEC) is refused (a W^X policy, simulated
 * by the child's own seccomp filter) the site keeps trapping, correctly;
 * on the kernel's io_uring (ursa-run --backend=auto where it works) the
 * same program passes untouched.
 */
#include "run-driver.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

#if defined(__x86_64__)

/* Patterns the site functions load into vector registers and check. */
unsigned char site_pat[256] __attribute__((aligned(64)));
/* The io_uring_enter result seen after the syscall (per thread). */
__thread long site_ret;

/*
 * site_check(fd, submit, wait, flags): io_uring_enter by a syscall
 * instruction, `mov $426,%eax; syscall` (b8 aa 01 00 00 0f 05), made with
 * CF and DF set and patterns in xmm0-15; returns a mask of what the call
 * did not preserve (0: all good), the result in site_ret.
 */
#define XMM_LOAD(i)	"\tmovdqa site_pat+16*" #i "(%rip), %xmm" #i "\n"
#define XMM_CHECK(i)	"\tpcmpeqb site_pat+16*" #i "(%rip), %xmm" #i "\n"	\
			"\tpmovmskb %xmm" #i ", %ecx\n"				\
			"\tcmp $0xffff, %ecx\n\tje 1f\n"			\
			"\tor $(1 << (8 + " #i ")), %eax\n1:\n"
#define XMM_ALL(m)	m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9)	\
			m(10) m(11) m(12) m(13) m(14) m(15)
#define SITE_PRE							\
	"\tpush %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n"		\
	"\tpush %r14\n\tpush %r15\n"					\
	"\tmov %rcx, %r10\n"						\
	"\tmov %rdi, %rbx\n\tmov %rsi, %rbp\n"				\
	"\tmov %rdx, %r12\n\tmov %r10, %r13\n"				\
	"\txor %r8d, %r8d\n\txor %r9d, %r9d\n"				\
	XMM_ALL(XMM_LOAD)						\
	"\tstc\n\tstd\n"
#define SITE_POST							\
	"\tpushfq\n\tpop %r14\n\tcld\n"					\
	"\tmov %rax, %fs:site_ret@tpoff\n"					\
	"\txor %eax, %eax\n"						\
	"\tand $0x401, %r14d\n\tcmp $0x401, %r14d\n\tje 1f\n"		\
	"\tor $1, %eax\n1:\n"						\
	"\tcmp %rdi, %rbx\n\tje 1f\n\tor $2, %eax\n1:\n"		\
	"\tcmp %rsi, %rbp\n\tje 1f\n\tor $4, %eax\n1:\n"		\
	"\tcmp %rdx, %r12\n\tje 1f\n\tor $8, %eax\n1:\n"		\
	"\tcmp %r10, %r13\n\tje 1f\n\tor $16, %eax\n1:\n"		\
	"\ttest %r8, %r8\n\tjz 1f\n\tor $32, %eax\n1:\n"		\
	"\ttest %r9, %r9\n\tjz 1f\n\tor $64, %eax\n1:\n"		\
	XMM_ALL(XMM_CHECK)						\
	"\tpop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n"		\
	"\tpop %rbp\n\tpop %rbx\n\tret\n"

__asm__(".text\n"
	".globl site_check\n"
	".type site_check,@function\n"
	"site_check:\n"
	SITE_PRE
	/* (the mov must not cross a cache line to be patched) */
	"\t.p2align 4\n"
	".globl site_check_mov\n"
	"site_check_mov:\n"
	"\tmov $426, %eax\n"
	"\tsyscall\n"
	SITE_POST
	".size site_check, .-site_check\n");

/*
 * site_gap: the same with an instruction between the mov and the syscall,
 * as in fio's getevents (b8 aa 01 00 00 89 ea 0f 05: mov %ebp,%edx);
 * here b8 aa 01 00 00 44 89 e2 0f 05 (mov %r12d,%edx, with a REX prefix).
 */
__asm__(".text\n"
	".globl site_gap\n"
	".type site_gap,@function\n"
	"site_gap:\n"
	SITE_PRE
	/* (the mov must not cross a cache line to be patched) */
	"\t.p2align 4\n"
	".globl site_gap_mov\n"
	"site_gap_mov:\n"
	"\tmov $426, %eax\n"
	"\tmov %r12d, %edx\n"
	"\tsyscall\n"
	SITE_POST
	".size site_gap, .-site_gap\n");

/*
 * site_retry(fd, submit, wait, flags, again): the syscall instruction is
 * also a branch target: after the first call, `again` more calls jump
 * straight back onto it (a retry loop).  Returns the last result.
 */
__asm__(".text\n"
	".globl site_retry\n"
	".type site_retry,@function\n"
	"site_retry:\n"
	"\tpush %rbx\n"
	"\tmov %r8, %rbx\n"
	"\tmov %rcx, %r10\n"
	"\txor %r8d, %r8d\n"
	"\txor %r9d, %r9d\n"
	/* (the mov must not cross a cache line to be patched) */
	"\t.p2align 4\n"
	".globl site_retry_mov\n"
	"site_retry_mov:\n"
	"\tmov $426, %eax\n"
	"2:\tsyscall\n"
	"\ttest %rbx, %rbx\n"
	"\tjz 3f\n"
	"\tdec %rbx\n"
	"\tmov $426, %eax\n"
	"\tjmp 2b\n"
	"3:\tpop %rbx\n"
	"\tret\n"
	".size site_retry, .-site_retry\n");

/*
 * site_zmm(fd, submit, wait, flags): zmm16 and zmm31 (what glibc's EVEX
 * string functions use) survive the call; 0 if they did.  AVX-512BW only.
 */
__asm__(".text\n"
	".globl site_zmm\n"
	".type site_zmm,@function\n"
	"site_zmm:\n"
	"\tmov %rcx, %r10\n"
	"\txor %r8d, %r8d\n"
	"\txor %r9d, %r9d\n"
	"\tvmovdqu64 site_pat(%rip), %zmm16\n"
	"\tvmovdqu64 site_pat+64(%rip), %zmm31\n"
	/* (the mov must not cross a cache line to be patched) */
	"\t.p2align 4\n"
	".globl site_zmm_mov\n"
	"site_zmm_mov:\n"
	"\tmov $426, %eax\n"
	"\tsyscall\n"
	"\tmov %rax, %fs:site_ret@tpoff\n"
	"\txor %eax, %eax\n"
	"\tvpcmpeqb site_pat(%rip), %zmm16, %k1\n"
	"\tkortestq %k1, %k1\n"
	"\tjc 1f\n"
	"\tor $1, %eax\n"
	"1:\tvpcmpeqb site_pat+64(%rip), %zmm31, %k2\n"
	"\tkortestq %k2, %k2\n"
	"\tjc 1f\n"
	"\tor $2, %eax\n"
	"1:\tvzeroupper\n"
	"\tret\n"
	".size site_zmm, .-site_zmm\n");

/*
 * site_split: like site_check, but its mov crosses a cache line (62 bytes
 * into one), so it cannot be rewritten atomically and must keep trapping.
 */
__asm__(".text\n"
	".globl site_split\n"
	".type site_split,@function\n"
	"site_split:\n"
	SITE_PRE
	"\t.p2align 6\n"
	"\t.fill 62, 1, 0x90\n"
	".globl site_split_mov\n"
	"site_split_mov:\n"
	"\tmov $426, %eax\n"
	"\tsyscall\n"
	SITE_POST
	".size site_split, .-site_split\n");

unsigned site_split(int fd, unsigned submit, unsigned wait, unsigned flags);
unsigned site_check(int fd, unsigned submit, unsigned wait, unsigned flags);
unsigned site_gap(int fd, unsigned submit, unsigned wait, unsigned flags);
long site_retry(int fd, unsigned submit, unsigned wait, unsigned flags,
		long again);
unsigned site_zmm(int fd, unsigned submit, unsigned wait, unsigned flags);
extern const unsigned char site_check_mov[], site_gap_mov[], site_retry_mov[],
	site_zmm_mov[], site_split_mov[];

/* -------------------------------------------------------------- the child */

static int expect_patched = -1;	/* 1/0 from the driver; -1: don't check */

/* One NOP through fn's site, checked: 0 or a message. */
static const char *nop_through(struct rring *r, int gap, unsigned long long ud)
{
	static __thread char msg[128];
	struct io_uring_sqe *sqe = rr_sqe(r);
	unsigned long long got;
	unsigned bad;
	long ret;
	int res;

	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = ud;
	bad = gap ? site_gap(r->fd, 1, 1, IORING_ENTER_GETEVENTS) :
		    site_check(r->fd, 1, 1, IORING_ENTER_GETEVENTS);
	ret = site_ret;
	if (bad) {
		snprintf(msg, sizeof(msg), "registers not preserved: mask %#x", bad);
		return msg;
	}
	if (ret != 1) {
		snprintf(msg, sizeof(msg), "enter returned %ld, want 1", ret);
		return msg;
	}
	res = rr_reap(r, &got);
	if (res || got != ud) {
		snprintf(msg, sizeof(msg), "cqe res %d user_data %llu, want 0 %llu",
			 res, got, ud);
		return msg;
	}
	return NULL;
}

static bool patched(const unsigned char *mov)
{
	return mov[0] == 0xe9;
}

static int check_patched(const char *what, const unsigned char *mov)
{
	printf("%s site patched: %s\n", what, patched(mov) ? "yes" : "no");
	if (expect_patched >= 0 && patched(mov) != (expect_patched == 1)) {
		printf("%s: expected the site %spatched\n", what,
		       expect_patched ? "" : "not ");
		return 1;
	}
	return 0;
}

/* Many calls from one site, each checked. */
static int loop_test(unsigned n)
{
	struct rring r;
	struct timespec t0, t1;
	const char *err;

	if (rr_init(&r, 8)) {
		printf("setup failed\n");
		return 1;
	}
	printf("backend=%s\n", rr_backend(r.fd));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < n; i++) {
		err = nop_through(&r, (int)(i & 1), 0x100000 + i);
		if (err) {
			printf("call %u: %s\n", i, err);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%u NOPs through two sites: %.0f ns each\n", n,
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
	/* plain enters from the sites: results arrive in site_ret */
	site_check(r.fd, 0, 0, 0);
	if (site_ret != 0) {
		printf("empty enter: %ld\n", site_ret);
		return 1;
	}
	site_check(-1, 0, 0, 0);
	if (site_ret != -EBADF) {
		printf("enter(-1): %ld, want -EBADF\n", site_ret);
		return 1;
	}
	/* the retry loop: the branch onto the syscall keeps working */
	for (int i = 0; i < 3; i++) {
		long ret = site_retry(r.fd, 0, 0, 0, 3);

		if (ret != 0) {
			printf("retry loop: %ld\n", ret);
			return 1;
		}
	}
	{
		struct io_uring_sqe *sqe = rr_sqe(&r);
		long ret;

		/* submit through the mov (maybe patched), then enter three
		 * more times from the syscall instruction only */
		sqe->opcode = IORING_OP_NOP;
		sqe->user_data = 77;
		ret = site_retry(r.fd, 1, 0, 0, 3);
		if (ret != 0 || rr_reap(&r, NULL) != 0) {
			printf("retry loop with a NOP: %ld\n", ret);
			return 1;
		}
	}
	/* a site that must keep trapping (and stay correct) */
	for (int i = 0; i < 200; i++) {
		struct io_uring_sqe *sqe = rr_sqe(&r);
		unsigned bad;

		sqe->opcode = IORING_OP_NOP;
		bad = site_split(r.fd, 1, 1, IORING_ENTER_GETEVENTS);
		if (bad || site_ret != 1 || rr_reap(&r, NULL) != 0) {
			printf("split site: mask %#x ret %ld\n", bad, site_ret);
			return 1;
		}
	}
	printf("split site patched: %s\n",
	       patched(site_split_mov) ? "yes" : "no");
	if (patched(site_split_mov)) {
		printf("a mov across a cache line was patched\n");
		return 1;
	}
	if (__builtin_cpu_supports("avx512bw")) {
		for (int i = 0; i < 1000; i++) {
			struct io_uring_sqe *sqe = rr_sqe(&r);
			unsigned bad;

			sqe->opcode = IORING_OP_NOP;
			bad = site_zmm(r.fd, 1, 1, IORING_ENTER_GETEVENTS);
			if (bad || site_ret != 1 || rr_reap(&r, NULL) != 0) {
				printf("zmm16/zmm31 not preserved (mask %#x, "
				       "ret %ld)\n", bad, site_ret);
				return 1;
			}
		}
		if (check_patched("zmm", site_zmm_mov))
			return 1;
	} else {
		printf("note: no AVX-512BW, zmm check skipped\n");
	}
	if (check_patched("check", site_check_mov) ||
	    check_patched("gap", site_gap_mov) ||
	    check_patched("retry", site_retry_mov))
		return 1;
	rr_unmap(&r);
	close(r.fd);
	printf("loop ok\n");
	return 0;
}

/* Threads race through the same sites, each with a ring of its own. */
#define NTHREADS	4
static pthread_barrier_t bar;
static _Atomic int thread_failures;

static void *thread_fn(void *arg)
{
	struct rring r;
	unsigned id = (unsigned)(uintptr_t)arg;

	if (rr_init(&r, 8)) {
		thread_failures++;
		return NULL;
	}
	pthread_barrier_wait(&bar);
	for (unsigned i = 0; i < 3000; i++) {
		const char *err = nop_through(&r, (int)((i + id) & 1),
					      (unsigned long long)id << 32 | i);

		if (err) {
			printf("thread %u call %u: %s\n", id, i, err);
			thread_failures++;
			break;
		}
	}
	rr_unmap(&r);
	close(r.fd);
	return NULL;
}

static int thread_test(void)
{
	pthread_t t[NTHREADS];

	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (uintptr_t i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, thread_fn, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	if (thread_failures)
		return 1;
	if (check_patched("threads: check", site_check_mov) ||
	    check_patched("threads: gap", site_gap_mov))
		return 1;
	printf("threads ok\n");
	return 0;
}

/* A signal interrupts an enter blocked through the (patched) site. */
static _Atomic int got_usr1;
static _Atomic int blocked_ready;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

static void *blocker(void *arg)
{
	struct rring *r = arg;

	blocked_ready = 1;
	/* waits for a CQE that never comes */
	site_gap(r->fd, 0, 1, IORING_ENTER_GETEVENTS);
	return (void *)site_ret;
}

static int signal_test(void)
{
	struct sigaction sa;
	struct rring r;
	pthread_t t;
	void *ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	if (rr_init(&r, 8))
		return 1;
	/* make sure the site has been through its first trap */
	site_gap(r.fd, 0, 0, 0);
	pthread_create(&t, NULL, blocker, &r);
	while (!blocked_ready)
		usleep(1000);
	usleep(100 * 1000);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, &ret);
	printf("blocked enter interrupted: %ld, handler ran %d time(s)\n",
	       (long)ret, (int)got_usr1);
	if ((long)ret != -EINTR || got_usr1 != 1)
		return 1;
	rr_unmap(&r);
	close(r.fd);
	printf("signal ok\n");
	return 0;
}

/* A W^X policy: mprotect with both PROT_WRITE and PROT_EXEC refused. */
static int deny_wx(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		printf("cannot install the W^X filter: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static int child(int argc, char **argv)
{
	bool wx = false;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--patched=1"))
			expect_patched = 1;
		else if (!strcmp(argv[i], "--patched=0"))
			expect_patched = 0;
		else if (!strcmp(argv[i], "--wx"))
			wx = true;
	}
	for (size_t i = 0; i < sizeof(site_pat); i++)
		site_pat[i] = (unsigned char)(i * 37 + 11);
	if (wx && deny_wx())
		return 1;
	if (loop_test(20000) || thread_test() || signal_test())
		return 1;
	printf("child ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct drv_result res;
	const char *deny, *urun;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child(argc, argv);
#ifdef UNDER_SANITIZER
	drv_skip("ursa-run is not built with sanitizers");
#endif
	drv_init();
	deny = drv_tool("deny-io_uring");
	urun = drv_tool("ursa-run");
	if (access(urun, X_OK))
		drv_skip("%s is not built", urun);
	drv_need_seccomp();
	{
		const char *a[] = { deny, urun, "--backend=ursa", drv_self,
				    "--child", "--patched=1", NULL };
		const char *env[] = { "URSA_LOG=1", "-URSA_RUN_PATCH", NULL };
		const char *want[] = { "backend=ursa",
				       "patched io_uring_enter at ",
				       "check site patched: yes",
				       "gap site patched: yes",
				       "retry site patched: yes",
				       "split site patched: no",
				       "not patched: the mov crosses a cache line",
				       "loop ok", "threads ok", "signal ok",
				       "child ok", NULL };

		drv_run_prog(&res, 60, env, a);
		if (drv_expect("patched sites (deny + ursa-run)", &res, 0, want))
			drv_show("patched sites", &res);
	}
	{
		const char *a[] = { deny, urun, "--backend=ursa", "--signals=wrap",
				    drv_self, "--child", "--patched=1", NULL };
		const char *want[] = { "check site patched: yes", "child ok",
				       NULL };

		drv_run_prog(&res, 60, NULL, a);
		drv_expect("patched sites, --signals=wrap", &res, 0, want);
	}
	{
		const char *a[] = { deny, urun, "--backend=ursa", drv_self,
				    "--child", "--patched=0", NULL };
		const char *env[] = { "URSA_LOG=1", "URSA_RUN_PATCH=0", NULL };
		const char *want[] = { "syscall site patching off (URSA_RUN_PATCH=0)",
				       "check site patched: no", "child ok",
				       NULL };

		drv_run_prog(&res, 60, env, a);
		if (drv_expect("URSA_RUN_PATCH=0: every call traps", &res, 0,
			       want) && strstr(res.out, "patched io_uring_enter"))
			drv_fail("URSA_RUN_PATCH=0 still patched a site");
	}
	{
		const char *a[] = { deny, urun, "--backend=ursa", drv_self,
				    "--child", "--patched=0", "--wx", NULL };
		const char *env[] = { "URSA_LOG=1", "-URSA_RUN_PATCH", NULL };
		const char *want[] = { "not patched: mprotect(PROT_WRITE) of the "
				       "code refused", "check site patched: no",
				       "child ok", NULL };

		drv_run_prog(&res, 60, env, a);
		drv_expect("W^X policy: sites keep trapping", &res, 0, want);
	}
	if (drv_kernel_io_uring()) {
		const char *a[] = { urun, drv_self, "--child", "--patched=0",
				    NULL };
		const char *want[] = { "backend=kernel", "child ok", NULL };

		drv_run_prog(&res, 60, NULL, a);
		drv_expect("the same program on the kernel's io_uring", &res, 0,
			   want);
	} else {
		printf("note: the kernel refuses io_uring here; kernel run "
		       "not checked\n");
	}
	return drv_failed;
}

#else
int main(void)
{
	printf("skip: syscall-site patching is x86-64 only\n");
	return 77;
}
#endif
