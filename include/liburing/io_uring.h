/* SPDX-License-Identifier: MIT */
/*
 * ursa: the io_uring user-space ABI (uAPI).
 *
 * Numbers and layouts are the Linux kernel's, so that SQEs, CQEs and register
 * arguments built against this header mean the same thing to ursa's engine
 * and to the kernel (URSA_BACKEND=kernel). The text is ursa's own.
 *
 * The include guard is the kernel's (and liburing's) on purpose: a program
 * that also includes <linux/io_uring.h> gets one set of definitions, not two.
 *
 * Items marked "PROPOSED" are from patch series that no released kernel has;
 * a real kernel rejects them (usually -EINVAL). Everything else is mainline.
 */
#ifndef LINUX_IO_URING_H
#define LINUX_IO_URING_H

#include <linux/fs.h>		/* __kernel_rwf_t, RWF_* */
#include <linux/types.h>
/* Same opt-out macro as the kernel header, for very old kernel headers. */
#ifndef UAPI_LINUX_IO_URING_H_SKIP_LINUX_TIME_TYPES_H
#include <linux/time_types.h>	/* struct __kernel_timespec */
#endif

/* The kernel split zcrx out of this header but still pulls it in here. */
#include "io_uring/zcrx.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Submission queue entry: 64 bytes, or 128 with IORING_SETUP_SQE128 (and
 * for the *128 opcodes on IORING_SETUP_SQE_MIXED rings), where the extra
 * 64 bytes continue the cmd[] area.
 */
struct io_uring_sqe {
	__u8	opcode;		/* IORING_OP_* */
	__u8	flags;		/* IOSQE_* */
	__u16	ioprio;		/* I/O priority, or per-opcode flags */
	__s32	fd;		/* target file (or fixed-file index) */
	union {			/* offset 8 */
		__u64	off;	/* file offset */
		__u64	addr2;	/* second pointer for some opcodes */
		struct {
			__u32	cmd_op;	/* URING_CMD sub-command */
			__u32	__pad1;
		};
	};
	union {			/* offset 16 */
		__u64	addr;	/* buffer or iovec array */
		__u64	splice_off_in;
		struct {
			__u32	level;	/* socket option commands */
			__u32	optname;
		};
	};
	__u32	len;		/* byte count or iovec count */
	union {			/* offset 28: per-opcode flags word */
		__kernel_rwf_t	rw_flags;
		__u32		fsync_flags;
		__u16		poll_events;	/* legacy 16-bit events */
		__u32		poll32_events;	/* halfword-swapped on BE */
		__u32		sync_range_flags;
		__u32		msg_flags;
		__u32		timeout_flags;
		__u32		accept_flags;
		__u32		cancel_flags;
		__u32		open_flags;
		__u32		statx_flags;
		__u32		fadvise_advice;
		__u32		splice_flags;
		__u32		rename_flags;
		__u32		unlink_flags;
		__u32		hardlink_flags;
		__u32		xattr_flags;
		__u32		msg_ring_flags;
		__u32		uring_cmd_flags;
		__u32		waitid_flags;
		__u32		futex_flags;
		__u32		install_fd_flags;
		__u32		nop_flags;
		__u32		pipe_flags;
	};
	__u64	user_data;	/* echoed back in the CQE */
	/* packed keeps old ARM ABIs from padding this 2-byte union */
	union {			/* offset 40 */
		__u16	buf_index;	/* registered buffer index */
		__u16	buf_group;	/* provided-buffer group id */
	} __attribute__((packed));
	__u16	personality;	/* registered credentials id, 0 = none */
	union {			/* offset 44 */
		__s32	splice_fd_in;
		__u32	file_index;	/* direct-descriptor slot (+1) */
		__u32	zcrx_ifq_idx;
		__u32	optlen;
		struct {
			__u16	addr_len;
			__u16	__pad3[1];
		};
		struct {
			__u8	write_stream;
			__u8	__pad4[3];
		};
	};
	union {			/* offset 48 */
		struct {
			__u64	addr3;
			__u64	__pad2[1];
		};
		struct {
			__u64	attr_ptr;	/* -> attribute (e.g. PI) */
			__u64	attr_type_mask;	/* IORING_RW_ATTR_FLAG_* */
		};
		__u64	optval;
		/*
		 * Command payload for URING_CMD: 16 bytes in a 64-byte SQE,
		 * 80 bytes in a 128-byte SQE.
		 */
		__u8	cmd[0];
	};
};

/* sqe->attr_type_mask bits */
#define IORING_RW_ATTR_FLAG_PI	(1U << 0)

/* Protection-information attribute, pointed to by sqe->attr_ptr. */
struct io_uring_attr_pi {
	__u16	flags;
	__u16	app_tag;
	__u32	len;
	__u64	addr;
	__u64	seed;
	__u64	rsvd;
};

/*
 * sqe->file_index value asking the ring to pick a free direct-descriptor
 * slot itself; the chosen slot comes back in cqe->res.
 */
#define IORING_FILE_INDEX_ALLOC		(~0U)

enum io_uring_sqe_flags_bit {
	IOSQE_FIXED_FILE_BIT,
	IOSQE_IO_DRAIN_BIT,
	IOSQE_IO_LINK_BIT,
	IOSQE_IO_HARDLINK_BIT,
	IOSQE_ASYNC_BIT,
	IOSQE_BUFFER_SELECT_BIT,
	IOSQE_CQE_SKIP_SUCCESS_BIT,
};

/* sqe->flags */
#define IOSQE_FIXED_FILE	(1U << IOSQE_FIXED_FILE_BIT)	/* fd is a registered-file index */
#define IOSQE_IO_DRAIN		(1U << IOSQE_IO_DRAIN_BIT)	/* wait for all earlier requests */
#define IOSQE_IO_LINK		(1U << IOSQE_IO_LINK_BIT)	/* next SQE runs after this one */
#define IOSQE_IO_HARDLINK	(1U << IOSQE_IO_HARDLINK_BIT)	/* link that survives failure */
#define IOSQE_ASYNC		(1U << IOSQE_ASYNC_BIT)		/* skip the inline attempt */
#define IOSQE_BUFFER_SELECT	(1U << IOSQE_BUFFER_SELECT_BIT)	/* pick from sqe->buf_group */
#define IOSQE_CQE_SKIP_SUCCESS	(1U << IOSQE_CQE_SKIP_SUCCESS_BIT) /* no CQE unless it fails */

/* io_uring_setup(2) flags (io_uring_params.flags) */
#define IORING_SETUP_IOPOLL		(1U << 0)	/* busy-poll for completions */
#define IORING_SETUP_SQPOLL		(1U << 1)	/* a thread polls the SQ */
#define IORING_SETUP_SQ_AFF		(1U << 2)	/* sq_thread_cpu is set */
#define IORING_SETUP_CQSIZE		(1U << 3)	/* cq_entries is set */
#define IORING_SETUP_CLAMP		(1U << 4)	/* clamp sizes instead of failing */
#define IORING_SETUP_ATTACH_WQ		(1U << 5)	/* share wq_fd's worker pool */
#define IORING_SETUP_R_DISABLED		(1U << 6)	/* start disabled (ENABLE_RINGS) */
#define IORING_SETUP_SUBMIT_ALL		(1U << 7)	/* keep submitting after an error */
/* Run completion task work only at the next kernel entry: no forced IPIs. */
#define IORING_SETUP_COOP_TASKRUN	(1U << 8)
/* Raise IORING_SQ_TASKRUN when task work waits (COOP/DEFER_TASKRUN only). */
#define IORING_SETUP_TASKRUN_FLAG	(1U << 9)
#define IORING_SETUP_SQE128		(1U << 10)	/* every SQE is 128 bytes */
#define IORING_SETUP_CQE32		(1U << 11)	/* every CQE is 32 bytes */
#define IORING_SETUP_SINGLE_ISSUER	(1U << 12)	/* one task submits */
/* Task work runs only when the submitter waits for events. */
#define IORING_SETUP_DEFER_TASKRUN	(1U << 13)
#define IORING_SETUP_NO_MMAP		(1U << 14)	/* app supplies ring memory */
/* Return a registered-ring index instead of a file descriptor. */
#define IORING_SETUP_REGISTERED_FD_ONLY	(1U << 15)
#define IORING_SETUP_NO_SQARRAY		(1U << 16)	/* SQ tail indexes SQEs directly */
#define IORING_SETUP_HYBRID_IOPOLL	(1U << 17)	/* sleep, then poll */
/* 16- and 32-byte CQEs on one ring; big ones carry IORING_CQE_F_32. */
#define IORING_SETUP_CQE_MIXED		(1U << 18)
/* 64- and 128-byte SQEs on one ring; big ones use the *128 opcodes. */
#define IORING_SETUP_SQE_MIXED		(1U << 19)
/*
 * Each submit takes SQEs from slot 0 onward and ignores SQ head/tail (the
 * app leaves both at 0). Needs NO_SQARRAY, excludes SQPOLL. Since 7.0.
 */
#define IORING_SETUP_SQ_REWIND		(1U << 20)

enum io_uring_op {
	IORING_OP_NOP,			/*  0 */
	IORING_OP_READV,
	IORING_OP_WRITEV,
	IORING_OP_FSYNC,
	IORING_OP_READ_FIXED,
	IORING_OP_WRITE_FIXED,		/*  5 */
	IORING_OP_POLL_ADD,
	IORING_OP_POLL_REMOVE,
	IORING_OP_SYNC_FILE_RANGE,
	IORING_OP_SENDMSG,
	IORING_OP_RECVMSG,		/* 10 */
	IORING_OP_TIMEOUT,
	IORING_OP_TIMEOUT_REMOVE,
	IORING_OP_ACCEPT,
	IORING_OP_ASYNC_CANCEL,
	IORING_OP_LINK_TIMEOUT,		/* 15 */
	IORING_OP_CONNECT,
	IORING_OP_FALLOCATE,
	IORING_OP_OPENAT,
	IORING_OP_CLOSE,
	IORING_OP_FILES_UPDATE,		/* 20 */
	IORING_OP_STATX,
	IORING_OP_READ,
	IORING_OP_WRITE,
	IORING_OP_FADVISE,
	IORING_OP_MADVISE,		/* 25 */
	IORING_OP_SEND,
	IORING_OP_RECV,
	IORING_OP_OPENAT2,
	IORING_OP_EPOLL_CTL,
	IORING_OP_SPLICE,		/* 30 */
	IORING_OP_PROVIDE_BUFFERS,
	IORING_OP_REMOVE_BUFFERS,
	IORING_OP_TEE,
	IORING_OP_SHUTDOWN,
	IORING_OP_RENAMEAT,		/* 35 */
	IORING_OP_UNLINKAT,
	IORING_OP_MKDIRAT,
	IORING_OP_SYMLINKAT,
	IORING_OP_LINKAT,
	IORING_OP_MSG_RING,		/* 40 */
	IORING_OP_FSETXATTR,
	IORING_OP_SETXATTR,
	IORING_OP_FGETXATTR,
	IORING_OP_GETXATTR,
	IORING_OP_SOCKET,		/* 45 */
	IORING_OP_URING_CMD,
	IORING_OP_SEND_ZC,
	IORING_OP_SENDMSG_ZC,
	IORING_OP_READ_MULTISHOT,
	IORING_OP_WAITID,		/* 50 */
	IORING_OP_FUTEX_WAIT,
	IORING_OP_FUTEX_WAKE,
	IORING_OP_FUTEX_WAITV,
	IORING_OP_FIXED_FD_INSTALL,
	IORING_OP_FTRUNCATE,		/* 55 */
	IORING_OP_BIND,
	IORING_OP_LISTEN,
	IORING_OP_RECV_ZC,
	IORING_OP_EPOLL_WAIT,
	IORING_OP_READV_FIXED,		/* 60 */
	IORING_OP_WRITEV_FIXED,
	IORING_OP_PIPE,
	IORING_OP_NOP128,
	IORING_OP_URING_CMD128,

	/* one past the highest opcode; sizes per-opcode tables */
	IORING_OP_LAST,			/* 65 */
};

/*
 * sqe->uring_cmd_flags. The top 8 bits belong to the kernel.
 * IORING_URING_CMD_FIXED: the command uses registered buffer sqe->buf_index.
 * IORING_URING_CMD_MULTISHOT: the command posts CQEs (IORING_CQE_F_MORE)
 *	until the driver ends it, each with a provided buffer; requires
 *	IOSQE_BUFFER_SELECT and excludes FIXED. In the kernel's uAPI (merged
 *	2025) although liburing's copy of this header lacks it.
 */
#define IORING_URING_CMD_FIXED		(1U << 0)
#define IORING_URING_CMD_MULTISHOT	(1U << 1)
#define IORING_URING_CMD_MASK		(IORING_URING_CMD_FIXED | \
					 IORING_URING_CMD_MULTISHOT)

/* sqe->fsync_flags */
#define IORING_FSYNC_DATASYNC		(1U << 0)

/*
 * sqe->timeout_flags. The clock is CLOCK_MONOTONIC unless BOOTTIME or
 * REALTIME is given. IMMEDIATE_ARG: sqe->addr (sqe->addr2 for updates) holds
 * the timeout in nanoseconds instead of a pointer to a timespec (since 7.1).
 */
#define IORING_TIMEOUT_ABS		(1U << 0)
#define IORING_TIMEOUT_UPDATE		(1U << 1)
#define IORING_TIMEOUT_BOOTTIME		(1U << 2)
#define IORING_TIMEOUT_REALTIME		(1U << 3)
#define IORING_LINK_TIMEOUT_UPDATE	(1U << 4)
#define IORING_TIMEOUT_ETIME_SUCCESS	(1U << 5)
#define IORING_TIMEOUT_MULTISHOT	(1U << 6)
#define IORING_TIMEOUT_IMMEDIATE_ARG	(1U << 7)
#define IORING_TIMEOUT_CLOCK_MASK	(IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME)
#define IORING_TIMEOUT_UPDATE_MASK	(IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE)

/* sqe->splice_flags: splice(2) flags plus this one (sqe->splice_fd_in is fixed) */
#define SPLICE_F_FD_IN_FIXED		(1U << 31)

/*
 * POLL_ADD / POLL_REMOVE command flags. They travel in sqe->len because the
 * flags word holds the poll mask.
 * ADD_MULTI: keep reporting (IORING_CQE_F_MORE) until cancelled.
 * UPDATE_EVENTS / UPDATE_USER_DATA: modify the poll whose user_data is
 *	sqe->addr (new events in poll32_events, new user_data in sqe->off).
 * ADD_LEVEL: level-triggered instead of edge-triggered.
 */
#define IORING_POLL_ADD_MULTI		(1U << 0)
#define IORING_POLL_UPDATE_EVENTS	(1U << 1)
#define IORING_POLL_UPDATE_USER_DATA	(1U << 2)
#define IORING_POLL_ADD_LEVEL		(1U << 3)

/*
 * ASYNC_CANCEL (and IORING_REGISTER_SYNC_CANCEL) match keys and modes.
 * ALL: cancel every match, not just the first. FD: match on sqe->fd.
 * ANY: match everything. FD_FIXED: the fd is a registered-file index.
 * USERDATA: match on user_data (the default). OP: match on opcode (sqe->len).
 */
#define IORING_ASYNC_CANCEL_ALL		(1U << 0)
#define IORING_ASYNC_CANCEL_FD		(1U << 1)
#define IORING_ASYNC_CANCEL_ANY		(1U << 2)
#define IORING_ASYNC_CANCEL_FD_FIXED	(1U << 3)
#define IORING_ASYNC_CANCEL_USERDATA	(1U << 4)
#define IORING_ASYNC_CANCEL_OP		(1U << 5)

/*
 * send/recv family flags, in sqe->ioprio.
 * POLL_FIRST: arm poll before the first attempt instead of trying first.
 * RECV_MULTISHOT: keep receiving into provided buffers (IORING_CQE_F_MORE).
 * FIXED_BUF: the data is in registered buffer sqe->buf_index.
 * SEND_ZC_REPORT_USAGE: the notification CQE's res tells whether data was
 *	copied (IORING_NOTIF_USAGE_ZC_COPIED) or really sent zero-copy (0).
 * BUNDLE: with IOSQE_BUFFER_SELECT, use several consecutive provided
 *	buffers in one operation; res is the byte count, the first buffer id
 *	is in cqe->flags.
 * SEND_VECTORIZED: SEND / SEND_ZC take an iovec array in sqe->addr.
 */
#define IORING_RECVSEND_POLL_FIRST	(1U << 0)
#define IORING_RECV_MULTISHOT		(1U << 1)
#define IORING_RECVSEND_FIXED_BUF	(1U << 2)
#define IORING_SEND_ZC_REPORT_USAGE	(1U << 3)
#define IORING_RECVSEND_BUNDLE		(1U << 4)
#define IORING_SEND_VECTORIZED		(1U << 5)

/* Flag bit in a zero-copy notification's cqe->res; other bits reserved. */
#define IORING_NOTIF_USAGE_ZC_COPIED	(1U << 31)

/* accept flags, in sqe->ioprio */
#define IORING_ACCEPT_MULTISHOT		(1U << 0)
#define IORING_ACCEPT_DONTWAIT		(1U << 1)
#define IORING_ACCEPT_POLL_FIRST	(1U << 2)

/* IORING_OP_MSG_RING command, in sqe->addr */
enum io_uring_msg_ring_flags {
	IORING_MSG_DATA,	/* post res = sqe->len, user_data = sqe->off */
	IORING_MSG_SEND_FD,	/* install a registered file in the target */
};

/*
 * sqe->msg_ring_flags.
 * CQE_SKIP: post nothing on the target ring (SEND_FD only).
 * FLAGS_PASS: the target CQE's flags are taken from sqe->file_index.
 */
#define IORING_MSG_RING_CQE_SKIP	(1U << 0)
#define IORING_MSG_RING_FLAGS_PASS	(1U << 1)

/* sqe->install_fd_flags: the installed fd is not close-on-exec */
#define IORING_FIXED_FD_NO_CLOEXEC	(1U << 0)

/*
 * sqe->nop_flags.
 * INJECT_RESULT: complete with res = sqe->len. FILE / FIXED_FILE: resolve
 * sqe->fd (as a registered index). FIXED_BUFFER: look up sqe->buf_index.
 * TW: complete through task work. CQE32: post a 32-byte CQE (big_cqe[]
 * filled from the SQE).
 */
#define IORING_NOP_INJECT_RESULT	(1U << 0)
#define IORING_NOP_FILE			(1U << 1)
#define IORING_NOP_FIXED_FILE		(1U << 2)
#define IORING_NOP_FIXED_BUFFER		(1U << 3)
#define IORING_NOP_TW			(1U << 4)
#define IORING_NOP_CQE32		(1U << 5)

/*
 * Completion queue entry: 16 bytes, or 32 with IORING_SETUP_CQE32 (or when
 * IORING_CQE_F_32 is set on a CQE_MIXED ring); big_cqe[] is the extra half.
 */
struct io_uring_cqe {
	__u64	user_data;	/* copied from the SQE */
	__s32	res;		/* result, or -errno */
	__u32	flags;		/* IORING_CQE_F_*, buffer id in bits 16..31 */
	__u64	big_cqe[];
};

/*
 * cqe->flags.
 * BUFFER: a provided buffer was used; its id is flags >> 16.
 * MORE: the same request will post further CQEs.
 * SOCK_NONEMPTY: the socket still had data after this receive.
 * NOTIF: a zero-copy send notification, not the send's own result.
 * BUF_MORE: an incrementally consumed buffer (IOU_PBUF_RING_INC) is not
 *	used up; more completions will point into it.
 * SKIP: filler to keep a 32-byte CQE from wrapping; ignore it.
 * 32: this is a 32-byte CQE on a CQE_MIXED ring.
 */
#define IORING_CQE_F_BUFFER		(1U << 0)
#define IORING_CQE_F_MORE		(1U << 1)
#define IORING_CQE_F_SOCK_NONEMPTY	(1U << 2)
#define IORING_CQE_F_NOTIF		(1U << 3)
#define IORING_CQE_F_BUF_MORE		(1U << 4)
#define IORING_CQE_F_SKIP		(1U << 5)
#define IORING_CQE_F_32			(1U << 15)

#define IORING_CQE_BUFFER_SHIFT		16

/* mmap(2) offsets on the ring fd */
#define IORING_OFF_SQ_RING		0ULL
#define IORING_OFF_CQ_RING		0x8000000ULL
#define IORING_OFF_SQES			0x10000000ULL
#define IORING_OFF_PBUF_RING		0x80000000ULL	/* | bgid << PBUF_SHIFT */
#define IORING_OFF_PBUF_SHIFT		16
#define IORING_OFF_MMAP_MASK		0xf8000000ULL

/* Byte offsets of the SQ ring fields, filled in by setup. */
struct io_sqring_offsets {
	__u32	head;
	__u32	tail;
	__u32	ring_mask;
	__u32	ring_entries;
	__u32	flags;
	__u32	dropped;
	__u32	array;
	__u32	resv1;
	__u64	user_addr;	/* IORING_SETUP_NO_MMAP: app's SQ memory */
};

/* SQ ring flags word */
#define IORING_SQ_NEED_WAKEUP		(1U << 0)	/* SQPOLL thread sleeps */
#define IORING_SQ_CQ_OVERFLOW		(1U << 1)	/* CQEs wait in overflow */
#define IORING_SQ_TASKRUN		(1U << 2)	/* enter to run task work */

/* Byte offsets of the CQ ring fields, filled in by setup. */
struct io_cqring_offsets {
	__u32	head;
	__u32	tail;
	__u32	ring_mask;
	__u32	ring_entries;
	__u32	overflow;
	__u32	cqes;
	__u32	flags;
	__u32	resv1;
	__u64	user_addr;	/* IORING_SETUP_NO_MMAP: app's ring memory */
};

/* CQ ring flags word */
#define IORING_CQ_EVENTFD_DISABLED	(1U << 0)	/* no eventfd signals */

/* io_uring_enter(2) flags */
#define IORING_ENTER_GETEVENTS		(1U << 0)
#define IORING_ENTER_SQ_WAKEUP		(1U << 1)
#define IORING_ENTER_SQ_WAIT		(1U << 2)
#define IORING_ENTER_EXT_ARG		(1U << 3)	/* arg is io_uring_getevents_arg */
#define IORING_ENTER_REGISTERED_RING	(1U << 4)	/* fd is a registered-ring index */
#define IORING_ENTER_ABS_TIMER		(1U << 5)	/* wait timeout is absolute */
#define IORING_ENTER_EXT_ARG_REG	(1U << 6)	/* arg indexes a reg_wait region */
#define IORING_ENTER_NO_IOWAIT		(1U << 7)	/* do not count as iowait */

/* io_uring_setup(2) argument; setup writes results back into it. */
struct io_uring_params {
	__u32	sq_entries;
	__u32	cq_entries;
	__u32	flags;
	__u32	sq_thread_cpu;
	__u32	sq_thread_idle;	/* milliseconds */
	__u32	features;	/* out: IORING_FEAT_* */
	__u32	wq_fd;		/* IORING_SETUP_ATTACH_WQ */
	__u32	resv[3];
	struct io_sqring_offsets sq_off;
	struct io_cqring_offsets cq_off;
};

/* io_uring_params.features */
#define IORING_FEAT_SINGLE_MMAP		(1U << 0)
#define IORING_FEAT_NODROP		(1U << 1)
#define IORING_FEAT_SUBMIT_STABLE	(1U << 2)
#define IORING_FEAT_RW_CUR_POS		(1U << 3)
#define IORING_FEAT_CUR_PERSONALITY	(1U << 4)
#define IORING_FEAT_FAST_POLL		(1U << 5)
#define IORING_FEAT_POLL_32BITS		(1U << 6)
#define IORING_FEAT_SQPOLL_NONFIXED	(1U << 7)
#define IORING_FEAT_EXT_ARG		(1U << 8)
#define IORING_FEAT_NATIVE_WORKERS	(1U << 9)
#define IORING_FEAT_RSRC_TAGS		(1U << 10)
#define IORING_FEAT_CQE_SKIP		(1U << 11)
#define IORING_FEAT_LINKED_FILE		(1U << 12)
#define IORING_FEAT_REG_REG_RING	(1U << 13)
#define IORING_FEAT_RECVSEND_BUNDLE	(1U << 14)
#define IORING_FEAT_MIN_TIMEOUT		(1U << 15)
#define IORING_FEAT_RW_ATTR		(1U << 16)
#define IORING_FEAT_NO_IOWAIT		(1U << 17)

/* io_uring_register(2) opcodes */
enum io_uring_register_op {
	IORING_REGISTER_BUFFERS			= 0,
	IORING_UNREGISTER_BUFFERS		= 1,
	IORING_REGISTER_FILES			= 2,
	IORING_UNREGISTER_FILES			= 3,
	IORING_REGISTER_EVENTFD			= 4,
	IORING_UNREGISTER_EVENTFD		= 5,
	IORING_REGISTER_FILES_UPDATE		= 6,
	IORING_REGISTER_EVENTFD_ASYNC		= 7,
	IORING_REGISTER_PROBE			= 8,
	IORING_REGISTER_PERSONALITY		= 9,
	IORING_UNREGISTER_PERSONALITY		= 10,
	IORING_REGISTER_RESTRICTIONS		= 11,
	IORING_REGISTER_ENABLE_RINGS		= 12,

	/* variants taking io_uring_rsrc_register / _update2 (with tags) */
	IORING_REGISTER_FILES2			= 13,
	IORING_REGISTER_FILES_UPDATE2		= 14,
	IORING_REGISTER_BUFFERS2		= 15,
	IORING_REGISTER_BUFFERS_UPDATE		= 16,

	/* worker-pool CPU affinity */
	IORING_REGISTER_IOWQ_AFF		= 17,
	IORING_UNREGISTER_IOWQ_AFF		= 18,

	/* worker-pool size limits (get and set) */
	IORING_REGISTER_IOWQ_MAX_WORKERS	= 19,

	/* ring fds usable with IORING_ENTER_REGISTERED_RING */
	IORING_REGISTER_RING_FDS		= 20,
	IORING_UNREGISTER_RING_FDS		= 21,

	/* provided-buffer rings */
	IORING_REGISTER_PBUF_RING		= 22,
	IORING_UNREGISTER_PBUF_RING		= 23,

	/* synchronous cancellation */
	IORING_REGISTER_SYNC_CANCEL		= 24,

	/* slots used for IORING_FILE_INDEX_ALLOC */
	IORING_REGISTER_FILE_ALLOC_RANGE	= 25,

	/* current head of a provided-buffer ring */
	IORING_REGISTER_PBUF_STATUS		= 26,

	/* NAPI busy polling */
	IORING_REGISTER_NAPI			= 27,
	IORING_UNREGISTER_NAPI			= 28,

	IORING_REGISTER_CLOCK			= 29,

	/* copy another ring's registered buffers */
	IORING_REGISTER_CLONE_BUFFERS		= 30,

	/* MSG_RING issued directly, without a source ring */
	IORING_REGISTER_SEND_MSG_RING		= 31,

	/* zero-copy receive interface queue */
	IORING_REGISTER_ZCRX_IFQ		= 32,

	IORING_REGISTER_RESIZE_RINGS		= 33,

	IORING_REGISTER_MEM_REGION		= 34,

	/* capability queries, see io_uring/query.h */
	IORING_REGISTER_QUERY			= 35,

	/* zcrx control operations, see enum zcrx_ctrl_op */
	IORING_REGISTER_ZCRX_CTRL		= 36,

	/* classic-BPF submission filters, see io_uring/bpf_filter.h */
	IORING_REGISTER_BPF_FILTER		= 37,

	/*
	 * PROPOSED (patch series under review, in no released kernel):
	 * copy another ring's registered files.
	 */
	IORING_REGISTER_CLONE_FILES		= 38,

	/* one past the highest opcode */
	IORING_REGISTER_LAST,

	/* or-ed into the opcode: fd is a registered-ring index */
	IORING_REGISTER_USE_REGISTERED_RING	= 1U << 31
};

/* worker kinds for IORING_REGISTER_IOWQ_MAX_WORKERS */
enum io_wq_type {
	IO_WQ_BOUND,
	IO_WQ_UNBOUND,
};

/* Old IORING_REGISTER_FILES_UPDATE argument (io_uring_rsrc_update replaces it). */
struct io_uring_files_update {
	__u32		offset;
	__u32		resv;
	__aligned_u64	fds;	/* __s32 array */
};

/* io_uring_region_desc.flags */
enum {
	/* the region is the app's memory at user_addr */
	IORING_MEM_REGION_TYPE_USER		= 1,
};

/* A memory region shared with the ring. */
struct io_uring_region_desc {
	__u64	user_addr;
	__u64	size;
	__u32	flags;
	__u32	id;
	__u64	mmap_offset;	/* out: where to mmap kernel-allocated memory */
	__u64	__resv[4];
};

/* io_uring_mem_region_reg.flags */
enum {
	/* the region holds io_uring_reg_wait entries (IORING_ENTER_EXT_ARG_REG) */
	IORING_MEM_REGION_REG_WAIT_ARG		= 1,
};

/* IORING_REGISTER_MEM_REGION argument */
struct io_uring_mem_region_reg {
	__u64	region_uptr;	/* struct io_uring_region_desc * */
	__u64	flags;
	__u64	__resv[2];
};

/* io_uring_rsrc_register.flags: register an all-empty table of nr slots */
#define IORING_RSRC_REGISTER_SPARSE	(1U << 0)

/* IORING_REGISTER_FILES2 / BUFFERS2 argument */
struct io_uring_rsrc_register {
	__u32		nr;
	__u32		flags;
	__u64		resv2;
	__aligned_u64	data;	/* fds or iovecs */
	__aligned_u64	tags;	/* __u64 per entry, 0 = untagged */
};

struct io_uring_rsrc_update {
	__u32		offset;
	__u32		resv;
	__aligned_u64	data;
};

struct io_uring_rsrc_update2 {
	__u32		offset;
	__u32		resv;
	__aligned_u64	data;
	__aligned_u64	tags;
	__u32		nr;
	__u32		resv2;
};

/* fd value in a files update meaning "leave this slot as it is" */
#define IORING_REGISTER_FILES_SKIP	(-2)

/* io_uring_probe_op.flags */
#define IO_URING_OP_SUPPORTED		(1U << 0)

struct io_uring_probe_op {
	__u8	op;
	__u8	resv;
	__u16	flags;		/* IO_URING_OP_* */
	__u32	resv2;
};

/* IORING_REGISTER_PROBE argument, followed by ops_len entries */
struct io_uring_probe {
	__u8	last_op;	/* highest opcode known */
	__u8	ops_len;	/* entries in ops[] */
	__u16	resv;
	__u32	resv2[3];
	struct io_uring_probe_op ops[];
};

struct io_uring_restriction {
	__u16	opcode;		/* IORING_RESTRICTION_* */
	union {
		__u8	register_op;	/* IORING_RESTRICTION_REGISTER_OP */
		__u8	sqe_op;		/* IORING_RESTRICTION_SQE_OP */
		__u8	sqe_flags;	/* IORING_RESTRICTION_SQE_FLAGS_* */
	};
	__u8	resv;
	__u32	resv2[3];
};

/* IORING_REGISTER_RESTRICTIONS with fd -1: limits for rings the task creates */
struct io_uring_task_restriction {
	__u16	flags;
	__u16	nr_res;
	__u32	resv[3];
	struct io_uring_restriction restrictions[0];
};

/* IORING_REGISTER_CLOCK argument */
struct io_uring_clock_register {
	__u32	clockid;
	__u32	__resv[3];
};

/* clone flags (io_uring_clone_buffers / io_uring_clone_files .flags) */
enum {
	IORING_REGISTER_SRC_REGISTERED	= (1U << 0),	/* src_fd is a registered-ring index */
	IORING_REGISTER_DST_REPLACE	= (1U << 1),	/* replace an existing table */
};

/* IORING_REGISTER_CLONE_BUFFERS argument; nr == 0 means all */
struct io_uring_clone_buffers {
	__u32	src_fd;
	__u32	flags;
	__u32	src_off;
	__u32	dst_off;
	__u32	nr;
	__u32	pad[3];
};

/*
 * PROPOSED (not in any released kernel): IORING_REGISTER_CLONE_FILES
 * argument, laid out exactly like io_uring_clone_buffers.
 */
struct io_uring_clone_files {
	__u32	src_fd;
	__u32	flags;
	__u32	src_off;
	__u32	dst_off;
	__u32	nr;
	__u32	pad[3];
};

/* One provided buffer in a buffer ring. */
struct io_uring_buf {
	__u64	addr;
	__u32	len;
	__u16	bid;
	__u16	resv;
};

/*
 * A provided-buffer ring is an array of io_uring_buf. The 16-bit tail the
 * app publishes lives in entry 0's resv field, so the ring needs no extra
 * header (and no extra page).
 */
struct io_uring_buf_ring {
	union {
		struct {
			__u64	resv1;
			__u32	resv2;
			__u16	resv3;
			__u16	tail;
		};
		struct io_uring_buf	bufs[0];
	};
};

/*
 * io_uring_buf_reg.flags.
 * MMAP: the ring allocates the buffer ring; the app maps it at
 *	IORING_OFF_PBUF_RING | (bgid << IORING_OFF_PBUF_SHIFT).
 * INC: buffers are consumed incrementally, a completion takes only what it
 *	used and IORING_CQE_F_BUF_MORE says the rest stays in play.
 * KERNEL_MANAGED: PROPOSED (series dropped before merge, in no released
 *	kernel): the ring owns buf_size-byte buffers and the mmap at the PBUF
 *	offset maps the buffers themselves. Requires MMAP, excludes INC.
 */
enum io_uring_register_pbuf_ring_flags {
	IOU_PBUF_RING_MMAP		= 1,
	IOU_PBUF_RING_INC		= 2,
	IOU_PBUF_RING_KERNEL_MANAGED	= 4,
};

/* IORING_(UN)REGISTER_PBUF_RING argument */
struct io_uring_buf_reg {
	union {
		__u64	ring_addr;
		/* PROPOSED: buffer size, only with IOU_PBUF_RING_KERNEL_MANAGED */
		__u32	buf_size;
	};
	__u32	ring_entries;	/* power of 2, < 65536 */
	__u16	bgid;
	__u16	flags;		/* IOU_PBUF_RING_* */
	__u32	min_left;	/* IOU_PBUF_RING_INC only */
	__u32	resv[5];
};

/* IORING_REGISTER_PBUF_STATUS argument */
struct io_uring_buf_status {
	__u32	buf_group;	/* in */
	__u32	head;		/* out */
	__u32	resv[8];
};

/* io_uring_napi.opcode */
enum io_uring_napi_op {
	IO_URING_NAPI_REGISTER_OP	= 0,	/* plain (un)register */
	IO_URING_NAPI_STATIC_ADD_ID	= 1,	/* op_param = napi id to add */
	IO_URING_NAPI_STATIC_DEL_ID	= 2,	/* op_param = napi id to remove */
};

/* op_param of IO_URING_NAPI_REGISTER_OP; 0 keeps the original behaviour */
enum io_uring_napi_tracking_strategy {
	IO_URING_NAPI_TRACKING_DYNAMIC	= 0,
	IO_URING_NAPI_TRACKING_STATIC	= 1,
	IO_URING_NAPI_TRACKING_INACTIVE	= 255,
};

/* IORING_(UN)REGISTER_NAPI argument */
struct io_uring_napi {
	__u32	busy_poll_to;	/* microseconds */
	__u8	prefer_busy_poll;
	__u8	opcode;		/* enum io_uring_napi_op */
	__u8	pad[2];
	__u32	op_param;
	__u32	resv;
};

/* io_uring_restriction.opcode */
enum io_uring_register_restriction_op {
	IORING_RESTRICTION_REGISTER_OP		= 0,	/* allow a register opcode */
	IORING_RESTRICTION_SQE_OP		= 1,	/* allow an SQE opcode */
	IORING_RESTRICTION_SQE_FLAGS_ALLOWED	= 2,	/* allow these sqe->flags */
	IORING_RESTRICTION_SQE_FLAGS_REQUIRED	= 3,	/* demand these sqe->flags */

	IORING_RESTRICTION_LAST
};

/* io_uring_reg_wait.flags */
enum {
	IORING_REG_WAIT_TS		= (1U << 0),	/* ts is valid */
};

/*
 * A wait argument kept in a registered region (IORING_MEM_REGION_REG_WAIT_ARG);
 * with IORING_ENTER_EXT_ARG_REG the enter argument is an index into it.
 */
struct io_uring_reg_wait {
	struct __kernel_timespec	ts;
	__u32				min_wait_usec;
	__u32				flags;
	__u64				sigmask;
	__u32				sigmask_sz;
	__u32				pad[3];
	__u64				pad2[2];
};

/* io_uring_enter(2) argument with IORING_ENTER_EXT_ARG */
struct io_uring_getevents_arg {
	__u64	sigmask;
	__u32	sigmask_sz;
	__u32	min_wait_usec;
	__u64	ts;		/* struct __kernel_timespec * */
};

/* IORING_REGISTER_SYNC_CANCEL argument */
struct io_uring_sync_cancel_reg {
	__u64				addr;	/* user_data to match */
	__s32				fd;
	__u32				flags;	/* IORING_ASYNC_CANCEL_* */
	struct __kernel_timespec	timeout;
	__u8				opcode;
	__u8				pad[7];
	__u64				pad2[3];
};

/* IORING_REGISTER_FILE_ALLOC_RANGE argument: slots [off, off + len) */
struct io_uring_file_index_range {
	__u32	off;
	__u32	len;
	__u64	resv;
};

/* Header a multishot RECVMSG writes at the start of each provided buffer. */
struct io_uring_recvmsg_out {
	__u32	namelen;
	__u32	controllen;
	__u32	payloadlen;
	__u32	flags;
};

/* sqe->cmd_op for IORING_OP_URING_CMD on a socket */
enum io_uring_socket_op {
	SOCKET_URING_OP_SIOCINQ		= 0,
	SOCKET_URING_OP_SIOCOUTQ,
	SOCKET_URING_OP_GETSOCKOPT,
	SOCKET_URING_OP_SETSOCKOPT,
	SOCKET_URING_OP_TX_TIMESTAMP,
	SOCKET_URING_OP_GETSOCKNAME,
};

/*
 * SOCKET_URING_OP_TX_TIMESTAMP: cqe->flags carries the timestamp type from
 * bit IORING_TIMESTAMP_TYPE_SHIFT and a hardware-timestamp bit; the second
 * CQE half is a struct io_timespec.
 */
#define IORING_TIMESTAMP_HW_SHIFT	16
#define IORING_TIMESTAMP_TYPE_SHIFT	(IORING_TIMESTAMP_HW_SHIFT + 1)
#define IORING_CQE_F_TSTAMP_HW		((__u32)1 << IORING_TIMESTAMP_HW_SHIFT)

struct io_timespec {
	__u64	tv_sec;
	__u64	tv_nsec;
};

#ifdef __cplusplus
}
#endif

#endif /* LINUX_IO_URING_H */
