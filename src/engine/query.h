/* SPDX-License-Identifier: MIT */
/* IORING_REGISTER_QUERY: what this engine supports, asked without a ring. */
#ifndef URSA_QUERY_H
#define URSA_QUERY_H
#include "engine.h"
/* io_uring_register(fd or -1, IORING_REGISTER_QUERY, hdr chain, 0) */
int ursa_register_query(void *arg, unsigned nr);
#endif
