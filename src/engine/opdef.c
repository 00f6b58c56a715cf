/* SPDX-License-Identifier: MIT */
/*
 * The opcode table.  Every IORING_OP_* has its slot; opcodes that are not
 * built yet answer -EOPNOTSUPP from prep and are not reported by the probe.
 */
#include "opdef.h"
#include "advise.h"
#include "fs.h"
#include "msg_ring.h"
#include "nop.h"
#include "kbuf.h"
#include "epoll.h"
#include "futex.h"
#include "openclose.h"
#include "splice.h"
#include "statx.h"
#include "waitid.h"
#include "cancel.h"
#include "poll.h"
#include "timeout.h"
#include "rsrc.h"
#include "rw.h"
#include "sync.h"
#include "truncate.h"
#include "xattr.h"

int ursa_prep_unsupported(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	(void)req;
	(void)sqe;
	return -EOPNOTSUPP;
}

const struct ursa_opdef ursa_opdefs[IORING_OP_LAST] = {
	[IORING_OP_NOP] = {
		.name		= "NOP",
		.prep		= ursa_nop_prep,
		.issue		= ursa_nop,
		.iopoll		= 1,
		.implemented	= 1,
	},
	[IORING_OP_READV] = {
		.name		= "READV",
		.prep		= ursa_prep_readv,
		.issue		= ursa_read,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollin		= 1,
		.buffer_select	= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_WRITEV] = {
		.name		= "WRITEV",
		.prep		= ursa_prep_writev,
		.issue		= ursa_write,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollout	= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_FSYNC] = {
		.name		= "FSYNC",
		.prep		= ursa_fsync_prep,
		.issue		= ursa_fsync,
		.needs_file	= 1,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_READ_FIXED] = {
		.name		= "READ_FIXED",
		.prep		= ursa_prep_read_fixed,
		.issue		= ursa_read,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollin		= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_WRITE_FIXED] = {
		.name		= "WRITE_FIXED",
		.prep		= ursa_prep_write_fixed,
		.issue		= ursa_write,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollout	= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_POLL_ADD] = {
		.name		= "POLL_ADD",
		.prep		= ursa_poll_add_prep,
		.issue		= ursa_poll_add,
		.needs_file	= 1,
		.implemented	= 1,
	},
	[IORING_OP_POLL_REMOVE] = {
		.name		= "POLL_REMOVE",
		.prep		= ursa_poll_remove_prep,
		.issue		= ursa_poll_remove_op,
		.implemented	= 1,
	},
	[IORING_OP_SYNC_FILE_RANGE] = {
		.name		= "SYNC_FILE_RANGE",
		.prep		= ursa_sfr_prep,
		.issue		= ursa_sync_file_range,
		.needs_file	= 1,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_SENDMSG] = {
		.name		= "SENDMSG",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
	},
	[IORING_OP_RECVMSG] = {
		.name		= "RECVMSG",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
		.buffer_select	= 1,
	},
	[IORING_OP_TIMEOUT] = {
		.name		= "TIMEOUT",
		.prep		= ursa_timeout_prep,
		.issue		= ursa_timeout,
		.implemented	= 1,
	},
	[IORING_OP_TIMEOUT_REMOVE] = {
		.name		= "TIMEOUT_REMOVE",
		.prep		= ursa_timeout_remove_prep,
		.issue		= ursa_timeout_remove,
		.implemented	= 1,
	},
	[IORING_OP_ACCEPT] = {
		.name		= "ACCEPT",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
	},
	[IORING_OP_ASYNC_CANCEL] = {
		.name		= "ASYNC_CANCEL",
		.prep		= ursa_async_cancel_prep,
		.issue		= ursa_async_cancel,
		.implemented	= 1,
	},
	[IORING_OP_LINK_TIMEOUT] = {
		.name		= "LINK_TIMEOUT",
		.prep		= ursa_link_timeout_prep,
		.issue		= ursa_link_timeout,
		.implemented	= 1,
	},
	[IORING_OP_CONNECT] = {
		.name		= "CONNECT",
		.prep		= ursa_prep_unsupported,
	},
	[IORING_OP_FALLOCATE] = {
		.name		= "FALLOCATE",
		.prep		= ursa_fallocate_prep,
		.issue		= ursa_fallocate,
		.needs_file	= 1,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_OPENAT] = {
		.name		= "OPENAT",
		.prep		= ursa_openat_prep,
		.issue		= ursa_openat,
		.cleanup	= ursa_open_cleanup,
		.implemented	= 1,
	},
	[IORING_OP_CLOSE] = {
		.name		= "CLOSE",
		.prep		= ursa_close_prep,
		.issue		= ursa_close_op,
		.implemented	= 1,
	},
	[IORING_OP_FILES_UPDATE] = {
		.name		= "FILES_UPDATE",
		.prep		= ursa_files_update_prep,
		.issue		= ursa_files_update,
		.iopoll		= 1,
		.implemented	= 1,
	},
	[IORING_OP_STATX] = {
		.name		= "STATX",
		.prep		= ursa_statx_prep,
		.issue		= ursa_statx,
		.cleanup	= ursa_statx_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_READ] = {
		.name		= "READ",
		.prep		= ursa_prep_read,
		.issue		= ursa_read,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollin		= 1,
		.buffer_select	= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_WRITE] = {
		.name		= "WRITE",
		.prep		= ursa_prep_write,
		.issue		= ursa_write,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollout	= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_FADVISE] = {
		.name		= "FADVISE",
		.prep		= ursa_fadvise_prep,
		.issue		= ursa_fadvise,
		.needs_file	= 1,
		.implemented	= 1,
	},
	[IORING_OP_MADVISE] = {
		.name		= "MADVISE",
		.prep		= ursa_madvise_prep,
		.issue		= ursa_madvise,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_SEND] = {
		.name		= "SEND",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
	},
	[IORING_OP_RECV] = {
		.name		= "RECV",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
		.buffer_select	= 1,
	},
	[IORING_OP_OPENAT2] = {
		.name		= "OPENAT2",
		.prep		= ursa_openat2_prep,
		.issue		= ursa_openat2,
		.cleanup	= ursa_open_cleanup,
		.implemented	= 1,
	},
	[IORING_OP_EPOLL_CTL] = {
		.name		= "EPOLL_CTL",
		.prep		= ursa_epoll_ctl_prep,
		.issue		= ursa_epoll_ctl,
		.implemented	= 1,
	},
	[IORING_OP_SPLICE] = {
		.name		= "SPLICE",
		.prep		= ursa_splice_prep,
		.issue		= ursa_splice,
		.needs_file	= 1,
		.force_worker	= 1,
		.unbound	= 1,
		.implemented	= 1,
	},
	[IORING_OP_PROVIDE_BUFFERS] = {
		.name		= "PROVIDE_BUFFERS",
		.prep		= ursa_provide_buffers_prep,
		.issue		= ursa_provide_buffers,
		.iopoll		= 1,
		.implemented	= 1,
	},
	[IORING_OP_REMOVE_BUFFERS] = {
		.name		= "REMOVE_BUFFERS",
		.prep		= ursa_remove_buffers_prep,
		.issue		= ursa_remove_buffers,
		.iopoll		= 1,
		.implemented	= 1,
	},
	[IORING_OP_TEE] = {
		.name		= "TEE",
		.prep		= ursa_tee_prep,
		.issue		= ursa_tee,
		.needs_file	= 1,
		.force_worker	= 1,
		.unbound	= 1,
		.implemented	= 1,
	},
	[IORING_OP_SHUTDOWN] = {
		.name		= "SHUTDOWN",
		.prep		= ursa_prep_unsupported,
	},
	[IORING_OP_RENAMEAT] = {
		.name		= "RENAMEAT",
		.prep		= ursa_renameat_prep,
		.issue		= ursa_renameat,
		.cleanup	= ursa_fs_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_UNLINKAT] = {
		.name		= "UNLINKAT",
		.prep		= ursa_unlinkat_prep,
		.issue		= ursa_unlinkat,
		.cleanup	= ursa_fs_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_MKDIRAT] = {
		.name		= "MKDIRAT",
		.prep		= ursa_mkdirat_prep,
		.issue		= ursa_mkdirat,
		.cleanup	= ursa_fs_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_SYMLINKAT] = {
		.name		= "SYMLINKAT",
		.prep		= ursa_symlinkat_prep,
		.issue		= ursa_symlinkat,
		.cleanup	= ursa_fs_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_LINKAT] = {
		.name		= "LINKAT",
		.prep		= ursa_linkat_prep,
		.issue		= ursa_linkat,
		.cleanup	= ursa_fs_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_MSG_RING] = {
		.name		= "MSG_RING",
		.prep		= ursa_msg_ring_prep,
		.issue		= ursa_msg_ring,
		.cleanup	= ursa_msg_ring_cleanup,
		.needs_file	= 1,
		.iopoll		= 1,
		.implemented	= 1,
	},
	[IORING_OP_FSETXATTR] = {
		.name		= "FSETXATTR",
		.prep		= ursa_fsetxattr_prep,
		.issue		= ursa_fsetxattr,
		.cleanup	= ursa_xattr_cleanup,
		.needs_file	= 1,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_SETXATTR] = {
		.name		= "SETXATTR",
		.prep		= ursa_setxattr_prep,
		.issue		= ursa_setxattr,
		.cleanup	= ursa_xattr_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_FGETXATTR] = {
		.name		= "FGETXATTR",
		.prep		= ursa_fgetxattr_prep,
		.issue		= ursa_fgetxattr,
		.cleanup	= ursa_xattr_cleanup,
		.needs_file	= 1,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_GETXATTR] = {
		.name		= "GETXATTR",
		.prep		= ursa_getxattr_prep,
		.issue		= ursa_getxattr,
		.cleanup	= ursa_xattr_cleanup,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_SOCKET] = {
		.name		= "SOCKET",
		.prep		= ursa_prep_unsupported,
	},
	[IORING_OP_URING_CMD] = {
		.name		= "URING_CMD",
		.prep		= ursa_prep_unsupported,
	},
	[IORING_OP_SEND_ZC] = {
		.name		= "SEND_ZC",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
	},
	[IORING_OP_SENDMSG_ZC] = {
		.name		= "SENDMSG_ZC",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
	},
	[IORING_OP_READ_MULTISHOT] = {
		.name		= "READ_MULTISHOT",
		.prep		= ursa_prep_read_mshot,
		.issue		= ursa_read_mshot,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollin		= 1,
		.buffer_select	= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_WAITID] = {
		.name		= "WAITID",
		.prep		= ursa_waitid_prep,
		.issue		= ursa_waitid,
		.unbound	= 1,
		.implemented	= 1,
	},
	/* Futex waits hand themselves to a worker from their first issue
	 * (not force_worker): the issuer must see the worker asleep. */
	[IORING_OP_FUTEX_WAIT] = {
		.name		= "FUTEX_WAIT",
		.prep		= ursa_futex_prep,
		.issue		= ursa_futex_wait_issue,
		.cleanup	= ursa_futex_cleanup,
		.unbound	= 1,
		.implemented	= 1,
	},
	[IORING_OP_FUTEX_WAKE] = {
		.name		= "FUTEX_WAKE",
		.prep		= ursa_futex_prep,
		.issue		= ursa_futex_wake_issue,
		.cleanup	= ursa_futex_cleanup,
		.implemented	= 1,
	},
	[IORING_OP_FUTEX_WAITV] = {
		.name		= "FUTEX_WAITV",
		.prep		= ursa_futexv_prep,
		.issue		= ursa_futexv_wait_issue,
		.cleanup	= ursa_futex_cleanup,
		.unbound	= 1,
		.implemented	= 1,
	},
	[IORING_OP_FIXED_FD_INSTALL] = {
		.name		= "FIXED_FD_INSTALL",
		.prep		= ursa_fixed_fd_install_prep,
		.issue		= ursa_fixed_fd_install,
		.needs_file	= 1,
		.implemented	= 1,
	},
	[IORING_OP_FTRUNCATE] = {
		.name		= "FTRUNCATE",
		.prep		= ursa_ftruncate_prep,
		.issue		= ursa_ftruncate,
		.needs_file	= 1,
		.force_worker	= 1,
		.implemented	= 1,
	},
	[IORING_OP_BIND] = {
		.name		= "BIND",
		.prep		= ursa_prep_unsupported,
	},
	[IORING_OP_LISTEN] = {
		.name		= "LISTEN",
		.prep		= ursa_prep_unsupported,
	},
	[IORING_OP_RECV_ZC] = {
		.name		= "RECV_ZC",
		.prep		= ursa_prep_unsupported,
		.ioprio		= 1,
		.buffer_select	= 1,
	},
	[IORING_OP_EPOLL_WAIT] = {
		.name		= "EPOLL_WAIT",
		.prep		= ursa_epoll_wait_prep,
		.issue		= ursa_epoll_wait,
		.needs_file	= 1,
		.pollin		= 1,
		.implemented	= 1,
	},
	[IORING_OP_READV_FIXED] = {
		.name		= "READV_FIXED",
		.prep		= ursa_prep_readv_fixed,
		.issue		= ursa_read,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollin		= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_WRITEV_FIXED] = {
		.name		= "WRITEV_FIXED",
		.prep		= ursa_prep_writev_fixed,
		.issue		= ursa_write,
		.cleanup	= ursa_rw_cleanup,
		.needs_file	= 1,
		.pollout	= 1,
		.iopoll		= 1,
		.ioprio		= 1,
		.implemented	= 1,
	},
	[IORING_OP_PIPE] = {
		.name		= "PIPE",
		.prep		= ursa_pipe_prep,
		.issue		= ursa_pipe,
		.implemented	= 1,
	},
	[IORING_OP_NOP128] = {
		.name		= "NOP128",
		.prep		= ursa_nop_prep,
		.issue		= ursa_nop,
		.iopoll		= 1,
		.sqe128		= 1,
		.implemented	= 1,
	},
	[IORING_OP_URING_CMD128] = {
		.name		= "URING_CMD128",
		.prep		= ursa_prep_unsupported,
		.sqe128		= 1,
	},
};

_Static_assert(sizeof(ursa_opdefs) / sizeof(ursa_opdefs[0]) == IORING_OP_LAST,
	       "every opcode has a slot");
_Static_assert(IORING_OP_URING_CMD128 + 1 == IORING_OP_LAST,
	       "the table lists every opcode up to IORING_OP_LAST");
