/* SPDX-License-Identifier: MIT */
/*
 * Description: compile-time layout checks for every uAPI structure in
 * <liburing/io_uring.h> and its split headers (x86-64 / LP64 sizes, the
 * kernel's), plus runtime checks of key constant values. A layout slip fails
 * the build; a wrong constant fails the run.
 */
#include <stddef.h>
#include <stdio.h>
#include <liburing/io_uring.h>
#include <liburing/io_uring/query.h>
#include <liburing/io_uring/bpf_filter.h>

#define SIZE(s, n) \
	_Static_assert(sizeof(struct s) == (n), "sizeof(struct " #s ")")
#define OFF(s, f, n) \
	_Static_assert(offsetof(struct s, f) == (n), "offsetof(" #s ", " #f ")")
#define FSIZE(s, f, n) \
	_Static_assert(sizeof(((struct s *)0)->f) == (n), "sizeof(" #s "." #f ")")

/* struct io_uring_sqe: 64 bytes, fields fixed by the kernel */
SIZE(io_uring_sqe, 64);
OFF(io_uring_sqe, opcode, 0);		FSIZE(io_uring_sqe, opcode, 1);
OFF(io_uring_sqe, flags, 1);		FSIZE(io_uring_sqe, flags, 1);
OFF(io_uring_sqe, ioprio, 2);		FSIZE(io_uring_sqe, ioprio, 2);
OFF(io_uring_sqe, fd, 4);		FSIZE(io_uring_sqe, fd, 4);
OFF(io_uring_sqe, off, 8);		FSIZE(io_uring_sqe, off, 8);
OFF(io_uring_sqe, addr2, 8);
OFF(io_uring_sqe, cmd_op, 8);		FSIZE(io_uring_sqe, cmd_op, 4);
OFF(io_uring_sqe, __pad1, 12);
OFF(io_uring_sqe, addr, 16);		FSIZE(io_uring_sqe, addr, 8);
OFF(io_uring_sqe, splice_off_in, 16);
OFF(io_uring_sqe, level, 16);
OFF(io_uring_sqe, optname, 20);
OFF(io_uring_sqe, len, 24);		FSIZE(io_uring_sqe, len, 4);
OFF(io_uring_sqe, rw_flags, 28);	FSIZE(io_uring_sqe, rw_flags, 4);
OFF(io_uring_sqe, fsync_flags, 28);
OFF(io_uring_sqe, poll_events, 28);	FSIZE(io_uring_sqe, poll_events, 2);
OFF(io_uring_sqe, poll32_events, 28);
OFF(io_uring_sqe, sync_range_flags, 28);
OFF(io_uring_sqe, msg_flags, 28);
OFF(io_uring_sqe, timeout_flags, 28);
OFF(io_uring_sqe, accept_flags, 28);
OFF(io_uring_sqe, cancel_flags, 28);
OFF(io_uring_sqe, open_flags, 28);
OFF(io_uring_sqe, statx_flags, 28);
OFF(io_uring_sqe, fadvise_advice, 28);
OFF(io_uring_sqe, splice_flags, 28);
OFF(io_uring_sqe, rename_flags, 28);
OFF(io_uring_sqe, unlink_flags, 28);
OFF(io_uring_sqe, hardlink_flags, 28);
OFF(io_uring_sqe, xattr_flags, 28);
OFF(io_uring_sqe, msg_ring_flags, 28);
OFF(io_uring_sqe, uring_cmd_flags, 28);
OFF(io_uring_sqe, waitid_flags, 28);
OFF(io_uring_sqe, futex_flags, 28);
OFF(io_uring_sqe, install_fd_flags, 28);
OFF(io_uring_sqe, nop_flags, 28);
OFF(io_uring_sqe, pipe_flags, 28);
OFF(io_uring_sqe, user_data, 32);	FSIZE(io_uring_sqe, user_data, 8);
OFF(io_uring_sqe, buf_index, 40);	FSIZE(io_uring_sqe, buf_index, 2);
OFF(io_uring_sqe, buf_group, 40);
OFF(io_uring_sqe, personality, 42);	FSIZE(io_uring_sqe, personality, 2);
OFF(io_uring_sqe, splice_fd_in, 44);	FSIZE(io_uring_sqe, splice_fd_in, 4);
OFF(io_uring_sqe, file_index, 44);
OFF(io_uring_sqe, zcrx_ifq_idx, 44);
OFF(io_uring_sqe, optlen, 44);
OFF(io_uring_sqe, addr_len, 44);	FSIZE(io_uring_sqe, addr_len, 2);
OFF(io_uring_sqe, __pad3, 46);
OFF(io_uring_sqe, write_stream, 44);	FSIZE(io_uring_sqe, write_stream, 1);
OFF(io_uring_sqe, addr3, 48);		FSIZE(io_uring_sqe, addr3, 8);
OFF(io_uring_sqe, __pad2, 56);
OFF(io_uring_sqe, attr_ptr, 48);
OFF(io_uring_sqe, attr_type_mask, 56);
OFF(io_uring_sqe, optval, 48);
OFF(io_uring_sqe, cmd, 48);

SIZE(io_uring_attr_pi, 32);
OFF(io_uring_attr_pi, flags, 0);
OFF(io_uring_attr_pi, app_tag, 2);
OFF(io_uring_attr_pi, len, 4);
OFF(io_uring_attr_pi, addr, 8);
OFF(io_uring_attr_pi, seed, 16);
OFF(io_uring_attr_pi, rsvd, 24);

/* struct io_uring_cqe: 16 bytes, big_cqe[] is the CQE32 half */
SIZE(io_uring_cqe, 16);
OFF(io_uring_cqe, user_data, 0);
OFF(io_uring_cqe, res, 8);
OFF(io_uring_cqe, flags, 12);
OFF(io_uring_cqe, big_cqe, 16);

SIZE(io_sqring_offsets, 40);
OFF(io_sqring_offsets, head, 0);
OFF(io_sqring_offsets, tail, 4);
OFF(io_sqring_offsets, ring_mask, 8);
OFF(io_sqring_offsets, ring_entries, 12);
OFF(io_sqring_offsets, flags, 16);
OFF(io_sqring_offsets, dropped, 20);
OFF(io_sqring_offsets, array, 24);
OFF(io_sqring_offsets, resv1, 28);
OFF(io_sqring_offsets, user_addr, 32);

SIZE(io_cqring_offsets, 40);
OFF(io_cqring_offsets, head, 0);
OFF(io_cqring_offsets, tail, 4);
OFF(io_cqring_offsets, ring_mask, 8);
OFF(io_cqring_offsets, ring_entries, 12);
OFF(io_cqring_offsets, overflow, 16);
OFF(io_cqring_offsets, cqes, 20);
OFF(io_cqring_offsets, flags, 24);
OFF(io_cqring_offsets, resv1, 28);
OFF(io_cqring_offsets, user_addr, 32);

SIZE(io_uring_params, 120);
OFF(io_uring_params, sq_entries, 0);
OFF(io_uring_params, cq_entries, 4);
OFF(io_uring_params, flags, 8);
OFF(io_uring_params, sq_thread_cpu, 12);
OFF(io_uring_params, sq_thread_idle, 16);
OFF(io_uring_params, features, 20);
OFF(io_uring_params, wq_fd, 24);
OFF(io_uring_params, resv, 28);
OFF(io_uring_params, sq_off, 40);
OFF(io_uring_params, cq_off, 80);

SIZE(io_uring_files_update, 16);
OFF(io_uring_files_update, offset, 0);
OFF(io_uring_files_update, resv, 4);
OFF(io_uring_files_update, fds, 8);

SIZE(io_uring_region_desc, 64);
OFF(io_uring_region_desc, user_addr, 0);
OFF(io_uring_region_desc, size, 8);
OFF(io_uring_region_desc, flags, 16);
OFF(io_uring_region_desc, id, 20);
OFF(io_uring_region_desc, mmap_offset, 24);
OFF(io_uring_region_desc, __resv, 32);

SIZE(io_uring_mem_region_reg, 32);
OFF(io_uring_mem_region_reg, region_uptr, 0);
OFF(io_uring_mem_region_reg, flags, 8);
OFF(io_uring_mem_region_reg, __resv, 16);

SIZE(io_uring_rsrc_register, 32);
OFF(io_uring_rsrc_register, nr, 0);
OFF(io_uring_rsrc_register, flags, 4);
OFF(io_uring_rsrc_register, resv2, 8);
OFF(io_uring_rsrc_register, data, 16);
OFF(io_uring_rsrc_register, tags, 24);

SIZE(io_uring_rsrc_update, 16);
OFF(io_uring_rsrc_update, offset, 0);
OFF(io_uring_rsrc_update, resv, 4);
OFF(io_uring_rsrc_update, data, 8);

SIZE(io_uring_rsrc_update2, 32);
OFF(io_uring_rsrc_update2, offset, 0);
OFF(io_uring_rsrc_update2, resv, 4);
OFF(io_uring_rsrc_update2, data, 8);
OFF(io_uring_rsrc_update2, tags, 16);
OFF(io_uring_rsrc_update2, nr, 24);
OFF(io_uring_rsrc_update2, resv2, 28);

SIZE(io_uring_probe_op, 8);
OFF(io_uring_probe_op, op, 0);
OFF(io_uring_probe_op, resv, 1);
OFF(io_uring_probe_op, flags, 2);
OFF(io_uring_probe_op, resv2, 4);

SIZE(io_uring_probe, 16);
OFF(io_uring_probe, last_op, 0);
OFF(io_uring_probe, ops_len, 1);
OFF(io_uring_probe, resv, 2);
OFF(io_uring_probe, resv2, 4);
OFF(io_uring_probe, ops, 16);

SIZE(io_uring_restriction, 16);
OFF(io_uring_restriction, opcode, 0);
OFF(io_uring_restriction, register_op, 2);
OFF(io_uring_restriction, sqe_op, 2);
OFF(io_uring_restriction, sqe_flags, 2);
OFF(io_uring_restriction, resv, 3);
OFF(io_uring_restriction, resv2, 4);

SIZE(io_uring_task_restriction, 16);
OFF(io_uring_task_restriction, flags, 0);
OFF(io_uring_task_restriction, nr_res, 2);
OFF(io_uring_task_restriction, resv, 4);
OFF(io_uring_task_restriction, restrictions, 16);

SIZE(io_uring_clock_register, 16);
OFF(io_uring_clock_register, clockid, 0);
OFF(io_uring_clock_register, __resv, 4);

SIZE(io_uring_clone_buffers, 32);
OFF(io_uring_clone_buffers, src_fd, 0);
OFF(io_uring_clone_buffers, flags, 4);
OFF(io_uring_clone_buffers, src_off, 8);
OFF(io_uring_clone_buffers, dst_off, 12);
OFF(io_uring_clone_buffers, nr, 16);
OFF(io_uring_clone_buffers, pad, 20);

/* proposed: must stay layout-identical to io_uring_clone_buffers */
SIZE(io_uring_clone_files, 32);
OFF(io_uring_clone_files, src_fd, 0);
OFF(io_uring_clone_files, flags, 4);
OFF(io_uring_clone_files, src_off, 8);
OFF(io_uring_clone_files, dst_off, 12);
OFF(io_uring_clone_files, nr, 16);
OFF(io_uring_clone_files, pad, 20);

SIZE(io_uring_buf, 16);
OFF(io_uring_buf, addr, 0);
OFF(io_uring_buf, len, 8);
OFF(io_uring_buf, bid, 12);
OFF(io_uring_buf, resv, 14);

/* the ring tail overlays bufs[0].resv */
SIZE(io_uring_buf_ring, 16);
OFF(io_uring_buf_ring, resv1, 0);
OFF(io_uring_buf_ring, resv2, 8);
OFF(io_uring_buf_ring, resv3, 12);
OFF(io_uring_buf_ring, tail, 14);
OFF(io_uring_buf_ring, bufs, 0);
_Static_assert(offsetof(struct io_uring_buf_ring, tail) ==
	       offsetof(struct io_uring_buf, resv), "tail overlays resv");

SIZE(io_uring_buf_reg, 40);
OFF(io_uring_buf_reg, ring_addr, 0);
OFF(io_uring_buf_reg, buf_size, 0);
OFF(io_uring_buf_reg, ring_entries, 8);
OFF(io_uring_buf_reg, bgid, 12);
OFF(io_uring_buf_reg, flags, 14);
OFF(io_uring_buf_reg, min_left, 16);
OFF(io_uring_buf_reg, resv, 20);

SIZE(io_uring_buf_status, 40);
OFF(io_uring_buf_status, buf_group, 0);
OFF(io_uring_buf_status, head, 4);
OFF(io_uring_buf_status, resv, 8);

SIZE(io_uring_napi, 16);
OFF(io_uring_napi, busy_poll_to, 0);
OFF(io_uring_napi, prefer_busy_poll, 4);
OFF(io_uring_napi, opcode, 5);
OFF(io_uring_napi, pad, 6);
OFF(io_uring_napi, op_param, 8);
OFF(io_uring_napi, resv, 12);

SIZE(io_uring_reg_wait, 64);
OFF(io_uring_reg_wait, ts, 0);
OFF(io_uring_reg_wait, min_wait_usec, 16);
OFF(io_uring_reg_wait, flags, 20);
OFF(io_uring_reg_wait, sigmask, 24);
OFF(io_uring_reg_wait, sigmask_sz, 32);
OFF(io_uring_reg_wait, pad, 36);
OFF(io_uring_reg_wait, pad2, 48);

SIZE(io_uring_getevents_arg, 24);
OFF(io_uring_getevents_arg, sigmask, 0);
OFF(io_uring_getevents_arg, sigmask_sz, 8);
OFF(io_uring_getevents_arg, min_wait_usec, 12);
OFF(io_uring_getevents_arg, ts, 16);

SIZE(io_uring_sync_cancel_reg, 64);
OFF(io_uring_sync_cancel_reg, addr, 0);
OFF(io_uring_sync_cancel_reg, fd, 8);
OFF(io_uring_sync_cancel_reg, flags, 12);
OFF(io_uring_sync_cancel_reg, timeout, 16);
OFF(io_uring_sync_cancel_reg, opcode, 32);
OFF(io_uring_sync_cancel_reg, pad, 33);
OFF(io_uring_sync_cancel_reg, pad2, 40);

SIZE(io_uring_file_index_range, 16);
OFF(io_uring_file_index_range, off, 0);
OFF(io_uring_file_index_range, len, 4);
OFF(io_uring_file_index_range, resv, 8);

SIZE(io_uring_recvmsg_out, 16);
OFF(io_uring_recvmsg_out, namelen, 0);
OFF(io_uring_recvmsg_out, controllen, 4);
OFF(io_uring_recvmsg_out, payloadlen, 8);
OFF(io_uring_recvmsg_out, flags, 12);

SIZE(io_timespec, 16);
OFF(io_timespec, tv_sec, 0);
OFF(io_timespec, tv_nsec, 8);

/* io_uring/zcrx.h */
SIZE(io_uring_zcrx_rqe, 16);
OFF(io_uring_zcrx_rqe, off, 0);
OFF(io_uring_zcrx_rqe, len, 8);
OFF(io_uring_zcrx_rqe, __pad, 12);

SIZE(io_uring_zcrx_cqe, 16);
OFF(io_uring_zcrx_cqe, off, 0);
OFF(io_uring_zcrx_cqe, __pad, 8);

SIZE(io_uring_zcrx_offsets, 32);
OFF(io_uring_zcrx_offsets, head, 0);
OFF(io_uring_zcrx_offsets, tail, 4);
OFF(io_uring_zcrx_offsets, rqes, 8);
OFF(io_uring_zcrx_offsets, __resv2, 12);
OFF(io_uring_zcrx_offsets, __resv, 16);

SIZE(io_uring_zcrx_area_reg, 48);
OFF(io_uring_zcrx_area_reg, addr, 0);
OFF(io_uring_zcrx_area_reg, len, 8);
OFF(io_uring_zcrx_area_reg, rq_area_token, 16);
OFF(io_uring_zcrx_area_reg, flags, 24);
OFF(io_uring_zcrx_area_reg, dmabuf_fd, 28);
OFF(io_uring_zcrx_area_reg, __resv2, 32);

SIZE(io_uring_zcrx_ifq_reg, 96);
OFF(io_uring_zcrx_ifq_reg, if_idx, 0);
OFF(io_uring_zcrx_ifq_reg, if_rxq, 4);
OFF(io_uring_zcrx_ifq_reg, rq_entries, 8);
OFF(io_uring_zcrx_ifq_reg, flags, 12);
OFF(io_uring_zcrx_ifq_reg, area_ptr, 16);
OFF(io_uring_zcrx_ifq_reg, region_ptr, 24);
OFF(io_uring_zcrx_ifq_reg, offsets, 32);
OFF(io_uring_zcrx_ifq_reg, zcrx_id, 64);
OFF(io_uring_zcrx_ifq_reg, rx_buf_len, 68);
OFF(io_uring_zcrx_ifq_reg, __resv, 72);

SIZE(zcrx_ctrl_flush_rq, 48);
SIZE(zcrx_ctrl_export, 48);
OFF(zcrx_ctrl_export, zcrx_fd, 0);
OFF(zcrx_ctrl_export, __resv1, 4);
SIZE(zcrx_ctrl, 72);
OFF(zcrx_ctrl, zcrx_id, 0);
OFF(zcrx_ctrl, op, 4);
OFF(zcrx_ctrl, __resv, 8);
OFF(zcrx_ctrl, zc_export, 24);
OFF(zcrx_ctrl, zc_flush, 24);

/* io_uring/query.h */
SIZE(io_uring_query_hdr, 40);
OFF(io_uring_query_hdr, next_entry, 0);
OFF(io_uring_query_hdr, query_data, 8);
OFF(io_uring_query_hdr, query_op, 16);
OFF(io_uring_query_hdr, size, 20);
OFF(io_uring_query_hdr, result, 24);
OFF(io_uring_query_hdr, __resv, 28);

SIZE(io_uring_query_opcode, 48);
OFF(io_uring_query_opcode, nr_request_opcodes, 0);
OFF(io_uring_query_opcode, nr_register_opcodes, 4);
OFF(io_uring_query_opcode, feature_flags, 8);
OFF(io_uring_query_opcode, ring_setup_flags, 16);
OFF(io_uring_query_opcode, enter_flags, 24);
OFF(io_uring_query_opcode, sqe_flags, 32);
OFF(io_uring_query_opcode, nr_query_opcodes, 40);
OFF(io_uring_query_opcode, __pad, 44);

SIZE(io_uring_query_zcrx, 40);
OFF(io_uring_query_zcrx, register_flags, 0);
OFF(io_uring_query_zcrx, area_flags, 8);
OFF(io_uring_query_zcrx, nr_ctrl_opcodes, 16);
OFF(io_uring_query_zcrx, features, 20);
OFF(io_uring_query_zcrx, rq_hdr_size, 24);
OFF(io_uring_query_zcrx, rq_hdr_alignment, 28);
OFF(io_uring_query_zcrx, __resv2, 32);

SIZE(io_uring_query_scq, 16);
OFF(io_uring_query_scq, hdr_size, 0);
OFF(io_uring_query_scq, hdr_alignment, 8);

/* io_uring/bpf_filter.h */
SIZE(io_uring_bpf_ctx, 40);
OFF(io_uring_bpf_ctx, user_data, 0);
OFF(io_uring_bpf_ctx, opcode, 8);
OFF(io_uring_bpf_ctx, sqe_flags, 9);
OFF(io_uring_bpf_ctx, pdu_size, 10);
OFF(io_uring_bpf_ctx, pad, 11);
OFF(io_uring_bpf_ctx, socket.family, 16);
OFF(io_uring_bpf_ctx, socket.type, 20);
OFF(io_uring_bpf_ctx, socket.protocol, 24);
OFF(io_uring_bpf_ctx, open.flags, 16);
OFF(io_uring_bpf_ctx, open.mode, 24);
OFF(io_uring_bpf_ctx, open.resolve, 32);

SIZE(io_uring_bpf_filter, 64);
OFF(io_uring_bpf_filter, opcode, 0);
OFF(io_uring_bpf_filter, flags, 4);
OFF(io_uring_bpf_filter, filter_len, 8);
OFF(io_uring_bpf_filter, pdu_size, 12);
OFF(io_uring_bpf_filter, resv, 13);
OFF(io_uring_bpf_filter, filter_ptr, 16);
OFF(io_uring_bpf_filter, resv2, 24);

SIZE(io_uring_bpf, 72);
OFF(io_uring_bpf, cmd_type, 0);
OFF(io_uring_bpf, cmd_flags, 2);
OFF(io_uring_bpf, resv, 4);
OFF(io_uring_bpf, filter, 8);

/* Opcode numbering is ABI: pin the anchors and the end. */
_Static_assert(IORING_OP_NOP == 0, "op");
_Static_assert(IORING_OP_TIMEOUT == 11, "op");
_Static_assert(IORING_OP_LINK_TIMEOUT == 15, "op");
_Static_assert(IORING_OP_PROVIDE_BUFFERS == 31, "op");
_Static_assert(IORING_OP_URING_CMD == 46, "op");
_Static_assert(IORING_OP_RECV_ZC == 58, "op");
_Static_assert(IORING_OP_PIPE == 62, "op");
_Static_assert(IORING_OP_NOP128 == 63, "op");
_Static_assert(IORING_OP_URING_CMD128 == 64, "op");
_Static_assert(IORING_OP_LAST == 65, "op");
_Static_assert(IORING_REGISTER_BPF_FILTER == 37, "reg");
_Static_assert(IORING_REGISTER_CLONE_FILES == 38, "reg");
_Static_assert(IORING_REGISTER_LAST == 39, "reg");
_Static_assert(IORING_OP_LAST <= 256, "opcode must fit sqe->opcode");

struct expect {
	const char *name;
	unsigned long long got, want;
};

#define E(name, want) { #name, (unsigned long long)(name), (want) }

static const struct expect expects[] = {
	E(IOSQE_FIXED_FILE, 1), E(IOSQE_IO_DRAIN, 2), E(IOSQE_IO_LINK, 4),
	E(IOSQE_IO_HARDLINK, 8), E(IOSQE_ASYNC, 16), E(IOSQE_BUFFER_SELECT, 32),
	E(IOSQE_CQE_SKIP_SUCCESS, 64),
	E(IORING_SETUP_IOPOLL, 1), E(IORING_SETUP_SQPOLL, 2),
	E(IORING_SETUP_SQE128, 1u << 10), E(IORING_SETUP_CQE32, 1u << 11),
	E(IORING_SETUP_SINGLE_ISSUER, 1u << 12),
	E(IORING_SETUP_DEFER_TASKRUN, 1u << 13),
	E(IORING_SETUP_NO_SQARRAY, 1u << 16),
	E(IORING_SETUP_CQE_MIXED, 1u << 18), E(IORING_SETUP_SQE_MIXED, 1u << 19),
	E(IORING_SETUP_SQ_REWIND, 1u << 20),
	E(IORING_FEAT_RECVSEND_BUNDLE, 1u << 14), E(IORING_FEAT_NO_IOWAIT, 1u << 17),
	E(IORING_ENTER_GETEVENTS, 1), E(IORING_ENTER_EXT_ARG_REG, 1u << 6),
	E(IORING_ENTER_NO_IOWAIT, 1u << 7),
	E(IORING_CQE_F_BUFFER, 1), E(IORING_CQE_F_MORE, 2),
	E(IORING_CQE_F_SOCK_NONEMPTY, 4), E(IORING_CQE_F_NOTIF, 8),
	E(IORING_CQE_F_BUF_MORE, 16), E(IORING_CQE_F_SKIP, 32),
	E(IORING_CQE_F_32, 1u << 15), E(IORING_CQE_BUFFER_SHIFT, 16),
	E(IORING_OFF_SQ_RING, 0), E(IORING_OFF_CQ_RING, 0x8000000ULL),
	E(IORING_OFF_SQES, 0x10000000ULL), E(IORING_OFF_PBUF_RING, 0x80000000ULL),
	E(IORING_OFF_PBUF_SHIFT, 16), E(IORING_OFF_MMAP_MASK, 0xf8000000ULL),
	E(IORING_TIMEOUT_MULTISHOT, 1u << 6), E(IORING_TIMEOUT_IMMEDIATE_ARG, 1u << 7),
	E(IORING_TIMEOUT_CLOCK_MASK, 12), E(IORING_TIMEOUT_UPDATE_MASK, 18),
	E(IORING_URING_CMD_FIXED, 1), E(IORING_URING_CMD_MULTISHOT, 2),
	E(IORING_URING_CMD_MASK, 3),
	E(IORING_FILE_INDEX_ALLOC, 0xffffffffULL),
	E(IORING_REGISTER_USE_REGISTERED_RING, 0x80000000ULL),
	E(IORING_REGISTER_PBUF_RING, 22), E(IORING_REGISTER_PBUF_STATUS, 26),
	E(IORING_REGISTER_CLONE_BUFFERS, 30), E(IORING_REGISTER_ZCRX_IFQ, 32),
	E(IORING_REGISTER_MEM_REGION, 34), E(IORING_REGISTER_QUERY, 35),
	E(IORING_REGISTER_ZCRX_CTRL, 36),
	E(IOU_PBUF_RING_MMAP, 1), E(IOU_PBUF_RING_INC, 2),
	E(IOU_PBUF_RING_KERNEL_MANAGED, 4),
	E(IORING_RECVSEND_BUNDLE, 16), E(IORING_NOTIF_USAGE_ZC_COPIED, 0x80000000ULL),
	E(SPLICE_F_FD_IN_FIXED, 0x80000000ULL),
	E(IORING_NOP_INJECT_RESULT, 1), E(IORING_NOP_CQE32, 32),
	E(SOCKET_URING_OP_GETSOCKNAME, 5), E(IORING_CQE_F_TSTAMP_HW, 1u << 16),
	E(IORING_TIMESTAMP_TYPE_SHIFT, 17),
	E(IORING_ZCRX_AREA_SHIFT, 48), E(IORING_ZCRX_AREA_MASK, 0xffff000000000000ULL),
	E(ZCRX_REG_IMPORT, 1), E(ZCRX_REG_NODEV, 2), E(ZCRX_CTRL_EXPORT, 1),
	E(__ZCRX_CTRL_LAST, 2),
	E(IO_URING_QUERY_SCQ, 2), E(__IO_URING_QUERY_MAX, 3),
	E(IO_URING_BPF_FILTER_SZ_STRICT, 2), E(IO_URING_BPF_CMD_FILTER, 1),
	E(IO_URING_NAPI_TRACKING_INACTIVE, 255),
	E(IORING_RESTRICTION_LAST, 4),
};

int main(void)
{
	unsigned i, bad = 0;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		if (expects[i].got != expects[i].want) {
			fprintf(stderr, "%s = %#llx, expected %#llx\n",
				expects[i].name, expects[i].got, expects[i].want);
			bad++;
		}
	}
	/* a 128-byte SQE leaves 80 bytes of command payload */
	if (128 - offsetof(struct io_uring_sqe, cmd) != 80) {
		fprintf(stderr, "SQE128 cmd area is not 80 bytes\n");
		bad++;
	}
	if (bad) {
		fprintf(stderr, "abi-layout: %u constant(s) wrong\n", bad);
		return 1;
	}
	return 0;
}
