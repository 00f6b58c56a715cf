/* SPDX-License-Identifier: MIT */
#ifndef URSA_SPLICE_H
#define URSA_SPLICE_H
#include "engine.h"
int ursa_splice_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_splice(struct ursa_req *req, unsigned issue_flags);
int ursa_tee_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_tee(struct ursa_req *req, unsigned issue_flags);
#endif
