/* SPDX-License-Identifier: MIT */
#ifndef URSA_TIMEOUT_H
#define URSA_TIMEOUT_H
#include "engine.h"
struct ursa_cancel_data;
int ursa_timeout_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_timeout(struct ursa_req *req, unsigned issue_flags);
int ursa_timeout_remove_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_timeout_remove(struct ursa_req *req, unsigned issue_flags);
int ursa_link_timeout_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_link_timeout(struct ursa_req *req, unsigned issue_flags);
void ursa_link_timeout_arm(struct ursa_req *prev);
void ursa_link_timeout_disarm(struct ursa_req *prev);
void ursa_timeouts_flush(struct ursa_ring *ring);
int ursa_timeout_cancel_match(struct ursa_ring *ring, struct ursa_cancel_data *cd);
void ursa_timeouts_cancel_all(struct ursa_ring *ring);
#endif
