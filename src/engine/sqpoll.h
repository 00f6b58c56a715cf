/* SPDX-License-Identifier: MIT */
/* IORING_SETUP_SQPOLL: a thread that consumes the SQ without enter calls. */
#ifndef URSA_SQPOLL_H
#define URSA_SQPOLL_H

#include "engine.h"

int ursa_sqpoll_create(struct ursa_ring *ring, const struct io_uring_params *p);
void ursa_sqpoll_destroy(struct ursa_ring *ring);
void ursa_sqpoll_wake(struct ursa_ring *ring);
int ursa_sqpoll_wait_sq(struct ursa_ring *ring);
#endif
