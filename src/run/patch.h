/* SPDX-License-Identifier: MIT */
/*
 * Lazy patching of io_uring syscall sites (x86-64), part of preload.c and
 * included by it only (the Makefile builds the preload from one object).
 *
 * A trapped io_uring call costs a SIGSYS (~2.2 us here).  After the first
 * trap from a given syscall instruction, the handler rewrites that site so
 * later calls jump to ursa directly: the `mov $nr,%eax` that loads the
 * syscall number becomes a `jmp rel32` to a per-site stub, which runs the
 * instructions found between that mov and the syscall, sets %eax, skips the
 * red zone, calls ursa_run_patch_entry (saves the registers and the vector
 * state a syscall would preserve, calls the same C code the SIGSYS handler
 * uses) and jumps back to the instruction after the syscall.
 *
 * Only these 5 bytes are written; the syscall instruction and anything
 * between stay as they were.  So a branch that lands on the syscall itself
 * or on an instruction between (a retry loop, a shared tail) executes the
 * original bytes and traps as before, with whatever %eax the branch
 * brought.  A branch into bytes 1..4 of the mov would be a branch into the
 * middle of an instruction of the original program, which compilers do not
 * produce.  What is recognised (docs/URSA-RUN.md, "Patching"):
 *   b8 <nr:imm32>  [simple register-only instructions]  0f 05
 * where nr is the trapped io_uring syscall, the in-between instructions are
 * reg-reg mov/ALU ops or mov $imm to a register other than %rax/%rsp
 * (position independent: copied to the stub verbatim), and the code lies
 * in a readable, executable, file-backed private mapping.
 *
 * Concurrent executors: the 5 bytes are replaced by one locked cmpxchg of
 * the 8 bytes around them, which must lie within one 64-byte cache line
 * (else the site is not patched).  Another thread's instruction fetch sees
 * either the old mov or the new jmp, never a mixture, and both are
 * correct: the old bytes trap and are served as before.
 */
#ifndef URSA_RUN_PATCH_H
#define URSA_RUN_PATCH_H

#include <cpuid.h>

/* The syscall registers, as ursa_run_patch_entry pushes them. */
struct patch_regs {
	long rax, rdi, rsi, rdx, rcx, r8, r9, r10, r11, rbx, rbp, rflags;
};

/* Set at init: XSAVE area size and the state components to save. */
long ursa_run_xsave_size __attribute__((visibility("hidden")));
long ursa_run_xsave_mask __attribute__((visibility("hidden")));
long ursa_run_patched(struct patch_regs *r) __attribute__((visibility("hidden")));

/*
 * Entered from a stub by `call`, with %rax = syscall number and the red
 * zone already skipped.  A syscall preserves every register but rax, rcx
 * and r11, and all vector/x87 state; C code may clobber the call-clobbered
 * GPRs, the flags (and needs DF clear) and any vector register, so all of
 * that is saved: the GPRs and flags by push, the extended state by
 * XSAVE(C) into a 64-byte aligned area on the stack.
 */
#define PATCH_ENTRY(name, xsave)					\
	".text\n"							\
	".align 16\n"							\
	".globl " name "\n"						\
	".hidden " name "\n"						\
	".type " name ",@function\n"					\
	name ":\n"							\
	"\tpushfq\n"							\
	"\tpush %rbp\n\tpush %rbx\n\tpush %r11\n\tpush %r10\n"		\
	"\tpush %r9\n\tpush %r8\n\tpush %rcx\n\tpush %rdx\n"		\
	"\tpush %rsi\n\tpush %rdi\n\tpush %rax\n"			\
	"\tmovq %rsp, %rbx\n"						\
	"\tcld\n"							\
	"\tsubq ursa_run_xsave_size(%rip), %rsp\n"			\
	"\tandq $-64, %rsp\n"						\
	/* the XSAVE header must start zeroed for XRSTOR */		\
	"\tmovq $0, 512(%rsp)\n\tmovq $0, 520(%rsp)\n"			\
	"\tmovq $0, 528(%rsp)\n\tmovq $0, 536(%rsp)\n"			\
	"\tmovq $0, 544(%rsp)\n\tmovq $0, 552(%rsp)\n"			\
	"\tmovq $0, 560(%rsp)\n\tmovq $0, 568(%rsp)\n"			\
	"\tmovl ursa_run_xsave_mask(%rip), %eax\n"			\
	"\txorl %edx, %edx\n"						\
	"\t" xsave " (%rsp)\n"						\
	"\tmovq %rbx, %rdi\n"						\
	"\tcall ursa_run_patched\n"					\
	"\tmovq %rax, (%rbx)\n"						\
	"\tmovl ursa_run_xsave_mask(%rip), %eax\n"			\
	"\txorl %edx, %edx\n"						\
	"\txrstor64 (%rsp)\n"						\
	"\tmovq %rbx, %rsp\n"						\
	"\tpop %rax\n\tpop %rdi\n\tpop %rsi\n\tpop %rdx\n"		\
	"\tpop %rcx\n\tpop %r8\n\tpop %r9\n\tpop %r10\n"		\
	"\tpop %r11\n\tpop %rbx\n\tpop %rbp\n"				\
	"\tpopfq\n"							\
	"\tret\n"							\
	".size " name ", .-" name "\n"

__asm__(PATCH_ENTRY("ursa_run_patch_entry_xsave", "xsave64"));
__asm__(PATCH_ENTRY("ursa_run_patch_entry_xsavec", "xsavec64"));
extern const char ursa_run_patch_entry_xsave[], ursa_run_patch_entry_xsavec[]
	__attribute__((visibility("hidden")));

static bool patch_on;			/* URSA_RUN_PATCH != 0 and the CPU can */
static const void *patch_entry;		/* one of the two entries above */

/* Sites looked at (the address after the syscall), so each is examined
 * once per process; 0 = free.  Full: no more patching. */
#define PATCH_SITES	128
static _Atomic uintptr_t patch_seen[PATCH_SITES];
static atomic_flag patch_busy = ATOMIC_FLAG_INIT;
static _Atomic unsigned patch_count;	/* sites patched (for tests/logs) */

static void patch_init(void)
{
	const char *e = getenv("URSA_RUN_PATCH");
	unsigned a, b, c, d;
	unsigned long long xcr0;
	unsigned lo, hi;

	if (e && !strcmp(e, "0")) {
		logv("syscall site patching off (URSA_RUN_PATCH=0)");
		return;
	}
	/* XSAVE enabled by the OS: every x86-64 CPU with AVX has it */
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) ||
	    __get_cpuid_max(0, NULL) < 0xd) {
		logv("syscall site patching off: no OS-enabled XSAVE");
		return;
	}
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = (unsigned long long)hi << 32 | lo;
	/*
	 * x87, SSE, AVX and the AVX-512 state: what C code (memcpy, the
	 * compiler's vectorised loops) may clobber.  Not PKRU (nobody here
	 * changes it) nor AMX tiles (XFD-armed; ursa never touches them).
	 */
	ursa_run_xsave_mask = (long)(xcr0 & 0xe7);
	__cpuid_count(0xd, 0, a, b, c, d);
	ursa_run_xsave_size = (long)b + 64;
	__cpuid_count(0xd, 1, a, b, c, d);
	patch_entry = (a & 2) ? (const void *)ursa_run_patch_entry_xsavec :
				(const void *)ursa_run_patch_entry_xsave;
	patch_on = true;
}

/* --------------------------------------------------------- recognition */

/*
 * Length of a register-only instruction at p (at most n bytes) that
 * neither reads nor writes %rax or %rsp nor depends on its address, or 0.
 */
static unsigned patch_simple_insn(const unsigned char *p, unsigned n)
{
	unsigned rex = 0, i = 0, reg, rm;

	if (n && p[0] == 0x90)				/* nop */
		return 1;
	if (n && (p[0] & 0xf0) == 0x40)
		rex = p[i++];
	if (i >= n)
		return 0;
	if ((p[i] & 0xf8) == 0xb8) {			/* mov $imm,%reg */
		unsigned len = i + 1 + ((rex & 8) ? 8 : 4);

		reg = (p[i] & 7) | ((rex & 1) << 3);
		return (len <= n && reg != 0 && reg != 4) ? len : 0;
	}
	switch (p[i]) {
	case 0x01: case 0x03: case 0x09: case 0x0b:	/* add, or */
	case 0x21: case 0x23: case 0x29: case 0x2b:	/* and, sub */
	case 0x31: case 0x33: case 0x39: case 0x3b:	/* xor, cmp */
	case 0x85: case 0x89: case 0x8b:		/* test, mov */
		break;
	default:
		return 0;
	}
	if (i + 1 >= n || (p[i + 1] & 0xc0) != 0xc0)	/* registers only */
		return 0;
	reg = ((p[i + 1] >> 3) & 7) | ((rex & 4) << 1);
	rm = (p[i + 1] & 7) | ((rex & 1) << 3);
	if (reg == 0 || reg == 4 || rm == 0 || rm == 4)
		return 0;
	return i + 2;
}

/* Could byte c be a prefix of an instruction starting right after it? */
static bool patch_prefix(unsigned char c)
{
	return (c & 0xf0) == 0x40 || c == 0x66 || c == 0x67 || c == 0xf0 ||
	       c == 0xf2 || c == 0xf3 || c == 0x2e || c == 0x36 ||
	       c == 0x3e || c == 0x26 || c == 0x64 || c == 0x65;
}

/* Do the bytes [p, end) decode entirely as simple instructions? */
static bool patch_simple_run(const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		unsigned l = patch_simple_insn(p, (unsigned)(end - p));

		if (!l)
			return false;
		p += l;
	}
	return true;
}

/* The mapping holding addr: its flags and, for the log, path and offset. */
struct patch_map {
	uintptr_t start, end;
	unsigned long long off;
	char perms[5];
	char path[160];
};

/* Parse /proc/self/maps with raw calls (we run in a signal handler). */
static bool patch_find_map(uintptr_t addr, struct patch_map *m)
{
	char buf[4096 + 1], line[512];
	size_t ll = 0;
	long fd = sys5(SYS_openat, AT_FDCWD, (long)"/proc/self/maps",
		       O_RDONLY | O_CLOEXEC, 0, 0);
	bool found = false;
	long n;

	if (fd < 0)
		return false;
	while (!found && (n = sys5(SYS_read, fd, (long)buf, 4096, 0, 0)) > 0) {
		for (long i = 0; i < n && !found; i++) {
			unsigned long s, e;
			unsigned long long off;
			int pos = 0;

			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = 0;
			ll = 0;
			if (sscanf(line, "%lx-%lx %4s %llx %*s %*s %n", &s, &e,
				   m->perms, &off, &pos) < 4 ||
			    addr < s || addr >= e)
				continue;
			m->start = s;
			m->end = e;
			m->off = off;
			snprintf(m->path, sizeof(m->path), "%s",
				 pos > 0 ? line + pos : "");
			found = true;
		}
	}
	sys5(SYS_close, fd, 0, 0, 0, 0);
	return found;
}

/* A page for the stub within +-2 GiB of both site and target. */
static unsigned char *patch_stub_page(uintptr_t near)
{
	uintptr_t page = near & ~(uintptr_t)4095;

	for (uintptr_t d = 1u << 20; d < (1ul << 31) - (1u << 24); d *= 2) {
		for (int dir = 0; dir < 2; dir++) {
			uintptr_t want = dir ? page + d : page - d;
			void *p;

			if (!dir && page < d + 65536)
				continue;
			p = mmap((void *)want, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				 -1, 0);
			if (p == MAP_FAILED)
				continue;
			if ((uintptr_t)p != want) {	/* hint only (old kernel) */
				munmap(p, 4096);
				continue;
			}
			return p;
		}
	}
	return NULL;
}

static bool rel32_ok(uintptr_t from, uintptr_t to)
{
	long long d = (long long)(to - from);

	return d >= INT32_MIN && d <= INT32_MAX;
}

/* Writes the stub for: mov at `mov`, k bytes between, syscall ending at
 * `end`.  Returns the stub's address or 0. */
static uintptr_t patch_make_stub(uintptr_t mov, unsigned k, uintptr_t end,
				 unsigned nr)
{
	unsigned char *pg = patch_stub_page(mov), *s;
	uintptr_t stub;
	int32_t rel;

	if (!pg)
		return 0;
	/* the entry's address first, for `call *entry(%rip)` */
	memcpy(pg, &patch_entry, sizeof(patch_entry));
	s = pg + 16;
	stub = (uintptr_t)s;
	memcpy(s, (const void *)(mov + 5), k);		/* the in-between */
	s += k;
	*s++ = 0xb8;					/* mov $nr,%eax */
	memcpy(s, &nr, 4);
	s += 4;
	memcpy(s, "\x48\x8d\x64\x24\x80", 5);		/* lea -128(%rsp),%rsp */
	s += 5;
	*s++ = 0xff;					/* call *pg(%rip) */
	*s++ = 0x15;
	rel = (int32_t)((intptr_t)pg - (intptr_t)(s + 4));
	memcpy(s, &rel, 4);
	s += 4;
	memcpy(s, "\x48\x8d\xa4\x24\x80\x00\x00\x00", 8); /* lea 128(%rsp),%rsp */
	s += 8;
	*s++ = 0xe9;					/* jmp end */
	if (!rel32_ok((uintptr_t)(s + 4), end) || !rel32_ok(mov + 5, stub)) {
		munmap(pg, 4096);
		return 0;
	}
	rel = (int32_t)((intptr_t)end - (intptr_t)(s + 4));
	memcpy(s, &rel, 4);
	if (mprotect(pg, 4096, PROT_READ | PROT_EXEC)) {
		munmap(pg, 4096);
		return 0;
	}
	return stub;
}

/* One locked 8-byte compare-and-swap; false if the bytes changed. */
static bool patch_cas8(uintptr_t at, uint64_t old, uint64_t new)
{
	uint64_t prev = old;

	__asm__ volatile("lock cmpxchgq %2, (%3)"
			 : "+a"(prev), "+m"(*(volatile uint64_t *)at)
			 : "r"(new), "r"(at)
			 : "memory", "cc");
	return prev == old;
}

static int prot_of(const char *perms)
{
	return (perms[0] == 'r' ? PROT_READ : 0) |
	       (perms[1] == 'w' ? PROT_WRITE : 0) |
	       (perms[2] == 'x' ? PROT_EXEC : 0);
}

static const char *const uring_names[] = {
	"io_uring_setup", "io_uring_enter", "io_uring_register",
};

/* Mark a site as looked at; false if it already was (or no room). */
static bool patch_claim(uintptr_t end)
{
	unsigned h = (unsigned)((end * 0x9e3779b97f4a7c15ull) >> 57);

	for (unsigned i = 0; i < PATCH_SITES; i++) {
		_Atomic uintptr_t *slot = &patch_seen[(h + i) % PATCH_SITES];
		uintptr_t cur = atomic_load(slot);

		if (cur == end)
			return false;
		if (!cur && atomic_compare_exchange_strong(slot, &cur, end))
			return true;
		if (cur == end)
			return false;
	}
	return false;
}

/*
 * Called by the SIGSYS handler after serving io_uring syscall nr, trapped
 * by the syscall instruction that ends at `end`.
 */
static void patch_site(uintptr_t end, unsigned nr)
{
	struct patch_map m;
	uintptr_t sc = end - 2, mov = 0, stub, win, page;
	unsigned k;
	uint64_t old, new;
	unsigned char b[8];
	int32_t rel;
	const char *why = NULL;

	if (!patch_on || atomic_flag_test_and_set(&patch_busy))
		return;			/* busy: the next trap tries again */
	memset(&m, 0, sizeof(m));
	if (!patch_claim(end))
		goto out;
	if (!patch_find_map(sc, &m) || m.perms[0] != 'r' || m.perms[2] != 'x' ||
	    m.perms[3] != 'p' || m.path[0] != '/') {
		why = "not in a readable, executable, file-backed mapping";
		goto done;
	}
	if (sc < m.start + 5 || memcmp((const void *)sc, "\x0f\x05", 2)) {
		why = "unrecognised bytes";
		goto done;
	}
	for (k = 0; k <= 16 && sc - 6 - k >= m.start; k++) {
		const unsigned char *p = (const unsigned char *)(sc - 5 - k);
		uint32_t imm;

		memcpy(&imm, p + 1, 4);
		/* a prefix before b8 would make it another instruction
		 * (41 b8 = mov to %r8d); refuse rather than guess */
		if (p[0] == 0xb8 && imm == nr && !patch_prefix(p[-1]) &&
		    patch_simple_run(p + 5, (const unsigned char *)sc)) {
			mov = (uintptr_t)p;
			break;
		}
	}
	if (!mov) {
		why = "no `mov $nr,%eax` before it followed by simple "
		      "register instructions";
		goto done;
	}
	if ((mov & 63) > 59) {
		why = "the mov crosses a cache line (no atomic rewrite)";
		goto done;
	}
	stub = patch_make_stub(mov, k, end, nr);
	if (!stub) {
		why = "no memory for a stub within +-2 GiB";
		goto done;
	}
	/* the 8 bytes to swap: contain the mov, stay in its cache line */
	win = (mov & 63) <= 56 ? mov : (mov & ~(uintptr_t)63) + 56;
	page = win & ~(uintptr_t)4095;
	if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		why = "mprotect(PROT_WRITE) of the code refused (W^X policy?)";
		goto done;		/* the stub page stays unused */
	}
	memcpy(&old, (const void *)win, 8);
	memcpy(b, &old, 8);
	rel = (int32_t)((intptr_t)stub - (intptr_t)(mov + 5));
	b[mov - win] = 0xe9;
	memcpy(&b[mov - win + 1], &rel, 4);
	memcpy(&new, b, 8);
	if (!patch_cas8(win, old, new))
		why = "the code changed under us";
	mprotect((void *)page, 4096, prot_of(m.perms));
	if (!why) {
		atomic_fetch_add(&patch_count, 1);
		logv("patched %s at %s+%#llx: calls jump to ursa (stub %#lx)",
		     uring_names[nr - SYS_io_uring_setup], m.path,
		     (unsigned long long)(sc - m.start + m.off),
		     (unsigned long)stub);
	}
done:
	if (why)
		logv("%s at %s+%#llx not patched: %s",
		     uring_names[nr - SYS_io_uring_setup],
		     m.path[0] ? m.path : "?",
		     (unsigned long long)(sc - m.start + m.off), why);
out:
	atomic_flag_clear(&patch_busy);
}

#endif
