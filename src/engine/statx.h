/* SPDX-License-Identifier: MIT */
#ifndef URSA_STATX_H
#define URSA_STATX_H
#include "engine.h"
int ursa_statx_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_statx(struct ursa_req *req, unsigned issue_flags);
void ursa_statx_cleanup(struct ursa_req *req);
#endif
