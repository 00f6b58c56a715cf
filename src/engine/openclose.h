/* SPDX-License-Identifier: MIT */
#ifndef URSA_OPENCLOSE_H
#define URSA_OPENCLOSE_H
#include "engine.h"
int ursa_openat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_openat(struct ursa_req *req, unsigned issue_flags);
int ursa_openat2_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_openat2(struct ursa_req *req, unsigned issue_flags);
void ursa_open_cleanup(struct ursa_req *req);
int ursa_close_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_close_op(struct ursa_req *req, unsigned issue_flags);
int ursa_pipe_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_pipe(struct ursa_req *req, unsigned issue_flags);
int ursa_fixed_fd_install_prep(struct ursa_req *req,
			       const struct io_uring_sqe *sqe);
int ursa_fixed_fd_install(struct ursa_req *req, unsigned issue_flags);
#endif
