/* SPDX-License-Identifier: MIT */
/*
 * ursa's driver-side API: user-space drivers behind IORING_OP_URING_CMD.
 *
 * Modelled on the kernel's include/linux/io_uring/cmd.h, with the same
 * contracts and the names mapped to an ursa_ prefix:
 *
 *   kernel                               ursa
 *   struct file_operations (->uring_cmd, ->uring_cmd_iopoll, ->read_iter,
 *     ->write_iter, ->release)           struct ursa_file_operations
 *   misc_register() / open()            ursa_driver_register() / ursa_driver_open()
 *   struct file                         struct ursa_device (behind a real fd)
 *   struct io_uring_cmd                 struct ursa_uring_cmd
 *   IO_URING_F_*                        URSA_URING_F_*
 *   io_uring_cmd_done / _done32         ursa_uring_cmd_done / _done32
 *   io_uring_cmd_mark_cancelable        ursa_uring_cmd_mark_cancelable
 *   io_uring_cmd_complete_in_task       ursa_uring_cmd_complete_in_task
 *   io_uring_cmd_import_fixed(_vec)     ursa_uring_cmd_import_fixed(_vec)
 *   io_uring_cmd_buffer_select          ursa_uring_cmd_buffer_select
 *   io_uring_mshot_cmd_post_cqe         ursa_mshot_cmd_post_cqe
 *   io_uring_cmd_post_mshot_cqe32       ursa_uring_cmd_post_mshot_cqe32
 *   io_uring_buf_ring_pin / _unpin      ursa_buf_ring_pin / _unpin   (seed 000)
 *   io_uring_kmbuf_recycle              ursa_kmbuf_recycle           (seed 000)
 *   io_uring_is_kmbuf_ring              ursa_is_kmbuf_ring           (seed 000)
 *   io_ring_buffer_select               ursa_ring_buffer_select      (seed 000)
 *
 * A device is a real file descriptor (one end of a Unix socket pair whose
 * other end ursa keeps), so it can be registered as a fixed file, polled
 * (the driver says when it is readable), closed, and named by
 * IORING_ASYNC_CANCEL_FD.  Ring operations reach the driver through the fd
 * the device was opened as, or a fixed file registered from it; a dup(2)
 * the application makes itself is a plain socket to ursa.  The fd carries
 * no data: read(2)/write(2) on it directly do not reach the driver (ring
 * READ/WRITE operations do).
 *
 * Threads: every callback may run on any thread that issues requests (the
 * submitter, a worker, the ring's reactor); completion functions may be
 * called from any thread, including the driver's own.
 */
#ifndef URSA_DRIVER_H
#define URSA_DRIVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <liburing/io_uring.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ursa_device;
struct ursa_driver;
struct ursa_buffer_list;

/* issue_flags passed to ->uring_cmd and the helpers (IO_URING_F_*). */
enum ursa_uring_cmd_flags {
	URSA_URING_F_COMPLETE_DEFER	= 1,
	URSA_URING_F_UNLOCKED		= 2,
	URSA_URING_F_MULTISHOT		= 4,
	URSA_URING_F_IOWQ		= 8,	/* on a worker: may block */
	URSA_URING_F_NONBLOCK		= INT_MIN,	/* must not block */
	URSA_URING_F_SQE128		= 1 << 8,
	URSA_URING_F_CQE32		= 1 << 9,
	URSA_URING_F_IOPOLL		= 1 << 10,
	URSA_URING_F_CANCEL		= 1 << 11,	/* ring teardown cancels */
};

/* The top 8 bits of ursa_uring_cmd.flags are ursa's (the kernel's too). */
#define URSA_URING_CMD_CANCELABLE	(1U << 30)
#define URSA_URING_CMD_REISSUE		(1U << 31)

/* ->uring_cmd / ->read_iter: "the driver completes it later". */
#define URSA_EIOCBQUEUED	529
/* The kernel-internal ENOTSUPP (not EOPNOTSUPP) some drivers answer. */
#define URSA_ENOTSUPP		524

struct ursa_uring_cmd {
	struct ursa_device		*file;
	/* The SQE (64 bytes, 128 with SQE128 or a 128-byte opcode), a copy
	 * that stays valid until the command completes. */
	const struct io_uring_sqe	*sqe;
	uint32_t			cmd_op;
	uint32_t			flags;	/* IORING_URING_CMD_* | URSA_URING_CMD_* */
	uint8_t				pdu[32];	/* free for the driver */
};

/* The command payload: 16 bytes, or 80 in a 128-byte SQE. */
static inline const void *ursa_uring_sqe_cmd(const struct io_uring_sqe *sqe)
{
	return sqe->cmd;
}

/* A read or write addressed to a device (kernel: struct kiocb). */
struct ursa_kiocb {
	struct ursa_device	*file;
	int64_t			pos;		/* -1: the device has no position */
	int			rw_flags;	/* RWF_* from the SQE */
	unsigned		flags;		/* URSA_IOCB_* */
	void			*private_data;	/* free for the driver */
};
#define URSA_IOCB_NOWAIT	1u	/* must not block: -EAGAIN instead */
#define URSA_IOCB_HIPRI		2u	/* completion found by ->iopoll */

struct ursa_file_operations {
	/* A command: a result (completes now), URSA_EIOCBQUEUED (the driver
	 * calls ursa_uring_cmd_done later), or -EAGAIN (re-issued from a
	 * worker with URSA_URING_F_IOWQ).  For a multishot command any
	 * result >= 0 keeps it alive until the driver ends it. */
	int (*uring_cmd)(struct ursa_uring_cmd *cmd, unsigned int issue_flags);
	/* IOPOLL rings: reap completions of commands issued with
	 * URSA_URING_F_IOPOLL; returns how many it completed. */
	int (*uring_cmd_iopoll)(struct ursa_uring_cmd *cmd, unsigned int poll_flags);
	/* READ/WRITE(V)(_FIXED): bytes, -errno, -EAGAIN (only with
	 * URSA_IOCB_NOWAIT) or URSA_EIOCBQUEUED (ursa_kiocb_complete later). */
	ssize_t (*read_iter)(struct ursa_kiocb *iocb, const struct iovec *iov,
			     int nr_segs);
	ssize_t (*write_iter)(struct ursa_kiocb *iocb, const struct iovec *iov,
			      int nr_segs);
	/* The last reference to the device went (ursa_device_close and
	 * every request on it finished). */
	void (*release)(struct ursa_device *dev);
};

/* ursa_device_create() flags */
#define URSA_DEV_NOWAIT		1u	/* FMODE_NOWAIT: read/write may be tried
					 * without blocking (else a worker runs them) */
#define URSA_DEV_READABLE	2u	/* starts readable (POLLIN) */

/* ---------------------------------------------------------- drivers */

struct ursa_driver_info {
	const char			*name;
	/* Called by ursa_driver_open(); returns a device fd or -errno. */
	int (*open)(struct ursa_driver *drv, int flags);
	void				*private_data;
};

/* Register a driver by name (-EEXIST if taken); unregister it (open
 * devices live on). */
struct ursa_driver *ursa_driver_register(const struct ursa_driver_info *info);
int ursa_driver_unregister(struct ursa_driver *drv);
/* Open a device of the named driver: its fd, or -ENODEV / -errno. */
int ursa_driver_open(const char *name, int flags);
void *ursa_driver_private(struct ursa_driver *drv);

/* ---------------------------------------------------------- devices */

/* Create a device: returns its fd (O_CLOEXEC) or -errno; *out (may be NULL)
 * gets the device, referenced once for the fd. */
int ursa_device_create(const struct ursa_file_operations *fops,
		       void *private_data, unsigned flags,
		       struct ursa_device **out);
/* The device behind fd (an fd returned by ursa_device_create, or ursa's dup
 * of it in a fixed-file table), with a reference, or NULL. */
struct ursa_device *ursa_device_get(int fd);
void ursa_device_put(struct ursa_device *dev);
/* Close the device's fd and drop the fd's reference. */
int ursa_device_close(struct ursa_device *dev);
int ursa_device_fd(const struct ursa_device *dev);
void *ursa_device_private(const struct ursa_device *dev);
/* Readiness seen by poll(2)/epoll and IORING_OP_POLL_ADD on the fd
 * (always writable; readable when the driver says so). */
void ursa_device_set_readable(struct ursa_device *dev, bool readable);

/* Application memory, which may be bad: -EFAULT instead of a crash (the
 * kernel's copy_from_user/copy_to_user). */
int ursa_copy_from_user(void *dst, const void *src, size_t len);
int ursa_copy_to_user(void *dst, const void *src, size_t len);

/* Finish a read/write the driver queued (URSA_EIOCBQUEUED). */
void ursa_kiocb_complete(struct ursa_kiocb *iocb, ssize_t res);

/* ---------------------------------------------------------- commands */

void ursa_uring_cmd_done(struct ursa_uring_cmd *cmd, int32_t ret,
			 unsigned int issue_flags);
/* res2 goes to the CQE's big_cqe[0] on CQE32 rings (and CQE_MIXED). */
void ursa_uring_cmd_done32(struct ursa_uring_cmd *cmd, int32_t ret,
			   uint64_t res2, unsigned int issue_flags);
/* The command is cancelled by ring teardown: ->uring_cmd is called again
 * with URSA_URING_F_CANCEL and must complete it. */
void ursa_uring_cmd_mark_cancelable(struct ursa_uring_cmd *cmd,
				    unsigned int issue_flags);
/* Run cb in the ring's task context (the reactor, or on DEFER_TASKRUN rings
 * the task waiting in io_uring_enter), with fresh issue_flags. */
typedef void (*ursa_uring_cmd_tw_t)(struct ursa_uring_cmd *cmd,
				    unsigned int issue_flags);
void ursa_uring_cmd_complete_in_task(struct ursa_uring_cmd *cmd,
				     ursa_uring_cmd_tw_t cb);
/* A registered buffer (IORING_URING_CMD_FIXED, sqe->buf_index): check that
 * [ubuf, ubuf + len) lies inside it; 0 and *iov set, or -EFAULT/-EINVAL. */
int ursa_uring_cmd_import_fixed(uint64_t ubuf, size_t len, int rw,
				struct iovec *iov, struct ursa_uring_cmd *cmd,
				unsigned int issue_flags);
/* The vectored form: nr iovecs at uvec (application memory), each inside
 * the registered buffer; copied into iov (nr entries). */
int ursa_uring_cmd_import_fixed_vec(struct ursa_uring_cmd *cmd,
				    const struct iovec *uvec, size_t nr, int rw,
				    struct iovec *iov, unsigned int issue_flags);

/* Multishot (IORING_URING_CMD_MULTISHOT + IOSQE_BUFFER_SELECT). */
struct ursa_br_sel {
	struct ursa_buffer_list	*buf_list;
	union {
		void		*addr;	/* the selected buffer; NULL: none */
		ssize_t		val;	/* bytes to post, or -errno */
	};
	unsigned		buf_id;
	uint64_t		__ursa[6];	/* ursa's selection state */
};
/* Select a buffer of up to *len bytes (0: any) from buf_group; .addr NULL
 * means none (answer -ENOBUFS).  .val = -EINVAL without MULTISHOT. */
struct ursa_br_sel ursa_uring_cmd_buffer_select(struct ursa_uring_cmd *cmd,
						unsigned buf_group, size_t *len,
						unsigned int issue_flags);
/* With sel->val set to the bytes written (> 0): commit the buffer and post
 * a CQE with IORING_CQE_F_MORE; false means posted, keep going.  Otherwise
 * (val <= 0, or the CQ cannot take it) the buffer goes back, the result is
 * recorded and true is returned: the driver must end the command with
 * ursa_uring_cmd_done.  Select and post in the same issue context. */
bool ursa_mshot_cmd_post_cqe(struct ursa_uring_cmd *cmd,
			     struct ursa_br_sel *sel, unsigned int issue_flags);
/* An extra 32-byte CQE with IORING_CQE_F_MORE (CQE32/CQE_MIXED rings);
 * false if it could not be posted. */
bool ursa_uring_cmd_post_mshot_cqe32(struct ursa_uring_cmd *cmd,
				     unsigned int issue_flags,
				     const struct io_uring_cqe cqe[2]);

/* Kernel-managed buffer rings and pinning (seed 000). */
int ursa_buf_ring_pin(struct ursa_uring_cmd *cmd, unsigned buf_group,
		      unsigned int issue_flags, struct ursa_buffer_list **bl);
int ursa_buf_ring_unpin(struct ursa_uring_cmd *cmd, unsigned buf_group,
			unsigned int issue_flags);
int ursa_kmbuf_recycle(struct ursa_uring_cmd *cmd, unsigned int buf_group,
		       uint64_t addr, unsigned int len, unsigned int bid,
		       unsigned int issue_flags);
bool ursa_is_kmbuf_ring(struct ursa_uring_cmd *cmd, unsigned int buf_group,
			unsigned int issue_flags);
/* Select from a list the caller holds pinned (any thread). */
struct ursa_br_sel ursa_ring_buffer_select(struct ursa_uring_cmd *cmd,
					   size_t *len,
					   struct ursa_buffer_list *bl,
					   unsigned int issue_flags);

#ifdef __cplusplus
}
#endif
#endif
