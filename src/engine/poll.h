/* SPDX-License-Identifier: MIT */
/*
 * Readiness waits: a request on a pollable file that would block is parked
 * on the ring's epoll set and re-issued when the file is ready.
 */
#ifndef URSA_POLL_H
#define URSA_POLL_H

#include "engine.h"

#define URSA_POLL_IN	1u
#define URSA_POLL_OUT	2u

/* 0 if armed; -EPERM if the file cannot be polled (regular files): the
 * caller hands the request to a worker instead. */
int ursa_poll_arm(struct ursa_req *req, unsigned events);
void ursa_poll_cancel_all(struct ursa_ring *ring);
int ursa_poll_ensure(struct ursa_ring *ring);
bool ursa_poll_remove(struct ursa_req *req);
struct ursa_cancel_data;
int ursa_poll_cancel_match(struct ursa_ring *ring, struct ursa_cancel_data *cd);
int ursa_poll_run(struct ursa_ring *ring, int64_t timeout_ns, const sigset_t *sigmask);
void ursa_poll_wake_sleeper(struct ursa_ring *ring);
void ursa_poll_wake(struct ursa_ring *ring);
void ursa_poll_destroy(struct ursa_ring *ring);
int ursa_poll_add_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_poll_add(struct ursa_req *req, unsigned issue_flags);
int ursa_poll_remove_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_poll_remove_op(struct ursa_req *req, unsigned issue_flags);
#endif
