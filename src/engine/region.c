/* SPDX-License-Identifier: MIT */
/*
 * IORING_REGISTER_MEM_REGION: one memory region per ring, either the
 * application's pages or pages the ring provides (mapped by the
 * application through the ring fd at the kernel's param-region offset),
 * and its use for registered wait arguments (IORING_ENTER_EXT_ARG_REG).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region.h"

#define URSA_OFF_PARAM_REGION	0x20000000ULL	/* the kernel's offset */
#define URSA_REGION_MAX		(IORING_OFF_PBUF_RING - URSA_OFF_PARAM_REGION)

int ursa_register_mem_region(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_mem_region_reg reg;
	struct io_uring_region_desc rd;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	unsigned i;

	if (!arg || nr != 1)
		return -EINVAL;
	if (ursa_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (reg.__resv[0] || reg.__resv[1])
		return -EINVAL;
	if (reg.flags & ~(uint64_t)IORING_MEM_REGION_REG_WAIT_ARG)
		return -EINVAL;
	/* Wait arguments may only be set up before the ring runs. */
	if ((reg.flags & IORING_MEM_REGION_REG_WAIT_ARG) && ring->enabled)
		return -EINVAL;
	if (ring->region.addr)
		return -EBUSY;
	if (ursa_copy_from_user(&rd, (const void *)(uintptr_t)reg.region_uptr,
				sizeof(rd)))
		return -EFAULT;
	for (i = 0; i < 4; i++)
		if (rd.__resv[i])
			return -EINVAL;
	if (rd.id || (rd.flags & ~(uint32_t)IORING_MEM_REGION_TYPE_USER))
		return -EINVAL;
	if (!rd.size || (rd.size & (ps - 1)) || rd.size > URSA_REGION_MAX)
		return -EINVAL;
	if (rd.flags & IORING_MEM_REGION_TYPE_USER) {
		unsigned char b;
		uint64_t off;

		if (!rd.user_addr || (rd.user_addr & (ps - 1)))
			return -EFAULT;
		if (rd.mmap_offset)
			return -EINVAL;
		/* The kernel pins it: every page present and writable. */
		for (off = 0; off < rd.size; off += ps) {
			unsigned char *p = (unsigned char *)(uintptr_t)(rd.user_addr + off);

			if (ursa_copy_from_user(&b, p, 1) || ursa_copy_to_user(p, &b, 1))
				return -EFAULT;
		}
		ring->region.addr = (void *)(uintptr_t)rd.user_addr;
		ring->region.user = true;
	} else {
		struct stat st;
		void *m;

		if (rd.user_addr)
			return -EFAULT;
		if (ring->mem != URSA_MEM_MMAP)
			return -EINVAL;
		if (fstat(ring->fd, &st) == 0 &&
		    (uint64_t)st.st_size < URSA_OFF_PARAM_REGION + rd.size &&
		    ftruncate(ring->fd, (off_t)(URSA_OFF_PARAM_REGION + rd.size)) < 0)
			return -ENOMEM;
		m = mmap(NULL, rd.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 ring->fd, (off_t)URSA_OFF_PARAM_REGION);
		if (m == MAP_FAILED)
			return -ENOMEM;
		ring->region.addr = m;
		ring->region.user = false;
		rd.mmap_offset = URSA_OFF_PARAM_REGION;
		if (ursa_copy_to_user((void *)(uintptr_t)reg.region_uptr, &rd,
				      sizeof(rd))) {
			munmap(m, rd.size);
			ring->region.addr = NULL;
			return -EFAULT;
		}
	}
	ring->region.size = rd.size;
	ring->region.wait_arg = reg.flags & IORING_MEM_REGION_REG_WAIT_ARG;
	return 0;
}

/*
 * The wait argument for IORING_ENTER_EXT_ARG_REG: arg is a byte offset
 * into the region; it must be aligned and inside a region registered for
 * wait arguments, else -EFAULT.
 */
const struct io_uring_reg_wait *ursa_region_wait_arg(struct ursa_ring *ring,
						     uintptr_t offset, int *err)
{
	const struct io_uring_reg_wait *w;

	if (!ring->region.addr || !ring->region.wait_arg ||
	    (offset % sizeof(long)) ||
	    offset + sizeof(*w) > ring->region.size || offset + sizeof(*w) < offset) {
		*err = -EFAULT;
		return NULL;
	}
	w = (const struct io_uring_reg_wait *)((char *)ring->region.addr + offset);
	if (w->flags & ~(uint32_t)IORING_REG_WAIT_TS) {
		*err = -EINVAL;
		return NULL;
	}
	*err = 0;
	return w;
}

void ursa_region_exit(struct ursa_ring *ring)
{
	if (ring->region.addr && !ring->region.user)
		munmap(ring->region.addr, ring->region.size);
	ring->region.addr = NULL;
}
