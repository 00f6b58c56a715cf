/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of libursa's liburing-compatible layer (src/lib).
 */
#ifndef URSA_LIB_LIB_H
#define URSA_LIB_LIB_H

/* Makes <liburing.h> declare io_uring_get_sqe() as the exported function. */
#define LIBURSA_INTERNAL 1

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <liburing.h>
#include <ursa/ursa.h>

#define URSA_COLD	__attribute__((cold))

/*
 * Library-private bits of struct io_uring.int_flags.  The values match
 * liburing's so a ring set up by either library reads the same; the two
 * that coincide with enter flags are OR'ed straight into io_uring_enter().
 */
enum {
	INT_FLAG_REG_REG_RING	= 1,	/* register calls may use the ring index */
	INT_FLAG_APP_MEM	= 2,	/* ring memory belongs to the application */
	INT_FLAG_CQ_ENTER	= 4,	/* IOPOLL without SQPOLL: reaping must enter */
	INT_FLAG_REG_RING	= IORING_ENTER_REGISTERED_RING,	/* 16 */
	INT_FLAG_NO_IOWAIT	= IORING_ENTER_NO_IOWAIT,	/* 128 */
};

#define INT_FLAGS_ENTER_MASK	(INT_FLAG_REG_RING | INT_FLAG_NO_IOWAIT)

/* The io_uring_enter() flags every call on this ring must carry. */
static inline unsigned ring_enter_flags(const struct io_uring *ring)
{
	return ring->int_flags & INT_FLAGS_ENTER_MASK;
}

/*
 * Engine entry points with liburing's error convention: the ursa_* calls
 * return -1 and set errno, liburing functions return -errno.
 */
static inline int lib_setup(unsigned entries, struct io_uring_params *p)
{
	int ret = ursa_io_uring_setup(entries, p);

	return ret < 0 ? -errno : ret;
}

static inline int lib_enter2(unsigned fd, unsigned to_submit,
			     unsigned min_complete, unsigned flags,
			     const void *arg, size_t argsz)
{
	int ret = ursa_io_uring_enter(fd, to_submit, min_complete, flags, arg,
				      argsz);

	return ret < 0 ? -errno : ret;
}

/* Classic enter: arg is a sigset_t of the kernel's size (_NSIG bits). */
static inline int lib_enter(unsigned fd, unsigned to_submit,
			    unsigned min_complete, unsigned flags,
			    const sigset_t *sig)
{
	return lib_enter2(fd, to_submit, min_complete, flags, sig, _NSIG / 8);
}

static inline int lib_register(unsigned fd, unsigned opcode, const void *arg,
			       unsigned nr_args)
{
	int ret = ursa_io_uring_register(fd, opcode, arg, nr_args);

	return ret < 0 ? -errno : ret;
}

/* mmap() returning -errno through *err instead of MAP_FAILED. */
static inline void *lib_mmap(size_t len, int prot, int flags, int fd,
			     off_t off, int *err)
{
	void *p = NULL;

	/* An ursa ring: share the engine's mapping (see ursa_ring_mmap). */
	if (fd >= 0 && (flags & MAP_SHARED) && (prot & PROT_WRITE))
		p = ursa_ring_mmap(fd, (unsigned long long)off, len);
	if (p) {
		*err = 0;
		return p;
	}
	p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	*err = 0;
	return p;
}

static inline void lib_munmap(void *p, size_t len)
{
	if (p && len && !ursa_ring_munmap(p, len))
		munmap(p, len);
}

static inline size_t lib_page_size(void)
{
	long sz = sysconf(_SC_PAGESIZE);

	return sz > 0 ? (size_t) sz : 4096;
}

/* setup.c: ring mapping shared with io_uring_resize_rings(). */
int uring_lib_map_rings(int fd, struct io_uring_params *p,
			struct io_uring_sq *sq, struct io_uring_cq *cq);
void uring_lib_unmap_rings(struct io_uring_sq *sq, struct io_uring_cq *cq);
void uring_lib_set_ring_pointers(const struct io_uring_params *p,
				 struct io_uring_sq *sq,
				 struct io_uring_cq *cq);

#endif /* URSA_LIB_LIB_H */
