/* SPDX-License-Identifier: MIT */
#ifndef URSA_XATTR_H
#define URSA_XATTR_H
#include "engine.h"
int ursa_fgetxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_fgetxattr(struct ursa_req *req, unsigned issue_flags);
int ursa_getxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_getxattr(struct ursa_req *req, unsigned issue_flags);
int ursa_fsetxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_fsetxattr(struct ursa_req *req, unsigned issue_flags);
int ursa_setxattr_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_setxattr(struct ursa_req *req, unsigned issue_flags);
void ursa_xattr_cleanup(struct ursa_req *req);
#endif
