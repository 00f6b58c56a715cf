/* SPDX-License-Identifier: MIT */
/*
 * ursa: zero-copy receive (zcrx) uAPI, kernel numbers and layouts.
 *
 * The kernel keeps these in <linux/io_uring/zcrx.h> (included by
 * <linux/io_uring.h>); the guard is the kernel's so both can be included.
 */
#ifndef LINUX_IO_ZCRX_H
#define LINUX_IO_ZCRX_H

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Refill-queue entry: the app hands a received chunk back to the area. */
struct io_uring_zcrx_rqe {
	__u64	off;		/* area token | offset inside the area */
	__u32	len;
	__u32	__pad;
};

/* Second half of the 32-byte CQE that IORING_OP_RECV_ZC posts. */
struct io_uring_zcrx_cqe {
	__u64	off;		/* area id << IORING_ZCRX_AREA_SHIFT | offset */
	__u64	__pad;
};

/* Offsets carry the area id from this bit up. */
#define IORING_ZCRX_AREA_SHIFT	48
#define IORING_ZCRX_AREA_MASK	(~(((__u64)1 << IORING_ZCRX_AREA_SHIFT) - 1))

/* Refill-ring layout inside its region, filled in at registration. */
struct io_uring_zcrx_offsets {
	__u32	head;
	__u32	tail;
	__u32	rqes;
	__u32	__resv2;
	__u64	__resv[2];
};

/* io_uring_zcrx_area_reg.flags */
enum io_uring_zcrx_area_flags {
	IORING_ZCRX_AREA_DMABUF		= 1,	/* area is dmabuf_fd, addr = offset */
};

/* Receive area: where payload lands. */
struct io_uring_zcrx_area_reg {
	__u64	addr;
	__u64	len;
	__u64	rq_area_token;	/* out: area id << IORING_ZCRX_AREA_SHIFT */
	__u32	flags;
	__u32	dmabuf_fd;
	__u64	__resv2[2];
};

/* io_uring_zcrx_ifq_reg.flags */
enum zcrx_reg_flags {
	/* if_idx is an fd from ZCRX_CTRL_EXPORT; share that instance */
	ZCRX_REG_IMPORT		= 1,
	/*
	 * No network device: every byte is copied into the area. Nothing
	 * drains the refill queue by itself, so the app flushes it with
	 * ZCRX_CTRL_FLUSH_RQ.
	 */
	ZCRX_REG_NODEV		= 2,
};

/* io_uring_query_zcrx.features */
enum zcrx_features {
	/* io_uring_zcrx_ifq_reg.rx_buf_len may ask for a buffer size */
	ZCRX_FEATURE_RX_PAGE_SIZE	= 1 << 0,
};

/* IORING_REGISTER_ZCRX_IFQ argument */
struct io_uring_zcrx_ifq_reg {
	__u32	if_idx;
	__u32	if_rxq;
	__u32	rq_entries;
	__u32	flags;		/* enum zcrx_reg_flags */

	__u64	area_ptr;	/* struct io_uring_zcrx_area_reg * */
	__u64	region_ptr;	/* struct io_uring_region_desc * */

	struct io_uring_zcrx_offsets offsets;	/* out */
	__u32	zcrx_id;	/* out */
	__u32	rx_buf_len;	/* 0 = page size; out: the size in use */
	__u64	__resv[3];
};

/* zcrx_ctrl.op (IORING_REGISTER_ZCRX_CTRL) */
enum zcrx_ctrl_op {
	ZCRX_CTRL_FLUSH_RQ,	/* consume the refill queue now */
	ZCRX_CTRL_EXPORT,	/* make an fd another ring can import */

	__ZCRX_CTRL_LAST,
};

struct zcrx_ctrl_flush_rq {
	__u64	__resv[6];
};

struct zcrx_ctrl_export {
	__u32	zcrx_fd;	/* out */
	__u32	__resv1[11];
};

/* IORING_REGISTER_ZCRX_CTRL argument */
struct zcrx_ctrl {
	__u32	zcrx_id;
	__u32	op;		/* enum zcrx_ctrl_op */
	__u64	__resv[2];

	union {
		struct zcrx_ctrl_export		zc_export;
		struct zcrx_ctrl_flush_rq	zc_flush;
	};
};

#ifdef __cplusplus
}
#endif

#endif /* LINUX_IO_ZCRX_H */
