/* SPDX-License-Identifier: MIT */
/* IORING_OP_WAITID. */
#ifndef URSA_WAITID_H
#define URSA_WAITID_H
#include "engine.h"
int ursa_waitid_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_waitid(struct ursa_req *req, unsigned issue_flags);
#endif
