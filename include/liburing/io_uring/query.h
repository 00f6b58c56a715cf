/* SPDX-License-Identifier: MIT */
/*
 * ursa: IORING_REGISTER_QUERY uAPI, kernel numbers and layouts
 * (the kernel's <linux/io_uring/query.h>, same guard).
 */
#ifndef LINUX_IO_URING_QUERY_H
#define LINUX_IO_URING_QUERY_H

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One query in a chain; the answer goes to query_data. */
struct io_uring_query_hdr {
	__u64	next_entry;	/* next io_uring_query_hdr *, 0 ends */
	__u64	query_data;	/* answer buffer */
	__u32	query_op;	/* IO_URING_QUERY_* */
	__u32	size;		/* in: buffer size; out: bytes written */
	__s32	result;		/* out: 0 or -errno for this entry */
	__u32	__resv[3];
};

enum {
	IO_URING_QUERY_OPCODES			= 0,
	IO_URING_QUERY_ZCRX			= 1,
	IO_URING_QUERY_SCQ			= 2,

	__IO_URING_QUERY_MAX,
};

/* IO_URING_QUERY_OPCODES answer; needs no ring */
struct io_uring_query_opcode {
	__u32	nr_request_opcodes;	/* IORING_OP_LAST */
	__u32	nr_register_opcodes;	/* IORING_REGISTER_LAST */
	__u64	feature_flags;		/* IORING_FEAT_* */
	__u64	ring_setup_flags;	/* IORING_SETUP_* */
	__u64	enter_flags;		/* IORING_ENTER_* */
	__u64	sqe_flags;		/* IOSQE_* */
	__u32	nr_query_opcodes;
	__u32	__pad;
};

/* IO_URING_QUERY_ZCRX answer */
struct io_uring_query_zcrx {
	__u64	register_flags;		/* ZCRX_REG_* */
	__u64	area_flags;		/* IORING_ZCRX_AREA_* */
	__u32	nr_ctrl_opcodes;	/* ZCRX_CTRL_* count */
	__u32	features;		/* ZCRX_FEATURE_* */
	__u32	rq_hdr_size;		/* refill ring header bytes */
	__u32	rq_hdr_alignment;
	__u64	__resv2;
};

/* IO_URING_QUERY_SCQ answer: sizing IORING_SETUP_NO_MMAP ring memory */
struct io_uring_query_scq {
	__u64	hdr_size;		/* SQ/CQ ring header bytes */
	__u64	hdr_alignment;
};

#ifdef __cplusplus
}
#endif

#endif /* LINUX_IO_URING_QUERY_H */
