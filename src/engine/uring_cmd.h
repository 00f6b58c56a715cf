/* SPDX-License-Identifier: MIT */
#ifndef URSA_URING_CMD_H
#define URSA_URING_CMD_H
#include "engine.h"
int ursa_uring_cmd_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_uring_cmd(struct ursa_req *req, unsigned issue_flags);
void ursa_uring_cmd_cleanup(struct ursa_req *req);
/* IOPOLL rings: poll the drivers' polled commands once; how many. */
unsigned ursa_uring_cmd_iopoll(struct ursa_ring *ring);
/* Ring teardown: cancel and wait for the commands drivers hold. */
void ursa_uring_cmd_exit(struct ursa_ring *ring);
#endif
