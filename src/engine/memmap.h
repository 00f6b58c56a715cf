/* SPDX-License-Identifier: MIT */
/*
 * Memory the application maps through the ring fd at one of the kernel's
 * mmap offsets besides the rings themselves: buffer rings the engine
 * allocates (IORING_OFF_PBUF_RING | bgid << 16), the buffers of a
 * kernel-managed ring, zcrx refill queues.  The ring fd is a memfd, so each
 * lives in the memfd at the very offset the application passes to mmap(2):
 * a raw mmap of the ring fd, with or without liburing, finds it there.
 *
 * The cost of that: the kernel keys each such region by its id (bgid, zcrx
 * id) and lets it be any size, while memfd ranges are one line of bytes.  A
 * region longer than its id's stride (64 KiB for buffer groups) covers the
 * offsets of the next ids; a later region that would overlap an existing
 * one is refused with -ENOMEM (docs/ARCHITECTURE.md, "Buffers").
 *
 * Called under the ring's uring_lock (registration, teardown).
 */
#ifndef URSA_MEMMAP_H
#define URSA_MEMMAP_H

#include "engine.h"

struct ursa_memmap;

/* Map size bytes (rounded up to pages) at memfd offset off, zero-filled.
 * Returns the engine's mapping, or NULL with *err set (-ENOMEM: overlap,
 * no memfd (NO_MMAP ring) or out of memory). */
void *ursa_memmap_create(struct ursa_ring *ring, uint64_t off, size_t size,
			 int *err);
/* Unmap and give the pages back (a later region there reads zeroes). */
void ursa_memmap_free(struct ursa_ring *ring, void *addr);
/* Teardown: everything still mapped. */
void ursa_memmap_exit(struct ursa_ring *ring);

#endif
