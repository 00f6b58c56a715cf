/* SPDX-License-Identifier: MIT */
/* The worker pool for work that blocks (the kernel's io-wq). */
#ifndef URSA_IOWQ_H
#define URSA_IOWQ_H

#include "engine.h"

int ursa_iowq_create(struct ursa_ring *ring, struct ursa_ring *attach);
void ursa_iowq_destroy(struct ursa_ring *ring);
void ursa_iowq_enqueue(struct ursa_req *req);
/* IORING_REGISTER_IOWQ_MAX_WORKERS: vals[0] bounded, vals[1] unbounded;
 * 0 leaves a limit as it is; the previous limits are written back. */
int ursa_iowq_max_workers(struct ursa_ring *ring, unsigned vals[2]);
int ursa_iowq_set_affinity(struct ursa_ring *ring, const cpu_set_t *set,
			   size_t setsize);
/* Interrupt the worker running req (its blocking syscall returns EINTR).
 * Returns true if req was queued or running and will complete. */
bool ursa_iowq_cancel(struct ursa_ring *ring, struct ursa_req *req);
struct ursa_cancel_data;
int ursa_iowq_cancel_match(struct ursa_ring *ring, struct ursa_cancel_data *cd);
int ursa_iowq_remove(struct ursa_ring *ring, struct ursa_req *req);
#endif
