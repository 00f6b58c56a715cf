/* SPDX-License-Identifier: MIT */
/*
 * ursa: io_uring served from user space.
 *
 * The three engine entry points carry the contracts of the io_uring syscalls:
 * same arguments, same return values, errno set on failure (-1 returned).
 * The liburing-compatible API in <liburing.h> calls these; programs may too.
 */
#ifndef URSA_URSA_H
#define URSA_URSA_H

#include <stddef.h>
#include <signal.h>
#include <liburing/io_uring.h>

#ifdef __cplusplus
extern "C" {
#endif

int ursa_io_uring_setup(unsigned entries, struct io_uring_params *p);
int ursa_io_uring_enter(unsigned fd, unsigned to_submit, unsigned min_complete,
			unsigned flags, const void *arg, size_t argsz);
int ursa_io_uring_register(unsigned fd, unsigned opcode, const void *arg,
			   unsigned nr_args);

/*
 * Which io_uring serves rings created from now on.  URSA_BACKEND_URSA is the
 * in-process engine; URSA_BACKEND_KERNEL passes the three calls to the
 * kernel's io_uring (used by differential tests and by ursa-run's "auto").
 * The initial choice comes from the environment variable URSA_BACKEND
 * ("ursa", the default, or "kernel").  Enter and register calls on a ring go
 * to whichever backend created it.
 */
enum ursa_backend {
	URSA_BACKEND_URSA = 0,
	URSA_BACKEND_KERNEL = 1,
};
void ursa_set_backend(enum ursa_backend backend);
enum ursa_backend ursa_get_backend(void);

/* Close fd; if it names an ursa ring, the ring is torn down first (its
 * in-flight requests cancelled and waited for); if it is a driver's device
 * (include/ursa/driver.h), the device is released once its requests are
 * done.  Use it where a program would close() such an fd. */
int ursa_close(int fd);

/*
 * Map part of a ring the way mmap(NULL, len, PROT_READ|PROT_WRITE,
 * MAP_SHARED, fd, off) would, reusing the engine's own mapping of an ursa
 * ring (NULL if fd is not an ursa ring or off/len do not fit: then call
 * mmap).  Such memory is released with ursa_ring_munmap(), which returns 1
 * if it took care of addr and 0 if the caller should munmap() it itself.
 * <liburing.h> uses these; a program mapping rings itself need not.
 */
void *ursa_ring_mmap(int fd, unsigned long long off, size_t len);
int ursa_ring_munmap(void *addr, size_t len);

/*
 * Ring fds created from now on are placed at fd numbers >= base (0: the
 * lowest free number, the default).  Used by ursa-run, whose seccomp
 * filter recognises ring fds by their number.
 */
void ursa_set_ring_fd_base(int base);

/* True if fd names an ursa ring of this process, or one inherited across
 * fork() (which cannot be served here: calls on it answer -EBADFD). */
int ursa_is_ring_fd(int fd);

#ifdef __cplusplus
}
#endif
#endif
