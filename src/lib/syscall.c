/* SPDX-License-Identifier: MIT */
/*
 * liburing's raw io_uring "syscall" entry points.  In libursa they reach
 * whichever io_uring serves the ring (ursa's engine, or the kernel when
 * URSA_BACKEND=kernel) and return -errno on failure, like liburing's.
 */
#include "lib.h"

int io_uring_setup(unsigned int entries, struct io_uring_params *p)
{
	return lib_setup(entries, p);
}

int io_uring_enter(unsigned int fd, unsigned int to_submit,
		   unsigned int min_complete, unsigned int flags, sigset_t *sig)
{
	return lib_enter(fd, to_submit, min_complete, flags, sig);
}

int io_uring_enter2(unsigned int fd, unsigned int to_submit,
		    unsigned int min_complete, unsigned int flags,
		    void *arg, size_t sz)
{
	return lib_enter2(fd, to_submit, min_complete, flags, arg, sz);
}

int io_uring_register(unsigned int fd, unsigned int opcode, const void *arg,
		      unsigned int nr_args)
{
	return lib_register(fd, opcode, arg, nr_args);
}
