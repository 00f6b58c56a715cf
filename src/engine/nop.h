/* SPDX-License-Identifier: MIT */
#ifndef URSA_NOP_H
#define URSA_NOP_H
#include "engine.h"
int ursa_nop_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_nop(struct ursa_req *req, unsigned issue_flags);
#endif
