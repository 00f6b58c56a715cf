/* SPDX-License-Identifier: MIT */
/* IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT. */
#ifndef URSA_EPOLL_H
#define URSA_EPOLL_H
#include "engine.h"
int ursa_epoll_ctl_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_epoll_ctl(struct ursa_req *req, unsigned issue_flags);
int ursa_epoll_wait_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_epoll_wait(struct ursa_req *req, unsigned issue_flags);
#endif
