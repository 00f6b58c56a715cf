/* SPDX-License-Identifier: MIT */
#ifndef URSA_CMD_NET_H
#define URSA_CMD_NET_H
#include "engine.h"
/* SOCKET_URING_OP_* on req->fd (uring_cmd.c found no driver behind it). */
int ursa_sock_uring_cmd(struct ursa_req *req, const struct io_uring_sqe *sqe,
			uint32_t cmd_op, uint32_t cmd_flags);
#endif
