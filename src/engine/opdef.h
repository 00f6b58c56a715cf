/* SPDX-License-Identifier: MIT */
/*
 * The opcode table: one entry per IORING_OP_*, with the prep and issue
 * functions and the properties the core acts on.  The probe is derived from
 * it, so the probe cannot claim what dispatch does not do.
 */
#ifndef URSA_OPDEF_H
#define URSA_OPDEF_H

#include "engine.h"

struct ursa_opdef {
	const char *name;
	/* Validate and copy the SQE; the SQE slot may be reused after submit. */
	int (*prep)(struct ursa_req *req, const struct io_uring_sqe *sqe);
	/* Execute: a result, URSA_ISSUE_RETRY or URSA_ISSUE_QUEUED. */
	int (*issue)(struct ursa_req *req, unsigned issue_flags);
	/* Release what prep or issue allocated; called once when freed. */
	void (*cleanup)(struct ursa_req *req);
	/*
	 * The request fails from outside its issue function (cancelled while
	 * it waits, a failed link head): req->res holds the error; the op may
	 * replace it with the work already done and add CQE flags, as the
	 * kernel's ->fail (a MSG_WAITALL receive cancelled after part of the
	 * data reports those bytes).  Only after prep ran; an op with one needs
	 * zeroed state at prep (it gets it with .cleanup or .fail).
	 */
	void (*fail)(struct ursa_req *req);
	unsigned needs_file : 1;	/* sqe->fd names a file (fixed allowed) */
	unsigned pollin : 1;		/* would-block waits for POLLIN */
	unsigned pollout : 1;		/* would-block waits for POLLOUT */
	unsigned buffer_select : 1;	/* IOSQE_BUFFER_SELECT allowed */
	unsigned iopoll : 1;		/* allowed on IORING_SETUP_IOPOLL rings */
	unsigned force_worker : 1;	/* always blocks: straight to a worker */
	unsigned unbound : 1;		/* may block indefinitely: unbounded workers */
	unsigned ioprio : 1;		/* sqe->ioprio has a meaning */
	unsigned sqe128 : 1;		/* takes a 128-byte SQE (SQE_MIXED) */
	unsigned implemented : 1;	/* reported by the probe */
};

extern const struct ursa_opdef ursa_opdefs[IORING_OP_LAST];

int ursa_prep_unsupported(struct ursa_req *req, const struct io_uring_sqe *sqe);

#endif
