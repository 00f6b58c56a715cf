/* SPDX-License-Identifier: MIT */
#ifndef URSA_REGION_H
#define URSA_REGION_H
#include "engine.h"
int ursa_register_mem_region(struct ursa_ring *ring, void *arg, unsigned nr);
const struct io_uring_reg_wait *ursa_region_wait_arg(struct ursa_ring *ring,
						     uintptr_t offset, int *err);
void ursa_region_exit(struct ursa_ring *ring);
#endif
