/* SPDX-License-Identifier: MIT */
/*
 * deny-io_uring [-e ERRNO] [-s] PROGRAM [ARGS]: run PROGRAM under a seccomp
 * filter that answers io_uring_setup, io_uring_enter and io_uring_register
 * with EPERM (or ERRNO), the way Docker's default profile does; with -s,
 * seccomp() too (a sandbox that lets nobody add filters).  A test helper
 * for ursa-run: what runs under it cannot use the kernel's io_uring.
 * Exit codes: 98 if prctl/seccomp are refused, 127/126 if PROGRAM cannot be
 * executed, else PROGRAM's.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "run/run.h"

int main(int argc, char **argv)
{
	unsigned err = EPERM, deny_seccomp = 0;
	int i = 1, e;

	for (;;) {
		if (i + 1 < argc && !strcmp(argv[i], "-e")) {
			err = (unsigned)atoi(argv[i + 1]);
			i += 2;
		} else if (i < argc && !strcmp(argv[i], "-s")) {
			deny_seccomp = 1;
			i++;
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: deny-io_uring [-e ERRNO] [-s] PROGRAM [ARGS...]\n");
		return 2;
	}

	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* (a number no syscall has unless -s) */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 deny_seccomp ? __NR_seccomp : 0xffffffffu, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		fprintf(stderr, "deny-io_uring: cannot install a seccomp filter: %s\n",
			strerror(errno));
		return URSA_RUN_EXIT_SECCOMP;
	}
	execvp(argv[i], argv + i);
	e = errno;
	fprintf(stderr, "deny-io_uring: %s: %s\n", argv[i], strerror(e));
	return e == ENOENT ? 127 : 126;
}
