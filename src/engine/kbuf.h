/* SPDX-License-Identifier: MIT */
/*
 * Provided buffers: legacy groups (PROVIDE_BUFFERS) and buffer rings
 * (IORING_REGISTER_PBUF_RING, incremental or not), and the selection API
 * opcodes use with IOSQE_BUFFER_SELECT.
 *
 * A buffer list is one of: a legacy FIFO of buffers the application
 * provided; a ring in application memory; a ring the engine allocated
 * (IOU_PBUF_RING_MMAP, mapped by the application through the ring fd).
 * The same list type is built to hold, next, rings whose buffers the
 * engine itself allocates and manages (seed 000's kernel-managed rings),
 * pinned against unregistration, selected from by a driver through a list
 * pointer it holds: flags URSA_BL_KMBUF and URSA_BL_PINNED are reserved for
 * that (docs/ARCHITECTURE.md, "Buffers").
 */
#ifndef URSA_KBUF_H
#define URSA_KBUF_H

#include "engine.h"

#define URSA_BL_RING	1u	/* a buffer ring (else a legacy list) */
#define URSA_BL_INC	2u	/* incremental consumption */
#define URSA_BL_MMAP	4u	/* the engine allocated the ring */
#define URSA_BL_KMBUF	8u	/* kernel-managed: the engine's buffers */
#define URSA_BL_PINNED	16u	/* pinned by a driver: no unregister */

struct ursa_buf_list;

/* One selected buffer (or, for bundles, the first of several). */
struct ursa_kbuf_sel {
	uint64_t		addr;
	uint32_t		len;
	uint16_t		bid;
	uint16_t		nr;		/* ring entries taken (bundles) */
	struct ursa_buf_list	*bl;
	struct ursa_ring	*ring;
	bool			locked;		/* the list lock is held */
	bool			committed;	/* head already advanced */
	bool			bundle;		/* several ring entries (nr) */
};

/*
 * Select a buffer from group bgid for a transfer of up to *len bytes (0:
 * the buffer's size); *len becomes the usable length.  -ENOBUFS if the
 * group is empty or missing.
 *
 * A nonblocking attempt (URSA_ISSUE_NONBLOCK) keeps the buffer list locked
 * until ursa_kbuf_finish(), so peeking the ring head, trying the transfer
 * and committing are one step; a worker's (blocking) selection commits at
 * once and unlocks, as the kernel commits for unlocked issue.
 */
int ursa_kbuf_select(struct ursa_req *req, unsigned bgid, uint32_t *len,
		     struct ursa_kbuf_sel *sel, unsigned issue_flags);

/*
 * After the transfer: used >= 0 bytes were consumed (the buffer goes to
 * the CQE); recycle = true means the attempt would block and the buffer
 * goes back (legacy: to the front of the list; ring: the head does not
 * move).  Returns the CQE flags (IORING_CQE_F_BUFFER | bid << 16, plus
 * IORING_CQE_F_BUF_MORE for an incremental buffer with room left), 0 when
 * recycled.  Unlocks.
 */
uint32_t ursa_kbuf_finish(struct ursa_kbuf_sel *sel, int used, bool recycle);

struct iovec;
int ursa_kbuf_select_bundle(struct ursa_req *req, unsigned bgid, size_t max_len,
			    struct iovec *iov, unsigned max_iov, unsigned *nr,
			    struct ursa_kbuf_sel *sel, unsigned issue_flags);

/* A legacy buffer (out of its list once selected) that the request keeps
 * across a readiness wait, as the kernel does: unlock, keep ownership. */
bool ursa_kbuf_is_legacy(const struct ursa_kbuf_sel *sel);
bool ursa_kbuf_group_exists(struct ursa_ring *ring, unsigned bgid);
void ursa_kbuf_keep(struct ursa_kbuf_sel *sel);

/* Registration and opcodes. */
int ursa_register_pbuf_ring(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_unregister_pbuf_ring(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_pbuf_status(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_provide_buffers_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_provide_buffers(struct ursa_req *req, unsigned issue_flags);
int ursa_remove_buffers_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_remove_buffers(struct ursa_req *req, unsigned issue_flags);

void ursa_kbuf_exit(struct ursa_ring *ring);

/* The driver side (include/ursa/driver.h, seed 000). */
int ursa_kbuf_pin(struct ursa_ring *ring, unsigned bgid, struct ursa_buf_list **out);
int ursa_kbuf_unpin(struct ursa_ring *ring, unsigned bgid);
bool ursa_kbuf_is_kmbuf(struct ursa_ring *ring, unsigned bgid);
int ursa_kbuf_kmbuf_recycle(struct ursa_ring *ring, unsigned bgid,
			    uint64_t addr, unsigned len, unsigned bid);
/* Take the head entry of a list the caller holds (pinned), committed. */
int ursa_kbuf_select_list(struct ursa_ring *ring, struct ursa_buf_list *bl,
			  uint32_t *len, struct ursa_kbuf_sel *sel);
#endif
