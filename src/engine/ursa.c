/* SPDX-License-Identifier: MIT */
/*
 * The three entry points with the syscalls' contracts, the table that maps a
 * ring fd to its engine ring, and the choice of backend (engine or kernel).
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ursa/ursa.h>
#include "engine.h"
#include "device.h"

/* --------------------------------------------------------------- ring table */

/*
 * fd -> ring, two levels of 1024 so lookups are two loads and never need a
 * lock.  Chunks are allocated once and never freed; slots are written under
 * table_lock and read with acquire loads.
 */
#define CHUNK_SHIFT	10
#define CHUNK_SIZE	(1u << CHUNK_SHIFT)
#define NR_CHUNKS	1024u
static _Atomic(struct ursa_ring *) *ring_chunks[NR_CHUNKS];
/* In a fork()ed child, the slots of rings inherited from the parent. */
static struct ursa_ring inherited_ring;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

struct ursa_ring *ursa_ring_lookup(int fd)
{
	_Atomic(struct ursa_ring *) *chunk;
	struct ursa_ring *ring;

	if (fd < 0 || (unsigned)fd >= NR_CHUNKS * CHUNK_SIZE)
		return NULL;
	chunk = __atomic_load_n(&ring_chunks[fd >> CHUNK_SHIFT], __ATOMIC_ACQUIRE);
	if (!chunk)
		return NULL;
	ring = atomic_load_explicit(&chunk[fd & (CHUNK_SIZE - 1)],
				    memory_order_acquire);
	return ring == &inherited_ring ? NULL : ring;
}

/* A ring this process inherited across fork(): it cannot be used here. */
static bool ring_inherited(int fd)
{
	_Atomic(struct ursa_ring *) *chunk;

	if (fd < 0 || (unsigned)fd >= NR_CHUNKS * CHUNK_SIZE)
		return false;
	chunk = __atomic_load_n(&ring_chunks[fd >> CHUNK_SHIFT], __ATOMIC_ACQUIRE);
	return chunk && atomic_load(&chunk[fd & (CHUNK_SIZE - 1)]) == &inherited_ring;
}

/* Returns the ring that held this slot before (a stale one whose fd the
 * application closed behind our back), for the caller to destroy. */
static struct ursa_ring *ring_table_set(int fd, struct ursa_ring *ring)
{
	_Atomic(struct ursa_ring *) *chunk;
	struct ursa_ring *old;

	if (fd < 0 || (unsigned)fd >= NR_CHUNKS * CHUNK_SIZE)
		return NULL;
	pthread_mutex_lock(&table_lock);
	chunk = ring_chunks[fd >> CHUNK_SHIFT];
	if (!chunk) {
		chunk = calloc(CHUNK_SIZE, sizeof(*chunk));
		if (!chunk) {
			pthread_mutex_unlock(&table_lock);
			return NULL;
		}
		__atomic_store_n(&ring_chunks[fd >> CHUNK_SHIFT], chunk,
				 __ATOMIC_RELEASE);
	}
	old = atomic_exchange(&chunk[fd & (CHUNK_SIZE - 1)], ring);
	pthread_mutex_unlock(&table_lock);
	return old;
}

/*
 * Other names of a ring (ursa_ring_dup): fds that share the ring's memfd,
 * each holding a reference.  Rare, so a small array under table_lock; the
 * fd -> ring table above holds them too, so lookups find them unchanged.
 * The memfd's inode is kept to tell a stale name (closed without
 * ursa_close(), its number since reused) from a live one.
 */
struct ring_alias {
	int			fd;
	struct ursa_ring	*ring;
	dev_t			dev;
	ino_t			ino;
};
static struct ring_alias *aliases;
static unsigned nr_aliases, cap_aliases;

/* Rings whose fd is being polled (ursa_ring_poll_fd): each counts as a
 * permanent CQ waiter, so every CQE post signals its wait eventfd. */
static struct ursa_ring **polled;
static unsigned nr_polled, cap_polled;

/* Drop fd as a name of ring (true if it was one).  Caller puts the ref. */
static bool alias_forget_locked(int fd, struct ursa_ring *ring)
{
	for (unsigned i = 0; i < nr_aliases; i++) {
		if (aliases[i].fd == fd && aliases[i].ring == ring) {
			aliases[i] = aliases[--nr_aliases];
			return true;
		}
	}
	return false;
}

static bool alias_forget(int fd, struct ursa_ring *ring)
{
	bool ret;

	pthread_mutex_lock(&table_lock);
	ret = alias_forget_locked(fd, ring);
	pthread_mutex_unlock(&table_lock);
	return ret;
}

/* The ring is going away: it is no longer polled. */
static void polled_forget(struct ursa_ring *ring)
{
	pthread_mutex_lock(&table_lock);
	for (unsigned i = 0; i < nr_polled; i++) {
		if (polled[i] == ring) {
			polled[i] = polled[--nr_polled];
			break;
		}
	}
	pthread_mutex_unlock(&table_lock);
}

int ursa_ring_publish(struct ursa_ring *ring);
int ursa_ring_publish(struct ursa_ring *ring)
{
	struct ursa_ring *stale = ring_table_set(ring->fd, ring);

	if (stale && stale != &inherited_ring && alias_forget(ring->fd, stale)) {
		/* The number was another name (ursa_ring_dup) of a ring, closed
		 * behind our back: that name is gone, the ring is not. */
		ursa_ring_put(stale);
	} else if (stale && stale != ring && stale != &inherited_ring) {
		/* The fd number was reused by the kernel: the old ring's fd
		 * was closed without ursa_close().  Its memory is ours to
		 * release now. */
		polled_forget(stale);
		stale->fd = -1;
		ursa_ring_put(stale);
	}
	return ursa_ring_lookup(ring->fd) == ring ? 0 : -ENOMEM;
}

void ursa_ring_unpublish(struct ursa_ring *ring);
void ursa_ring_unpublish(struct ursa_ring *ring)
{
	_Atomic(struct ursa_ring *) *chunk;
	struct ursa_ring *expected = ring;

	if (ring->fd < 0 || (unsigned)ring->fd >= NR_CHUNKS * CHUNK_SIZE)
		return;
	pthread_mutex_lock(&table_lock);
	chunk = ring_chunks[ring->fd >> CHUNK_SHIFT];
	if (chunk)
		atomic_compare_exchange_strong(&chunk[ring->fd & (CHUNK_SIZE - 1)],
					       &expected, NULL);
	pthread_mutex_unlock(&table_lock);
}

/* Clear fd's slot if it still holds ring. */
static void ursa_ring_unpublish_fd(int fd, struct ursa_ring *ring)
{
	_Atomic(struct ursa_ring *) *chunk;
	struct ursa_ring *expected = ring;

	if (fd < 0 || (unsigned)fd >= NR_CHUNKS * CHUNK_SIZE)
		return;
	pthread_mutex_lock(&table_lock);
	chunk = ring_chunks[fd >> CHUNK_SHIFT];
	if (chunk)
		atomic_compare_exchange_strong(&chunk[fd & (CHUNK_SIZE - 1)],
					       &expected, NULL);
	pthread_mutex_unlock(&table_lock);
}

/*
 * fork(): the child inherits the ring fds and memory but none of the
 * engine's threads, and its locks may have been held by threads that do not
 * exist there.  The child forgets every ring (it does not tear them down:
 * the memory stays until the child exits or unmaps it); its calls on an
 * inherited ring fd answer -EBADFD (a ring, in a state it cannot serve).  Rings the
 * child creates itself work normally.  (The kernel would share the ring;
 * ursa cannot share an engine between processes.)
 */
static void ring_table_atfork_child(void);
static void ring_table_atfork_child(void)
{
	unsigned c;

	pthread_mutex_init(&table_lock, NULL);
	for (c = 0; c < NR_CHUNKS; c++) {
		_Atomic(struct ursa_ring *) *chunk = ring_chunks[c];

		if (!chunk)
			continue;
		for (unsigned i = 0; i < CHUNK_SIZE; i++)
			if (atomic_load(&chunk[i]))
				atomic_store(&chunk[i], &inherited_ring);
	}
	ursa_forget_registered_rings();
	/* the parent's rings and their names: nothing the child may use */
	nr_aliases = 0;
	nr_polled = 0;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_install(void)
{
	pthread_atfork(NULL, NULL, ring_table_atfork_child);
}

void ursa_atfork_init(void)
{
	pthread_once(&atfork_once, atfork_install);
}

int ursa_is_ring_fd(int fd)
{
	return ursa_ring_lookup(fd) != NULL || ring_inherited(fd);
}

/* ------------------------------------------------------------------ backend */

static _Atomic int backend = -1;

static enum ursa_backend backend_from_env(void)
{
	const char *e = getenv("URSA_BACKEND");

	if (e && !strcmp(e, "kernel"))
		return URSA_BACKEND_KERNEL;
	return URSA_BACKEND_URSA;
}

enum ursa_backend ursa_get_backend(void)
{
	int b = atomic_load_explicit(&backend, memory_order_relaxed);

	if (b < 0) {
		b = backend_from_env();
		atomic_store(&backend, b);
	}
	return (enum ursa_backend)b;
}

void ursa_set_backend(enum ursa_backend b)
{
	atomic_store(&backend, (int)b);
}

pid_t ursa_gettid(void)
{
	static __thread pid_t tid;

	if (unlikely(!tid))
		tid = (pid_t)syscall(SYS_gettid);
	return tid;
}

static inline int ret_errno(int ret)
{
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

/* Error for an fd that is not an ursa ring: EBADF if it is not open at all,
 * EOPNOTSUPP if it is some other file (the kernel's answers). */
static int not_a_ring(int fd)
{
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	return -EOPNOTSUPP;
}

/*
 * fd is another name of ring in the table: still the same memfd?  If it
 * was closed without ursa_close() (the number may now be anything), the
 * name is dropped and NULL returned.  One fstat, on this rare path only.
 */
static struct ursa_ring *alias_check(int fd, struct ursa_ring *ring)
{
	struct stat st;
	bool live = false, known = false;

	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	pthread_mutex_lock(&table_lock);
	for (unsigned i = 0; i < nr_aliases; i++) {
		if (aliases[i].fd == fd && aliases[i].ring == ring) {
			known = true;
			live = aliases[i].dev == st.st_dev &&
			       aliases[i].ino == st.st_ino;
			break;
		}
	}
	pthread_mutex_unlock(&table_lock);
	if (live || !known)
		return known ? ring : NULL;
	ursa_ring_unpublish_fd(fd, ring);
	if (alias_forget(fd, ring))
		ursa_ring_put(ring);
	return NULL;
}

/* ------------------------------------------------------------- entry points */

int ursa_io_uring_setup(unsigned entries, struct io_uring_params *p)
{
	if (ursa_get_backend() == URSA_BACKEND_KERNEL)
		return (int)syscall(__NR_io_uring_setup, entries, p);
	return ret_errno(ursa_ring_setup(entries, p));
}

/*
 * An fd that is not one of our rings may be a kernel ring (created with the
 * kernel backend, or by code that called the syscall itself): hand the call
 * to the kernel.  Where the kernel refuses io_uring, answer as it would for
 * a file that is not a ring.
 */
static bool kernel_refused(long ret)
{
	return ret < 0 && (errno == ENOSYS || errno == EPERM);
}

int ursa_io_uring_enter(unsigned fd, unsigned to_submit, unsigned min_complete,
			unsigned flags, const void *arg, size_t argsz)
{
	struct ursa_ring *ring;
	long ret;

	if (flags & IORING_ENTER_REGISTERED_RING)
		ring = ursa_registered_ring(fd);
	else
		ring = ursa_ring_lookup((int)fd);
	if (unlikely(ring && !(flags & IORING_ENTER_REGISTERED_RING) &&
		     ring->fd != (int)fd))
		ring = alias_check((int)fd, ring);
	if (likely(ring))
		return ret_errno(ursa_ring_enter(ring, to_submit, min_complete,
						 flags, arg, argsz));
	if (!(flags & IORING_ENTER_REGISTERED_RING) && ring_inherited((int)fd))
		return ret_errno(-EBADFD);
	/* Registered indexes are per backend: ours answer for ourselves. */
	if (!(flags & IORING_ENTER_REGISTERED_RING) ||
	    ursa_get_backend() == URSA_BACKEND_KERNEL) {
		ret = syscall(__NR_io_uring_enter, fd, to_submit, min_complete,
			      flags, arg, argsz);
		if (!kernel_refused(ret))
			return (int)ret;
	}
	/* A registered index: out of range is -EINVAL, an empty slot -EBADF. */
	if (flags & IORING_ENTER_REGISTERED_RING)
		return ret_errno(ursa_registered_ring_error(fd));
	return ret_errno(not_a_ring((int)fd));
}

int ursa_io_uring_register(unsigned fd, unsigned opcode, const void *arg,
			   unsigned nr_args)
{
	unsigned op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
	bool registered = opcode & IORING_REGISTER_USE_REGISTERED_RING;
	struct ursa_ring *ring;
	long ret;

	if ((int)fd == -1 && !registered) {
		if (ursa_get_backend() == URSA_BACKEND_KERNEL)
			return (int)syscall(__NR_io_uring_register, fd, opcode,
					    arg, nr_args);
		return ret_errno(ursa_register_blind(op, (void *)arg, nr_args));
	}
	ring = registered ? ursa_registered_ring(fd) : ursa_ring_lookup((int)fd);
	if (unlikely(ring && !registered && ring->fd != (int)fd))
		ring = alias_check((int)fd, ring);
	if (likely(ring))
		return ret_errno(ursa_ring_register(ring, op, (void *)arg,
						    nr_args));
	if (!registered && ring_inherited((int)fd))
		return ret_errno(-EBADFD);
	if (!registered || ursa_get_backend() == URSA_BACKEND_KERNEL) {
		ret = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
		if (!kernel_refused(ret))
			return (int)ret;
	}
	if (registered)
		return ret_errno(ursa_registered_ring_error(fd));
	return ret_errno(not_a_ring((int)fd));
}

/*
 * The ring's primary fd is being closed while other names exist: the first
 * live one becomes the primary (the ring lives on, as the kernel's does
 * while any fd refers to it).  Names closed behind our back are dropped.
 */
static bool ring_promote_alias(struct ursa_ring *ring)
{
	struct stat st;

	for (;;) {
		int best = -1, fd;

		pthread_mutex_lock(&table_lock);
		/* the highest number first: an interposer's ring fd range
		 * (ursa-run watches closes there) lies above the rest */
		for (unsigned i = 0; i < nr_aliases; i++)
			if (aliases[i].ring == ring &&
			    (best < 0 || aliases[i].fd > aliases[best].fd))
				best = (int)i;
		if (best < 0) {
			pthread_mutex_unlock(&table_lock);
			return false;
		}
		fd = aliases[best].fd;
		if (fstat(fd, &st) == 0 && st.st_dev == aliases[best].dev &&
		    st.st_ino == aliases[best].ino) {
			ring->fd = fd;
			aliases[best] = aliases[--nr_aliases];
			pthread_mutex_unlock(&table_lock);
			return true;
		}
		/* closed behind our back: drop that name, look again */
		aliases[best] = aliases[--nr_aliases];
		pthread_mutex_unlock(&table_lock);
		ursa_ring_unpublish_fd(fd, ring);
		ursa_ring_put(ring);
	}
}

/* Close a ring fd (or any fd): an ursa ring is torn down first. */
int ursa_close(int fd)
{
	struct ursa_ring *ring = ursa_ring_lookup(fd);

	if (!ring && ring_inherited(fd))
		ring_table_set(fd, NULL);	/* the parent's: just the fd */

	if (ring) {
		int ret;

		if (fd != ring->fd) {
			/* another name: the ring stays with its other names */
			ursa_ring_unpublish_fd(fd, ring);
			ret = close(fd);
			if (alias_forget(fd, ring))
				ursa_ring_put(ring);
			return ret;
		}
		if (ring_promote_alias(ring)) {
			/* the name's reference now stands for the primary */
			ursa_ring_unpublish_fd(fd, ring);
			ret = close(fd);
			ursa_ring_put(ring);
			return ret;
		}
		polled_forget(ring);
		ursa_ring_unpublish(ring);
		ret = close(ring->fd);
		ring->fd = -1;
		ursa_ring_put(ring);
		return ret;
	}
	if (unlikely(ursa_device_lookup_possible())) {
		struct ursa_device *dev = ursa_device_lookup(fd);

		/* The fd a device was created as: the device goes with it
		 * once its requests are done. */
		if (dev && ursa_device_fd(dev) == fd) {
			int ret = ursa_device_close(dev);

			ursa_device_put(dev);
			return ret < 0 ? (errno = -ret, -1) : 0;
		}
		ursa_device_put(dev);
	}
	return close(fd);
}

/* --------------------------------------- more names for a ring; polling it */

/* The ring fd names (primary or a live alias), or NULL. */
static struct ursa_ring *ring_of_name(int fd)
{
	struct ursa_ring *ring = ursa_ring_lookup(fd);

	if (ring && ring->fd != fd)
		ring = alias_check(fd, ring);
	return ring;
}

int ursa_ring_dup(int oldfd, int newfd)
{
	struct ursa_ring *ring = ring_of_name(oldfd), *stale;
	struct stat a, b;

	if (!ring || newfd < 0 || (unsigned)newfd >= NR_CHUNKS * CHUNK_SIZE) {
		errno = EBADF;
		return -1;
	}
	if (newfd == oldfd)
		return 0;
	if (fstat(oldfd, &a) < 0 || fstat(newfd, &b) < 0)
		return -1;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		errno = EINVAL;		/* newfd is not a dup of oldfd */
		return -1;
	}
	pthread_mutex_lock(&table_lock);
	if (nr_aliases == cap_aliases) {
		unsigned cap = cap_aliases ? 2 * cap_aliases : 8;
		struct ring_alias *n = realloc(aliases, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&table_lock);
			errno = ENOMEM;
			return -1;
		}
		aliases = n;
		cap_aliases = cap;
	}
	aliases[nr_aliases++] = (struct ring_alias){
		.fd = newfd, .ring = ring, .dev = b.st_dev, .ino = b.st_ino,
	};
	pthread_mutex_unlock(&table_lock);
	ursa_ring_get(ring);
	stale = ring_table_set(newfd, ring);
	if (stale == ring) {
		/* newfd already named it (never closed through us): once */
		if (alias_forget(newfd, ring))
			ursa_ring_put(ring);
	} else if (stale && stale != &inherited_ring) {
		/* another ring's name, closed behind our back */
		if (alias_forget(newfd, stale)) {
			ursa_ring_put(stale);
		} else if (stale->fd == newfd) {
			polled_forget(stale);
			stale->fd = -1;
			ursa_ring_put(stale);
		}
	}
	return 0;
}

/* What the kernel's poll on a ring fd reports. */
static int ring_poll_mask(struct ursa_ring *ring)
{
	unsigned cq_tail = atomic_load_explicit(ring->cq_tail, memory_order_acquire);
	unsigned cq_head = atomic_load_explicit(ring->cq_head, memory_order_acquire);
	unsigned sq_tail = atomic_load_explicit(ring->sq_tail, memory_order_acquire);
	unsigned sq_head = atomic_load_explicit(ring->sq_head, memory_order_acquire);
	int mask = 0;

	if (sq_tail - sq_head < ring->sq_entries)
		mask |= POLLOUT | POLLWRNORM;
	if (cq_tail != cq_head || __atomic_load_n(&ring->nr_overflow, __ATOMIC_RELAXED))
		mask |= POLLIN | POLLRDNORM;
	return mask;
}

int ursa_ring_poll_fd(int fd)
{
	struct ursa_ring *ring = ring_of_name(fd);
	bool found = false;
	int efd;

	if (!ring) {
		errno = EBADF;
		return -1;
	}
	pthread_mutex_lock(&ring->completion_lock);
	if (ring->wait_evfd < 0)
		ring->wait_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd = ring->wait_evfd;
	pthread_mutex_unlock(&ring->completion_lock);
	if (efd < 0)
		return -1;
	pthread_mutex_lock(&table_lock);
	for (unsigned i = 0; i < nr_polled && !found; i++)
		found = polled[i] == ring;
	if (!found && nr_polled == cap_polled) {
		unsigned cap = cap_polled ? 2 * cap_polled : 8;
		struct ursa_ring **n = realloc(polled, cap * sizeof(*n));

		if (n) {
			polled = n;
			cap_polled = cap;
		}
	}
	if (!found && nr_polled < cap_polled) {
		polled[nr_polled++] = ring;
		/* a waiter that never leaves: every CQE post from now on
		 * writes the eventfd (complete.c, ursa_cq_wake) */
		atomic_fetch_add_explicit(&ring->cq_waiters, 1,
					  memory_order_seq_cst);
		found = true;
	}
	pthread_mutex_unlock(&table_lock);
	if (!found) {
		errno = ENOMEM;
		return -1;
	}
	return efd;
}

int ursa_ring_poll(int fd, int arm)
{
	struct ursa_ring *ring = ring_of_name(fd);
	int mask;

	if (!ring) {
		errno = EBADF;
		return -1;
	}
	mask = ring_poll_mask(ring);
	if (arm && !(mask & POLLIN) && ring->wait_evfd >= 0) {
		uint64_t v;

		/* nothing to read: reset the eventfd, then look again, since
		 * a CQE posted before the reset wrote its wakeup too early */
		if (read(ring->wait_evfd, &v, sizeof(v)) < 0) {
			/* EAGAIN: it was reset already */
		}
		mask = ring_poll_mask(ring);
		if (mask & POLLIN)
			eventfd_write(ring->wait_evfd, 1);
	}
	return mask;
}
