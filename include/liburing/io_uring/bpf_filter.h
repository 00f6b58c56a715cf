/* SPDX-License-Identifier: MIT */
/*
 * ursa: IORING_REGISTER_BPF_FILTER uAPI, kernel numbers and layouts
 * (the kernel's <linux/io_uring/bpf_filter.h>, same guard). The filters are
 * classic BPF programs run per opcode at submission; 0 denies (-EACCES).
 */
#ifndef LINUX_IO_URING_BPF_FILTER_H
#define LINUX_IO_URING_BPF_FILTER_H

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The data a filter program loads from (its "packet"). */
struct io_uring_bpf_ctx {
	__u64	user_data;
	__u8	opcode;
	__u8	sqe_flags;
	__u8	pdu_size;	/* bytes of opcode-specific data below */
	__u8	pad[5];
	union {
		struct {	/* IORING_OP_SOCKET */
			__u32	family;
			__u32	type;
			__u32	protocol;
		} socket;
		struct {	/* IORING_OP_OPENAT / OPENAT2 */
			__u64	flags;
			__u64	mode;
			__u64	resolve;
		} open;
	};
};

/* io_uring_bpf_filter.flags */
enum {
	/* every opcode without a filter yet gets a deny-all filter */
	IO_URING_BPF_FILTER_DENY_REST	= 1,
	/* fail (-EMSGSIZE) if pdu_size differs from the kernel's */
	IO_URING_BPF_FILTER_SZ_STRICT	= 2,
};

struct io_uring_bpf_filter {
	__u32	opcode;		/* IORING_OP_* this filter guards */
	__u32	flags;
	__u32	filter_len;	/* instructions at filter_ptr */
	__u8	pdu_size;	/* in: expected; out: the kernel's */
	__u8	resv[3];
	__u64	filter_ptr;	/* struct sock_filter * */
	__u64	resv2[5];
};

/* io_uring_bpf.cmd_type */
enum {
	IO_URING_BPF_CMD_FILTER	= 1,
};

/* IORING_REGISTER_BPF_FILTER argument */
struct io_uring_bpf {
	__u16	cmd_type;	/* IO_URING_BPF_CMD_* */
	__u16	cmd_flags;	/* must be 0 */
	__u32	resv;
	union {
		struct io_uring_bpf_filter	filter;
	};
};

#ifdef __cplusplus
}
#endif

#endif /* LINUX_IO_URING_BPF_FILTER_H */
