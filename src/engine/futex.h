/* SPDX-License-Identifier: MIT */
/* IORING_OP_FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAITV. */
#ifndef URSA_FUTEX_H
#define URSA_FUTEX_H
#include "engine.h"
int ursa_futex_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_futex_wait_issue(struct ursa_req *req, unsigned issue_flags);
int ursa_futex_wake_issue(struct ursa_req *req, unsigned issue_flags);
int ursa_futexv_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_futexv_wait_issue(struct ursa_req *req, unsigned issue_flags);
void ursa_futex_cleanup(struct ursa_req *req);
#endif
