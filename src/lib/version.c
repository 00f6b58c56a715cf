/* SPDX-License-Identifier: MIT */
/*
 * The liburing API level libursa provides (liburing 2.15).
 */
#include "lib.h"

int io_uring_major_version(void)
{
	return IO_URING_VERSION_MAJOR;
}

int io_uring_minor_version(void)
{
	return IO_URING_VERSION_MINOR;
}

/* True when the library is OLDER than major.minor (liburing's sense). */
bool io_uring_check_version(int major, int minor)
{
	int have_major = io_uring_major_version();
	int have_minor = io_uring_minor_version();

	return major > have_major ||
	       (major == have_major && minor > have_minor);
}
