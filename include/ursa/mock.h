/* SPDX-License-Identifier: MIT */
/*
 * The mock device: ursa's counterpart of the kernel's io_uring mock file
 * driver (io_uring/mock_file.c, uapi linux/io_uring/mock_file.h), with the
 * same commands, structures and numbers.  Where the kernel's program opens
 * /dev/io_uring_mock, an ursa program calls ursa_mock_open().
 *
 * Differences, because ursa is not the kernel: no CAP_SYS_ADMIN check (the
 * device lives in the caller's process) and no taint.
 */
#ifndef URSA_MOCK_H
#define URSA_MOCK_H

#include <linux/types.h>

enum {
	IORING_MOCK_FEAT_CMD_COPY,
	IORING_MOCK_FEAT_RW_ZERO,
	IORING_MOCK_FEAT_RW_NOWAIT,
	IORING_MOCK_FEAT_RW_ASYNC,
	IORING_MOCK_FEAT_POLL,

	IORING_MOCK_FEAT_END,
};

struct io_uring_mock_probe {
	__u64		features;
	__u64		__resv[9];
};

enum {
	IORING_MOCK_CREATE_F_SUPPORT_NOWAIT	= 1,
	IORING_MOCK_CREATE_F_POLL		= 2,
};

struct io_uring_mock_create {
	__u32		out_fd;
	__u32		flags;
	__u64		file_size;
	__u64		rw_delay_ns;
	__u64		__resv[13];
};

/* Commands to the manager device (ursa_mock_open()). */
enum {
	IORING_MOCK_MGR_CMD_PROBE,
	IORING_MOCK_MGR_CMD_CREATE,
};

/* Commands to a mock file. */
enum {
	IORING_MOCK_CMD_COPY_REGBUF,
};

enum {
	IORING_MOCK_COPY_FROM	= 1,
};

#ifdef __cplusplus
extern "C" {
#endif
/* The manager device ("/dev/io_uring_mock"): an fd, or -errno. */
int ursa_mock_open(void);
#ifdef __cplusplus
}
#endif
#endif
