/* SPDX-License-Identifier: MIT */
/* Regions the application maps through the ring fd (see memmap.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memmap.h"

struct ursa_memmap {
	struct ursa_memmap	*next;
	uint64_t		off;
	size_t			size;
	void			*addr;
};

void *ursa_memmap_create(struct ursa_ring *ring, uint64_t off, size_t size,
			 int *err)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct ursa_memmap *m;
	struct stat st;
	void *addr;

	*err = -ENOMEM;
	if (ring->mem != URSA_MEM_MMAP || ring->fd < 0 || !size ||
	    size > (1ull << 40))
		return NULL;
	size = (size + ps - 1) & ~(ps - 1);
	for (m = ring->memmaps; m; m = m->next)
		if (off < m->off + m->size && m->off < off + size)
			return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (fstat(ring->fd, &st) < 0 ||
	    ((uint64_t)st.st_size < off + size &&
	     ftruncate(ring->fd, (off_t)(off + size)) < 0)) {
		free(m);
		return NULL;
	}
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ring->fd,
		    (off_t)off);
	if (addr == MAP_FAILED) {
		free(m);
		return NULL;
	}
	/* A hole punched by an earlier region reads zeroes; the rest of the
	 * file was never written. */
	m->off = off;
	m->size = size;
	m->addr = addr;
	m->next = ring->memmaps;
	ring->memmaps = m;
	*err = 0;
	return addr;
}

static void memmap_release(struct ursa_ring *ring, struct ursa_memmap *m)
{
	munmap(m->addr, m->size);
	/* The pages go back now: an application mapping left behind reads
	 * zeroes from here on (never someone else's data), and a later
	 * region at this offset starts zeroed as a fresh allocation does. */
	if (ring->fd >= 0)
		fallocate(ring->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)m->off, (off_t)m->size);
	free(m);
}

void ursa_memmap_free(struct ursa_ring *ring, void *addr)
{
	struct ursa_memmap **pp, *m;

	for (pp = &ring->memmaps; (m = *pp); pp = &m->next) {
		if (m->addr == addr) {
			*pp = m->next;
			memmap_release(ring, m);
			return;
		}
	}
}

void ursa_memmap_exit(struct ursa_ring *ring)
{
	struct ursa_memmap *m;

	while ((m = ring->memmaps)) {
		ring->memmaps = m->next;
		memmap_release(ring, m);
	}
}
