/* SPDX-License-Identifier: MIT */
/*
 * The executor seam: how a prepared request is carried out.  The default
 * executor calls the opcode's issue function (ordinary syscalls in this
 * process).  A fault-injecting executor wraps it to fail, or to force the
 * would-block path of, chosen requests deterministically; a backend that
 * forwards requests to a real kernel ring would sit here too.
 */
#ifndef URSA_EXECUTOR_H
#define URSA_EXECUTOR_H

#include "engine.h"

struct ursa_executor {
	const char *name;
	int (*issue)(struct ursa_req *req, unsigned issue_flags);
};

/* The executor for a new ring: the default, or the fault injector when
 * URSA_FAULT is set in the environment (see executor.c). */
const struct ursa_executor *ursa_executor_default(void);

static inline int ursa_exec_issue(struct ursa_req *req, unsigned issue_flags)
{
	return req->ring->exec->issue(req, issue_flags);
}
#endif
