/* SPDX-License-Identifier: MIT */
/* Cancellation: matching requests, IORING_OP_ASYNC_CANCEL, sync cancel. */
#ifndef URSA_CANCEL_H
#define URSA_CANCEL_H

#include "engine.h"

struct ursa_cancel_data {
	struct ursa_ring	*ring;
	uint64_t		data;		/* user_data to match */
	unsigned		flags;		/* IORING_ASYNC_CANCEL_* */
	uint8_t			opcode;
	int			fd;		/* real fd to match (normal files) */
	struct ursa_file_node	*node;		/* fixed file to match */
	uint64_t		seq;		/* one cancel pass: match each once */
};

/* Does req match?  Marks it as seen by this pass (ALL/ANY). */
bool ursa_cancel_match(struct ursa_cancel_data *cd, struct ursa_req *req);
/* Cancel the requests cd names: 0 / -EALREADY / -ENOENT, or with ALL/ANY
 * the number found. */
int ursa_cancel_run(struct ursa_cancel_data *cd);

int ursa_async_cancel_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_async_cancel(struct ursa_req *req, unsigned issue_flags);
int ursa_register_sync_cancel(struct ursa_ring *ring, void *arg, unsigned nr);

/* Take a specific request out of wherever it waits (link timeouts).
 * Returns 1 if removed (the caller completes it), 0 if it was interrupted
 * or not found (it completes by itself). */
int ursa_req_try_cancel(struct ursa_req *req);
#endif
