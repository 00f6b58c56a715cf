/* SPDX-License-Identifier: MIT */
/*
 * Executors: the default one, and a fault injector for deterministic tests
 * of error, link and retry paths.
 *
 * URSA_FAULT="op=N,every=K,err=E,retry=1": for opcode N (all opcodes if op
 * is absent), every K-th issue (default 1) fails with -E; with retry=1 the
 * first nonblocking attempt of each request says "would block" instead, so
 * readiness waits and workers run even for files that are always ready.
 */
#include <stdlib.h>
#include <string.h>

#include "executor.h"
#include "opdef.h"

static int default_issue(struct ursa_req *req, unsigned issue_flags)
{
	return ursa_opdefs[req->opcode].issue(req, issue_flags);
}

static const struct ursa_executor default_executor = {
	.name	= "inline",
	.issue	= default_issue,
};

static struct {
	int op;			/* -1: any */
	unsigned every;
	int err;
	bool retry;
	_Atomic unsigned count;
} fault = { .op = -1, .every = 1 };

static int fault_issue(struct ursa_req *req, unsigned issue_flags)
{
	if (fault.op < 0 || fault.op == req->opcode) {
		if (fault.retry && (issue_flags & URSA_ISSUE_NONBLOCK) &&
		    !(req->flags & REQ_F_POLLED)) {
			req->flags |= REQ_F_POLLED;
			return URSA_ISSUE_PUNT;
		}
		if (fault.err &&
		    atomic_fetch_add(&fault.count, 1) % fault.every == fault.every - 1)
			return -fault.err;
	}
	return default_issue(req, issue_flags);
}

static const struct ursa_executor fault_executor = {
	.name	= "fault",
	.issue	= fault_issue,
};

static void parse_fault(const char *spec)
{
	char *s = strdup(spec), *tok, *save = NULL;

	if (!s)
		return;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "op=", 3))
			fault.op = atoi(tok + 3);
		else if (!strncmp(tok, "every=", 6))
			fault.every = (unsigned)atoi(tok + 6) ?: 1;
		else if (!strncmp(tok, "err=", 4))
			fault.err = atoi(tok + 4);
		else if (!strncmp(tok, "retry=", 6))
			fault.retry = atoi(tok + 6) != 0;
	}
	free(s);
}

const struct ursa_executor *ursa_executor_default(void)
{
	static _Atomic int chosen = -1;
	int c = atomic_load(&chosen);

	if (c < 0) {
		const char *spec = getenv("URSA_FAULT");

		if (spec && *spec)
			parse_fault(spec);
		c = (spec && *spec) ? 1 : 0;
		atomic_store(&chosen, c);
	}
	return c ? &fault_executor : &default_executor;
}
