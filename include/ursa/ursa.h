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

/*
 * newfd, a dup of ring fd oldfd (dup, dup2, F_DUPFD... made by the caller),
 * names the same ring from now on, as a dup'd kernel ring fd does.  The
 * ring lives until its last name is closed with ursa_close() (closing
 * the fd it was created as hands that role to the highest-numbered other
 * name).  Another name closed some other way is noticed (the number no
 * longer refers to the ring's file) and dropped the next time it is used;
 * the fd the ring lives under is not checked that way.  Used by ursa-run,
 * which sees the dup calls.  0, or -1 with errno (EBADF: oldfd is no ring;
 * EINVAL: newfd is not the same file).
 */
int ursa_ring_dup(int oldfd, int newfd);

/*
 * Polling a ring fd, for an interposer whose ring fds cannot be polled
 * themselves (ursa-run's are memfds).  ursa_ring_poll_fd() returns an
 * eventfd that becomes readable whenever a CQE is posted to the ring from
 * then on (it belongs to the ring: do not close it).  ursa_ring_poll()
 * returns what poll() on a kernel ring fd reports now: POLLIN|POLLRDNORM
 * with CQEs (or overflowed ones) to reap, POLLOUT|POLLWRNORM while the SQ
 * has room.  With arm set and no POLLIN, it also resets that eventfd, so
 * waiting on it sleeps until the next CQE.  -1 with errno EBADF if fd is no
 * ring.
 */
int ursa_ring_poll_fd(int fd);
int ursa_ring_poll(int fd, int arm);

#ifdef __cplusplus
}
#endif
#endif
