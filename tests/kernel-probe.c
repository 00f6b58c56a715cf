/* SPDX-License-Identifier: MIT */
/*
 * Description: not a test.  tests/run.sh runs it to learn whether the kernel
 * serves io_uring at all (it may be compiled out, disabled by
 * /proc/sys/kernel/io_uring_disabled, or filtered by seccomp); if not, the
 * [kernel] pass of the suite is skipped.  Uses the raw syscall so that no
 * library is involved.  Exit 0: available; 1: refused (reason printed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif

int main(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 1, &p);
	if (fd < 0) {
		printf("kernel refuses io_uring: io_uring_setup: %s\n",
		       strerror(errno));
		return 1;
	}
	close((int)fd);
	return 0;
}
