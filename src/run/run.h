/* SPDX-License-Identifier: MIT */
/*
 * Shared by ursa-run's launcher, its preloaded interposer, the deny-io_uring
 * test launcher and the trap benchmark: environment names, exit codes, the
 * seccomp constants, a raw x86-64 syscall and an ELF "is it static?" check.
 */
#ifndef URSA_RUN_RUN_H
#define URSA_RUN_RUN_H

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

/* Exit codes (distinct from the program's usual ones, documented). */
#define URSA_RUN_EXIT_USAGE	2	/* bad command line */
#define URSA_RUN_EXIT_STATIC	96	/* PROGRAM is static: the preload cannot reach it */
#define URSA_RUN_EXIT_SETUP	97	/* launcher/preload could not set up (libs missing...) */
#define URSA_RUN_EXIT_SECCOMP	98	/* prctl(NO_NEW_PRIVS) or seccomp() refused */
#define URSA_RUN_EXIT_INTERNAL	99	/* the interposer hit an impossible state */

/* What the launcher tells the preload, and what each image passes on. */
#define ENV_RUN_BACKEND	"URSA_RUN_BACKEND"	/* "ursa" (the preload serves) */
#define ENV_RUN_REASON	"URSA_RUN_REASON"	/* why that backend, for URSA_LOG */
#define ENV_RUN_MODE	"URSA_RUN_SIGNALS"	/* "trap" (default) or "wrap" */
#define ENV_RUN_LIBS	"URSA_RUN_LIBS"		/* the LD_PRELOAD entries to keep */
#define ENV_RUN_TRAMP	"URSA_RUN_TRAMPOLINE"	/* trampoline address, hex (set by the preload) */
#define ENV_RUN_FD_BASE	"URSA_RUN_FD_BASE"	/* ring fd base (set by the preload, or by the user) */
#define ENV_RUN_FILTER	"URSA_RUN_FILTER"	/* "1" once a filter is installed */
#define ENV_LOG		"URSA_LOG"

/* SECCOMP_RET_DATA of our traps: tells our SIGSYS from anybody else's. */
#define URSA_RUN_TRAP_DATA	0x7572u

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#if defined(__x86_64__)
/* A syscall from this very instruction (for calls no filter traps). */
static inline long run_raw_syscall(long nr, long a0, long a1, long a2, long a3,
				   long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#endif

enum run_elf_kind {
	RUN_ELF_UNKNOWN = 0,	/* cannot tell (unreadable, not ELF, other arch) */
	RUN_ELF_DYNAMIC,	/* has PT_INTERP: the dynamic loader honours LD_PRELOAD */
	RUN_ELF_STATIC,		/* no PT_INTERP (static or static-pie) */
	RUN_ELF_SCRIPT,		/* "#!": *interp receives the interpreter path */
};

/*
 * Classify an executable opened on fd, reading with pread only (no stdio,
 * no allocation: the interposer calls this from its SIGSYS handler).
 */
static inline enum run_elf_kind run_elf_kind_fd(int fd, char *interp,
						size_t interp_sz)
{
	unsigned char buf[256];
	Elf64_Ehdr eh;
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		size_t i = 2, j = 0;

		while (i < (size_t)n && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		while (i < (size_t)n && buf[i] != ' ' && buf[i] != '\t' &&
		       buf[i] != '\n' && j + 1 < interp_sz)
			interp[j++] = (char)buf[i++];
		if (interp_sz)
			interp[j] = 0;
		return j ? RUN_ELF_SCRIPT : RUN_ELF_UNKNOWN;
	}
	if (n < (ssize_t)sizeof(eh))
		return RUN_ELF_UNKNOWN;
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return RUN_ELF_UNKNOWN;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			return RUN_ELF_UNKNOWN;
		if (ph.p_type == PT_INTERP)
			return RUN_ELF_DYNAMIC;
	}
	return RUN_ELF_STATIC;
}

#endif
