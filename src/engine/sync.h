/* SPDX-License-Identifier: MIT */
#ifndef URSA_SYNC_H
#define URSA_SYNC_H
#include "engine.h"
int ursa_fsync_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_fsync(struct ursa_req *req, unsigned issue_flags);
int ursa_sfr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_sync_file_range(struct ursa_req *req, unsigned issue_flags);
int ursa_fallocate_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_fallocate(struct ursa_req *req, unsigned issue_flags);
#endif
