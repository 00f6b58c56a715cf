/* SPDX-License-Identifier: MIT */
/* IORING_OP_MSG_RING and IORING_REGISTER_SEND_MSG_RING: messages between rings. */
#ifndef URSA_MSG_RING_H
#define URSA_MSG_RING_H
#include "engine.h"
int ursa_msg_ring_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_msg_ring(struct ursa_req *req, unsigned issue_flags);
void ursa_msg_ring_cleanup(struct ursa_req *req);
/* io_uring_register(-1, IORING_REGISTER_SEND_MSG_RING, sqe, 1) */
int ursa_register_send_msg_ring(void *arg, unsigned nr);
#endif
