/* SPDX-License-Identifier: MIT */
/*
 * The event-notification device, in the spirit of ublk's batch fetch
 * (UBLK_U_IO_FETCH_IO_CMDS): the driver side posts 16-bit tags from any
 * thread; one multishot IORING_OP_URING_CMD receives them through provided
 * buffers, as many tags per CQE as the buffer holds, until it is stopped or
 * the ring goes.
 *
 * URSA_EVENT_CMD_FETCH: IORING_URING_CMD_MULTISHOT with IOSQE_BUFFER_SELECT
 *	and sqe->buf_group.  Each CQE: res = bytes of tags (2 per tag) in the
 *	buffer IORING_CQE_F_BUFFER | bid << 16 names, IORING_CQE_F_MORE while
 *	armed.  Ends with -ENOBUFS when the group runs dry (tags not delivered
 *	stay queued for the next FETCH), with res 0 after URSA_EVENT_CMD_STOP,
 *	-ECANCELED at ring teardown, or, when the CQ is full, with a last CQE
 *	that still carries its tags (res and buffer, no F_MORE).  One FETCH at
 *	a time (-EBUSY).
 * URSA_EVENT_CMD_STOP: ends the armed FETCH; 0, or -ENOENT if none.
 *
 * The device fd is readable (poll/epoll/POLL_ADD) while tags wait.
 */
#ifndef URSA_EVENT_H
#define URSA_EVENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define URSA_EVENT_CMD_FETCH	0x45460001u
#define URSA_EVENT_CMD_STOP	0x45460002u

struct ursa_event_dev;

/* A new device: its fd, or -errno; *out is the driver-side handle. */
int ursa_event_dev_create(struct ursa_event_dev **out);
/* Queue nr tags (any thread): 0 or -ENOMEM. */
int ursa_event_post(struct ursa_event_dev *ev, const uint16_t *tags,
		    unsigned nr);
/* Tags queued and not yet delivered. */
unsigned ursa_event_pending(struct ursa_event_dev *ev);
/* Close the fd and drop the driver's handle. */
void ursa_event_dev_destroy(struct ursa_event_dev *ev);

#ifdef __cplusplus
}
#endif
#endif
