/* SPDX-License-Identifier: MIT */
/*
 * A FUSE-over-io_uring style request channel on a kernel-managed, pinned
 * buffer ring (seed 000's use case).
 *
 * The server registers a kernel-managed buffer ring (IORING_REGISTER_PBUF_RING
 * with IOU_PBUF_RING_KERNEL_MANAGED | IOU_PBUF_RING_MMAP) and maps its
 * buffers through the ring fd, then sends on the channel's fd:
 *
 * URSA_FUSE_CMD_REGISTER	sqe->buf_group = that group: the channel pins
 *				it (-EINVAL if not kernel-managed, -EALREADY
 *				if pinned) and takes payload buffers from it.
 * URSA_FUSE_CMD_FETCH		waits for a request.  CQE: res = bytes of the
 *				request (struct ursa_fuse_in_header then the
 *				payload), in the buffer IORING_CQE_F_BUFFER |
 *				bid << 16 names, at map + bid * buf_size.
 * URSA_FUSE_CMD_COMMIT_AND_FETCH
 *				sqe->cmd holds struct ursa_fuse_commit: the
 *				reply (reply_len bytes) was written in place in
 *				buffer bid; the channel hands it to the caller,
 *				recycles the buffer into the ring, and the
 *				command then waits for the next request as
 *				FETCH does.  Its own result is that of the
 *				fetch; a bad commit answers -EINVAL at once.
 * URSA_FUSE_CMD_UNREGISTER	unpins the group (no FETCH may be waiting:
 *				-EBUSY), after which it can be unregistered.
 *
 * The "kernel side" is any thread calling ursa_fuse_chan_call(): it selects
 * a payload buffer from the pinned list itself and completes a waiting
 * FETCH, as fuse does from its own context.
 */
#ifndef URSA_FUSE_CHAN_H
#define URSA_FUSE_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define URSA_FUSE_CMD_REGISTER		0x46550001u
#define URSA_FUSE_CMD_FETCH		0x46550002u
#define URSA_FUSE_CMD_COMMIT_AND_FETCH	0x46550003u
#define URSA_FUSE_CMD_UNREGISTER	0x46550004u

struct ursa_fuse_in_header {
	uint64_t	unique;
	uint32_t	opcode;
	uint32_t	len;		/* payload bytes after this header */
};

/* In sqe->cmd (16 bytes) of COMMIT_AND_FETCH. */
struct ursa_fuse_commit {
	uint64_t	unique;
	uint16_t	bid;
	uint16_t	__pad;
	uint32_t	reply_len;
};

struct ursa_fuse_chan;

/* A channel: its fd, or -errno. */
int ursa_fuse_chan_create(struct ursa_fuse_chan **out);
/* Send a request and wait for the server's reply: the reply's length
 * (copied into out, truncated to out_len), or -errno (-ENOTCONN when the
 * server's ring went away, -E2BIG when the request does not fit a buffer). */
ssize_t ursa_fuse_chan_call(struct ursa_fuse_chan *chan, uint32_t opcode,
			    const void *in, size_t in_len, void *out,
			    size_t out_len);
void ursa_fuse_chan_destroy(struct ursa_fuse_chan *chan);

#ifdef __cplusplus
}
#endif
#endif
