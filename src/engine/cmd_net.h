/* SPDX-License-Identifier: MIT */
#ifndef URSA_CMD_NET_H
#define URSA_CMD_NET_H
#include "engine.h"
int ursa_uring_cmd_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_uring_cmd(struct ursa_req *req, unsigned issue_flags);
#endif
