/* SPDX-License-Identifier: MIT */
#ifndef URSA_RW_H
#define URSA_RW_H
#include "engine.h"
int ursa_prep_read(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_prep_write(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_prep_readv(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_prep_writev(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_prep_read_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_prep_write_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_prep_readv_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_prep_writev_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_read(struct ursa_req *req, unsigned issue_flags);
int ursa_write(struct ursa_req *req, unsigned issue_flags);
void ursa_rw_cleanup(struct ursa_req *req);
int ursa_prep_read_mshot(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_read_mshot(struct ursa_req *req, unsigned issue_flags);
#endif
