/* SPDX-License-Identifier: MIT */
/* Per-ring timers (a heap driven by a timerfd in the ring's epoll set). */
#ifndef URSA_TIMER_H
#define URSA_TIMER_H

#include "engine.h"

struct ursa_timer {
	uint64_t		expires;	/* CLOCK_MONOTONIC, ns */
	void			(*fn)(struct ursa_timer *tm);
	unsigned		idx;		/* heap slot while queued */
	_Atomic int		state;
	struct ursa_timer	*next_due;
};

uint64_t ursa_now_ns(void);
/* Queue tm (expires and fn set by the caller). */
int ursa_timer_add(struct ursa_ring *ring, struct ursa_timer *tm);
bool ursa_timer_cancel(struct ursa_ring *ring, struct ursa_timer *tm);
bool ursa_timer_modify(struct ursa_ring *ring, struct ursa_timer *tm,
		       uint64_t expires);
void ursa_timer_done(struct ursa_timer *tm);
bool ursa_timer_firing(struct ursa_timer *tm);
/* Reactor side. */
void ursa_timers_run(struct ursa_ring *ring);
/* The earlier of until and the next timer (0: neither); records it as
 * the time the caller will sleep until. */
uint64_t ursa_timers_next(struct ursa_ring *ring, uint64_t until);
unsigned ursa_timers_drain(struct ursa_ring *ring, struct ursa_timer **out);
void ursa_timers_destroy(struct ursa_ring *ring);
#endif
