/* SPDX-License-Identifier: MIT */
/*
 * Zero-copy receive in its device-less form (ZCRX_REG_NODEV, seed 002):
 * interface queues with a user-memory area and a refill queue, and
 * IORING_OP_RECV_ZC copying socket data into area buffers.
 */
#ifndef URSA_ZCRX_H
#define URSA_ZCRX_H

#include "engine.h"

int ursa_register_zcrx_ifq(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_zcrx_ctrl(struct ursa_ring *ring, void *arg, unsigned nr);
/* IO_URING_QUERY_ZCRX: fills *out (struct io_uring_query_zcrx), returns the
 * size written or -errno. */
int ursa_query_zcrx(void *out);
int ursa_recv_zc_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_recv_zc(struct ursa_req *req, unsigned issue_flags);
void ursa_recv_zc_cleanup(struct ursa_req *req);
void ursa_zcrx_exit(struct ursa_ring *ring);

#endif
