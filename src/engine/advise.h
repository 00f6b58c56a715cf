/* SPDX-License-Identifier: MIT */
#ifndef URSA_ADVISE_H
#define URSA_ADVISE_H
#include "engine.h"
int ursa_fadvise_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_fadvise(struct ursa_req *req, unsigned issue_flags);
int ursa_madvise_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_madvise(struct ursa_req *req, unsigned issue_flags);
#endif
