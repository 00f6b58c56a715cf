/* SPDX-License-Identifier: MIT */
#ifndef URSA_TRUNCATE_H
#define URSA_TRUNCATE_H
#include "engine.h"
int ursa_ftruncate_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_ftruncate(struct ursa_req *req, unsigned issue_flags);
#endif
