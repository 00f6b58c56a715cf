/* SPDX-License-Identifier: MIT */
/*
 * Description: ursa's <liburing/io_uring.h> agrees with the system's kernel
 * uAPI header (<linux/io_uring.h>, Debian's 6.1): every constant the system
 * header defines has the same value in ours, and every structure field it
 * declares sits at the same offset with the same size.
 *
 * Both headers use the same include guard, so they cannot simply be included
 * side by side. The system header is included inside a function body instead:
 * its structs and enums are then block-scoped, its values are captured into a
 * table there, its macros are #undef'd afterwards, and ours is included at
 * file scope and captured the same way. The name lists below were generated
 * from the 6.1 header; a newer system header only adds names, which this test
 * then does not cover (it still passes).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
/* The system header's own dependencies, kept at file scope by their guards. */
#include <linux/fs.h>
#include <linux/types.h>
#include <linux/time_types.h>

#define SYS_CONSTS(X) \
	X(IORING_FILE_INDEX_ALLOC) X(IOSQE_FIXED_FILE) X(IOSQE_IO_DRAIN) \
	X(IOSQE_IO_LINK) X(IOSQE_IO_HARDLINK) X(IOSQE_ASYNC) X(IOSQE_BUFFER_SELECT) \
	X(IOSQE_CQE_SKIP_SUCCESS) X(IORING_SETUP_IOPOLL) X(IORING_SETUP_SQPOLL) \
	X(IORING_SETUP_SQ_AFF) X(IORING_SETUP_CQSIZE) X(IORING_SETUP_CLAMP) \
	X(IORING_SETUP_ATTACH_WQ) X(IORING_SETUP_R_DISABLED) \
	X(IORING_SETUP_SUBMIT_ALL) X(IORING_SETUP_COOP_TASKRUN) \
	X(IORING_SETUP_TASKRUN_FLAG) X(IORING_SETUP_SQE128) X(IORING_SETUP_CQE32) \
	X(IORING_SETUP_SINGLE_ISSUER) X(IORING_SETUP_DEFER_TASKRUN) \
	X(IORING_URING_CMD_FIXED) X(IORING_FSYNC_DATASYNC) X(IORING_TIMEOUT_ABS) \
	X(IORING_TIMEOUT_UPDATE) X(IORING_TIMEOUT_BOOTTIME) \
	X(IORING_TIMEOUT_REALTIME) X(IORING_LINK_TIMEOUT_UPDATE) \
	X(IORING_TIMEOUT_ETIME_SUCCESS) X(IORING_TIMEOUT_CLOCK_MASK) \
	X(IORING_TIMEOUT_UPDATE_MASK) X(SPLICE_F_FD_IN_FIXED) \
	X(IORING_POLL_ADD_MULTI) X(IORING_POLL_UPDATE_EVENTS) \
	X(IORING_POLL_UPDATE_USER_DATA) X(IORING_POLL_ADD_LEVEL) \
	X(IORING_ASYNC_CANCEL_ALL) X(IORING_ASYNC_CANCEL_FD) \
	X(IORING_ASYNC_CANCEL_ANY) X(IORING_ASYNC_CANCEL_FD_FIXED) \
	X(IORING_ASYNC_CANCEL_USERDATA) X(IORING_ASYNC_CANCEL_OP) \
	X(IORING_RECVSEND_POLL_FIRST) X(IORING_RECV_MULTISHOT) \
	X(IORING_RECVSEND_FIXED_BUF) X(IORING_SEND_ZC_REPORT_USAGE) \
	X(IORING_NOTIF_USAGE_ZC_COPIED) X(IORING_ACCEPT_MULTISHOT) \
	X(IORING_MSG_RING_CQE_SKIP) X(IORING_CQE_F_BUFFER) X(IORING_CQE_F_MORE) \
	X(IORING_CQE_F_SOCK_NONEMPTY) X(IORING_CQE_F_NOTIF) X(IORING_OFF_SQ_RING) \
	X(IORING_OFF_CQ_RING) X(IORING_OFF_SQES) X(IORING_OFF_MMAP_MASK) \
	X(IORING_SQ_NEED_WAKEUP) X(IORING_SQ_CQ_OVERFLOW) X(IORING_SQ_TASKRUN) \
	X(IORING_CQ_EVENTFD_DISABLED) X(IORING_ENTER_GETEVENTS) \
	X(IORING_ENTER_SQ_WAKEUP) X(IORING_ENTER_SQ_WAIT) X(IORING_ENTER_EXT_ARG) \
	X(IORING_ENTER_REGISTERED_RING) X(IORING_FEAT_SINGLE_MMAP) \
	X(IORING_FEAT_NODROP) X(IORING_FEAT_SUBMIT_STABLE) X(IORING_FEAT_RW_CUR_POS) \
	X(IORING_FEAT_CUR_PERSONALITY) X(IORING_FEAT_FAST_POLL) \
	X(IORING_FEAT_POLL_32BITS) X(IORING_FEAT_SQPOLL_NONFIXED) \
	X(IORING_FEAT_EXT_ARG) X(IORING_FEAT_NATIVE_WORKERS) \
	X(IORING_FEAT_RSRC_TAGS) X(IORING_FEAT_CQE_SKIP) X(IORING_FEAT_LINKED_FILE) \
	X(IORING_RSRC_REGISTER_SPARSE) X(IORING_REGISTER_FILES_SKIP) \
	X(IO_URING_OP_SUPPORTED) X(IOSQE_FIXED_FILE_BIT) X(IOSQE_IO_DRAIN_BIT) \
	X(IOSQE_IO_LINK_BIT) X(IOSQE_IO_HARDLINK_BIT) X(IOSQE_ASYNC_BIT) \
	X(IOSQE_BUFFER_SELECT_BIT) X(IOSQE_CQE_SKIP_SUCCESS_BIT) X(IORING_OP_NOP) \
	X(IORING_OP_READV) X(IORING_OP_WRITEV) X(IORING_OP_FSYNC) \
	X(IORING_OP_READ_FIXED) X(IORING_OP_WRITE_FIXED) X(IORING_OP_POLL_ADD) \
	X(IORING_OP_POLL_REMOVE) X(IORING_OP_SYNC_FILE_RANGE) X(IORING_OP_SENDMSG) \
	X(IORING_OP_RECVMSG) X(IORING_OP_TIMEOUT) X(IORING_OP_TIMEOUT_REMOVE) \
	X(IORING_OP_ACCEPT) X(IORING_OP_ASYNC_CANCEL) X(IORING_OP_LINK_TIMEOUT) \
	X(IORING_OP_CONNECT) X(IORING_OP_FALLOCATE) X(IORING_OP_OPENAT) \
	X(IORING_OP_CLOSE) X(IORING_OP_FILES_UPDATE) X(IORING_OP_STATX) \
	X(IORING_OP_READ) X(IORING_OP_WRITE) X(IORING_OP_FADVISE) \
	X(IORING_OP_MADVISE) X(IORING_OP_SEND) X(IORING_OP_RECV) \
	X(IORING_OP_OPENAT2) X(IORING_OP_EPOLL_CTL) X(IORING_OP_SPLICE) \
	X(IORING_OP_PROVIDE_BUFFERS) X(IORING_OP_REMOVE_BUFFERS) X(IORING_OP_TEE) \
	X(IORING_OP_SHUTDOWN) X(IORING_OP_RENAMEAT) X(IORING_OP_UNLINKAT) \
	X(IORING_OP_MKDIRAT) X(IORING_OP_SYMLINKAT) X(IORING_OP_LINKAT) \
	X(IORING_OP_MSG_RING) X(IORING_OP_FSETXATTR) X(IORING_OP_SETXATTR) \
	X(IORING_OP_FGETXATTR) X(IORING_OP_GETXATTR) X(IORING_OP_SOCKET) \
	X(IORING_OP_URING_CMD) X(IORING_OP_SEND_ZC) X(IORING_OP_SENDMSG_ZC) \
	X(IORING_MSG_DATA) X(IORING_MSG_SEND_FD) X(IORING_CQE_BUFFER_SHIFT) \
	X(IORING_REGISTER_BUFFERS) X(IORING_UNREGISTER_BUFFERS) \
	X(IORING_REGISTER_FILES) X(IORING_UNREGISTER_FILES) \
	X(IORING_REGISTER_EVENTFD) X(IORING_UNREGISTER_EVENTFD) \
	X(IORING_REGISTER_FILES_UPDATE) X(IORING_REGISTER_EVENTFD_ASYNC) \
	X(IORING_REGISTER_PROBE) X(IORING_REGISTER_PERSONALITY) \
	X(IORING_UNREGISTER_PERSONALITY) X(IORING_REGISTER_RESTRICTIONS) \
	X(IORING_REGISTER_ENABLE_RINGS) X(IORING_REGISTER_FILES2) \
	X(IORING_REGISTER_FILES_UPDATE2) X(IORING_REGISTER_BUFFERS2) \
	X(IORING_REGISTER_BUFFERS_UPDATE) X(IORING_REGISTER_IOWQ_AFF) \
	X(IORING_UNREGISTER_IOWQ_AFF) X(IORING_REGISTER_IOWQ_MAX_WORKERS) \
	X(IORING_REGISTER_RING_FDS) X(IORING_UNREGISTER_RING_FDS) \
	X(IORING_REGISTER_PBUF_RING) X(IORING_UNREGISTER_PBUF_RING) \
	X(IORING_REGISTER_SYNC_CANCEL) X(IORING_REGISTER_FILE_ALLOC_RANGE) \
	X(IO_WQ_BOUND) X(IO_WQ_UNBOUND) X(IORING_RESTRICTION_REGISTER_OP) \
	X(IORING_RESTRICTION_SQE_OP) X(IORING_RESTRICTION_SQE_FLAGS_ALLOWED) \
	X(IORING_RESTRICTION_SQE_FLAGS_REQUIRED)

#define SYS_LASTS(X) \
	X(IORING_OP_LAST) X(IORING_REGISTER_LAST) X(IORING_RESTRICTION_LAST)

/*
 * Fields as F(struct, field) when both headers use the same name, or
 * G(struct, system_name, our_name) for fields that newer kernels renamed or
 * split (compared by offset only).
 */
#define SYS_FIELDS(F, G) \
	F(io_uring_sqe, opcode) F(io_uring_sqe, flags) F(io_uring_sqe, ioprio) \
	F(io_uring_sqe, fd) F(io_uring_sqe, off) F(io_uring_sqe, addr2) \
	F(io_uring_sqe, cmd_op) F(io_uring_sqe, __pad1) F(io_uring_sqe, addr) \
	F(io_uring_sqe, splice_off_in) F(io_uring_sqe, len) \
	F(io_uring_sqe, rw_flags) F(io_uring_sqe, fsync_flags) \
	F(io_uring_sqe, poll_events) F(io_uring_sqe, poll32_events) \
	F(io_uring_sqe, sync_range_flags) F(io_uring_sqe, msg_flags) \
	F(io_uring_sqe, timeout_flags) F(io_uring_sqe, accept_flags) \
	F(io_uring_sqe, cancel_flags) F(io_uring_sqe, open_flags) \
	F(io_uring_sqe, statx_flags) F(io_uring_sqe, fadvise_advice) \
	F(io_uring_sqe, splice_flags) F(io_uring_sqe, rename_flags) \
	F(io_uring_sqe, unlink_flags) F(io_uring_sqe, hardlink_flags) \
	F(io_uring_sqe, xattr_flags) F(io_uring_sqe, msg_ring_flags) \
	F(io_uring_sqe, uring_cmd_flags) F(io_uring_sqe, user_data) \
	F(io_uring_sqe, buf_index) F(io_uring_sqe, buf_group) \
	F(io_uring_sqe, personality) F(io_uring_sqe, splice_fd_in) \
	F(io_uring_sqe, file_index) F(io_uring_sqe, addr_len) \
	F(io_uring_sqe, __pad3) F(io_uring_sqe, addr3) F(io_uring_sqe, __pad2) \
	F(io_uring_sqe, cmd) \
	F(io_uring_cqe, user_data) F(io_uring_cqe, res) F(io_uring_cqe, flags) \
	G(io_uring_cqe, big_cqe, big_cqe) \
	F(io_sqring_offsets, head) F(io_sqring_offsets, tail) \
	F(io_sqring_offsets, ring_mask) F(io_sqring_offsets, ring_entries) \
	F(io_sqring_offsets, flags) F(io_sqring_offsets, dropped) \
	F(io_sqring_offsets, array) F(io_sqring_offsets, resv1) \
	G(io_sqring_offsets, resv2, user_addr) \
	F(io_cqring_offsets, head) F(io_cqring_offsets, tail) \
	F(io_cqring_offsets, ring_mask) F(io_cqring_offsets, ring_entries) \
	F(io_cqring_offsets, overflow) F(io_cqring_offsets, cqes) \
	F(io_cqring_offsets, flags) F(io_cqring_offsets, resv1) \
	G(io_cqring_offsets, resv2, user_addr) \
	F(io_uring_params, sq_entries) F(io_uring_params, cq_entries) \
	F(io_uring_params, flags) F(io_uring_params, sq_thread_cpu) \
	F(io_uring_params, sq_thread_idle) F(io_uring_params, features) \
	F(io_uring_params, wq_fd) F(io_uring_params, resv) \
	F(io_uring_params, sq_off) F(io_uring_params, cq_off) \
	F(io_uring_files_update, offset) F(io_uring_files_update, resv) \
	F(io_uring_files_update, fds) \
	F(io_uring_rsrc_register, nr) F(io_uring_rsrc_register, flags) \
	F(io_uring_rsrc_register, resv2) F(io_uring_rsrc_register, data) \
	F(io_uring_rsrc_register, tags) \
	F(io_uring_rsrc_update, offset) F(io_uring_rsrc_update, resv) \
	F(io_uring_rsrc_update, data) \
	F(io_uring_rsrc_update2, offset) F(io_uring_rsrc_update2, resv) \
	F(io_uring_rsrc_update2, data) F(io_uring_rsrc_update2, tags) \
	F(io_uring_rsrc_update2, nr) F(io_uring_rsrc_update2, resv2) \
	F(io_uring_probe_op, op) F(io_uring_probe_op, resv) \
	F(io_uring_probe_op, flags) F(io_uring_probe_op, resv2) \
	F(io_uring_probe, last_op) F(io_uring_probe, ops_len) \
	F(io_uring_probe, resv) F(io_uring_probe, resv2) \
	G(io_uring_probe, ops, ops) \
	F(io_uring_restriction, opcode) F(io_uring_restriction, register_op) \
	F(io_uring_restriction, sqe_op) F(io_uring_restriction, sqe_flags) \
	F(io_uring_restriction, resv) F(io_uring_restriction, resv2) \
	F(io_uring_buf, addr) F(io_uring_buf, len) F(io_uring_buf, bid) \
	F(io_uring_buf, resv) \
	F(io_uring_buf_ring, resv1) F(io_uring_buf_ring, resv2) \
	F(io_uring_buf_ring, resv3) F(io_uring_buf_ring, tail) \
	G(io_uring_buf_ring, bufs, bufs) \
	F(io_uring_buf_reg, ring_addr) F(io_uring_buf_reg, ring_entries) \
	F(io_uring_buf_reg, bgid) G(io_uring_buf_reg, pad, flags) \
	G(io_uring_buf_reg, resv, min_left) \
	F(io_uring_getevents_arg, sigmask) F(io_uring_getevents_arg, sigmask_sz) \
	G(io_uring_getevents_arg, pad, min_wait_usec) \
	F(io_uring_getevents_arg, ts) \
	F(io_uring_sync_cancel_reg, addr) F(io_uring_sync_cancel_reg, fd) \
	F(io_uring_sync_cancel_reg, flags) F(io_uring_sync_cancel_reg, timeout) \
	G(io_uring_sync_cancel_reg, pad, opcode) \
	F(io_uring_file_index_range, off) F(io_uring_file_index_range, len) \
	F(io_uring_file_index_range, resv) \
	F(io_uring_recvmsg_out, namelen) F(io_uring_recvmsg_out, controllen) \
	F(io_uring_recvmsg_out, payloadlen) F(io_uring_recvmsg_out, flags)

/*
 * Structs whose size both headers define. io_uring_notification_slot and
 * io_uring_notification_register are left out: they were in 6.0/6.1 only
 * and newer kernels dropped them, as does ursa.
 */
#define SYS_STRUCTS(S) \
	S(io_uring_sqe) S(io_uring_cqe) S(io_sqring_offsets) S(io_cqring_offsets) \
	S(io_uring_params) S(io_uring_files_update) S(io_uring_rsrc_register) \
	S(io_uring_rsrc_update) S(io_uring_rsrc_update2) S(io_uring_probe_op) \
	S(io_uring_probe) S(io_uring_restriction) S(io_uring_buf) \
	S(io_uring_buf_ring) S(io_uring_buf_reg) S(io_uring_getevents_arg) \
	S(io_uring_sync_cancel_reg) S(io_uring_file_index_range) \
	S(io_uring_recvmsg_out)

struct value {
	const char *name;
	long long v;
};

struct field {
	const char *name;
	size_t off, size;	/* size 0: not compared */
};

#define COUNT1(x) + 1
#define COUNT3(a, b, c) + 1
#define COUNT2(a, b) + 1
enum {
	N_CONSTS = 0 SYS_CONSTS(COUNT1),
	N_LASTS = 0 SYS_LASTS(COUNT1),
	N_FIELDS = 0 SYS_FIELDS(COUNT2, COUNT3),
	N_STRUCTS = 0 SYS_STRUCTS(COUNT1),
};

struct snapshot {
	struct value consts[N_CONSTS];
	struct value lasts[N_LASTS];
	struct field fields[N_FIELDS];
	struct field structs[N_STRUCTS];
};

/* stringify here, before the argument gets macro-expanded */
#define CAP_VAL(arr, str, n) s->arr[i].name = str; s->arr[i++].v = (long long)(n);
#define CAP_CONST(n) CAP_VAL(consts, #n, n)
#define CAP_LAST(n) CAP_VAL(lasts, #n, n)
#define CAP_FIELD(st, f) \
	s->fields[i].name = #st "." #f; \
	s->fields[i].off = offsetof(struct st, f); \
	s->fields[i++].size = sizeof(((struct st *)0)->f);
#define CAP_SYS_G(st, sysf, ourf) \
	s->fields[i].name = #st "." #sysf; \
	s->fields[i].off = offsetof(struct st, sysf); \
	s->fields[i++].size = 0;
#define CAP_OUR_G(st, sysf, ourf) \
	s->fields[i].name = #st "." #sysf; \
	s->fields[i].off = offsetof(struct st, ourf); \
	s->fields[i++].size = 0;
#define CAP_STRUCT(st) \
	s->structs[i].name = #st; \
	s->structs[i].off = 0; \
	s->structs[i++].size = sizeof(struct st);

/* Everything the system header defines lives only inside this function. */
static void capture_system(struct snapshot *s)
{
#include <linux/io_uring.h>
	unsigned i;

	i = 0; SYS_CONSTS(CAP_CONST)
	i = 0; SYS_LASTS(CAP_LAST)
	i = 0; SYS_FIELDS(CAP_FIELD, CAP_SYS_G)
	i = 0; SYS_STRUCTS(CAP_STRUCT)
}

/* Drop the system header's macros and guard, then include ursa's. */
#undef LINUX_IO_URING_H
#undef IORING_FILE_INDEX_ALLOC
#undef IOSQE_FIXED_FILE
#undef IOSQE_IO_DRAIN
#undef IOSQE_IO_LINK
#undef IOSQE_IO_HARDLINK
#undef IOSQE_ASYNC
#undef IOSQE_BUFFER_SELECT
#undef IOSQE_CQE_SKIP_SUCCESS
#undef IORING_SETUP_IOPOLL
#undef IORING_SETUP_SQPOLL
#undef IORING_SETUP_SQ_AFF
#undef IORING_SETUP_CQSIZE
#undef IORING_SETUP_CLAMP
#undef IORING_SETUP_ATTACH_WQ
#undef IORING_SETUP_R_DISABLED
#undef IORING_SETUP_SUBMIT_ALL
#undef IORING_SETUP_COOP_TASKRUN
#undef IORING_SETUP_TASKRUN_FLAG
#undef IORING_SETUP_SQE128
#undef IORING_SETUP_CQE32
#undef IORING_SETUP_SINGLE_ISSUER
#undef IORING_SETUP_DEFER_TASKRUN
#undef IORING_URING_CMD_FIXED
#undef IORING_FSYNC_DATASYNC
#undef IORING_TIMEOUT_ABS
#undef IORING_TIMEOUT_UPDATE
#undef IORING_TIMEOUT_BOOTTIME
#undef IORING_TIMEOUT_REALTIME
#undef IORING_LINK_TIMEOUT_UPDATE
#undef IORING_TIMEOUT_ETIME_SUCCESS
#undef IORING_TIMEOUT_CLOCK_MASK
#undef IORING_TIMEOUT_UPDATE_MASK
#undef SPLICE_F_FD_IN_FIXED
#undef IORING_POLL_ADD_MULTI
#undef IORING_POLL_UPDATE_EVENTS
#undef IORING_POLL_UPDATE_USER_DATA
#undef IORING_POLL_ADD_LEVEL
#undef IORING_ASYNC_CANCEL_ALL
#undef IORING_ASYNC_CANCEL_FD
#undef IORING_ASYNC_CANCEL_ANY
#undef IORING_ASYNC_CANCEL_FD_FIXED
#undef IORING_ASYNC_CANCEL_USERDATA
#undef IORING_ASYNC_CANCEL_OP
#undef IORING_RECVSEND_POLL_FIRST
#undef IORING_RECV_MULTISHOT
#undef IORING_RECVSEND_FIXED_BUF
#undef IORING_SEND_ZC_REPORT_USAGE
#undef IORING_NOTIF_USAGE_ZC_COPIED
#undef IORING_ACCEPT_MULTISHOT
#undef IORING_MSG_RING_CQE_SKIP
#undef IORING_CQE_F_BUFFER
#undef IORING_CQE_F_MORE
#undef IORING_CQE_F_SOCK_NONEMPTY
#undef IORING_CQE_F_NOTIF
#undef IORING_OFF_SQ_RING
#undef IORING_OFF_CQ_RING
#undef IORING_OFF_SQES
#undef IORING_OFF_MMAP_MASK
#undef IORING_SQ_NEED_WAKEUP
#undef IORING_SQ_CQ_OVERFLOW
#undef IORING_SQ_TASKRUN
#undef IORING_CQ_EVENTFD_DISABLED
#undef IORING_ENTER_GETEVENTS
#undef IORING_ENTER_SQ_WAKEUP
#undef IORING_ENTER_SQ_WAIT
#undef IORING_ENTER_EXT_ARG
#undef IORING_ENTER_REGISTERED_RING
#undef IORING_FEAT_SINGLE_MMAP
#undef IORING_FEAT_NODROP
#undef IORING_FEAT_SUBMIT_STABLE
#undef IORING_FEAT_RW_CUR_POS
#undef IORING_FEAT_CUR_PERSONALITY
#undef IORING_FEAT_FAST_POLL
#undef IORING_FEAT_POLL_32BITS
#undef IORING_FEAT_SQPOLL_NONFIXED
#undef IORING_FEAT_EXT_ARG
#undef IORING_FEAT_NATIVE_WORKERS
#undef IORING_FEAT_RSRC_TAGS
#undef IORING_FEAT_CQE_SKIP
#undef IORING_FEAT_LINKED_FILE
#undef IORING_RSRC_REGISTER_SPARSE
#undef IORING_REGISTER_FILES_SKIP
#undef IO_URING_OP_SUPPORTED

#include <liburing/io_uring.h>

static void capture_ursa(struct snapshot *s)
{
	unsigned i;

	i = 0; SYS_CONSTS(CAP_CONST)
	i = 0; SYS_LASTS(CAP_LAST)
	i = 0; SYS_FIELDS(CAP_FIELD, CAP_OUR_G)
	i = 0; SYS_STRUCTS(CAP_STRUCT)
}

int main(void)
{
	static struct snapshot sys, ours;
	unsigned i, bad = 0;

	capture_system(&sys);
	capture_ursa(&ours);

	for (i = 0; i < N_CONSTS; i++) {
		if (sys.consts[i].v != ours.consts[i].v) {
			fprintf(stderr, "%s: system %lld, ursa %lld\n",
				sys.consts[i].name, sys.consts[i].v,
				ours.consts[i].v);
			bad++;
		}
	}
	/* *_LAST counts grow with new kernels: ours may only be larger. */
	for (i = 0; i < N_LASTS; i++) {
		if (ours.lasts[i].v < sys.lasts[i].v) {
			fprintf(stderr, "%s: system %lld > ursa %lld\n",
				sys.lasts[i].name, sys.lasts[i].v,
				ours.lasts[i].v);
			bad++;
		}
	}
	for (i = 0; i < N_FIELDS; i++) {
		const struct field *a = &sys.fields[i], *b = &ours.fields[i];

		if (a->off != b->off || a->size != b->size) {
			fprintf(stderr, "%s: system off %zu size %zu, ursa off %zu size %zu\n",
				a->name, a->off, a->size, b->off, b->size);
			bad++;
		}
	}
	for (i = 0; i < N_STRUCTS; i++) {
		if (sys.structs[i].size != ours.structs[i].size) {
			fprintf(stderr, "sizeof %s: system %zu, ursa %zu\n",
				sys.structs[i].name, sys.structs[i].size,
				ours.structs[i].size);
			bad++;
		}
	}
	if (bad) {
		fprintf(stderr, "abi-kernel-headers: %u mismatch(es)\n", bad);
		return 1;
	}
	printf("abi-kernel-headers: %d constants, %d fields, %d structs match\n",
	       N_CONSTS + N_LASTS, N_FIELDS, N_STRUCTS);
	return 0;
}
