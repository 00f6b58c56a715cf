/* SPDX-License-Identifier: MIT */
/*
 * The three entry points with the syscalls' contracts, the table that maps a
 * ring fd to its engine ring, and the choice of backend (engine or kernel).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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

int ursa_ring_publish(struct ursa_ring *ring);
int ursa_ring_publish(struct ursa_ring *ring)
{
	struct ursa_ring *stale = ring_table_set(ring->fd, ring);

	if (stale && stale != ring && stale != &inherited_ring) {
		/* The fd number was reused by the kernel: the old ring's fd
		 * was closed without ursa_close().  Its memory is ours to
		 * release now. */
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

/* Close a ring fd (or any fd): an ursa ring is torn down first. */
int ursa_close(int fd)
{
	struct ursa_ring *ring = ursa_ring_lookup(fd);

	if (!ring && ring_inherited(fd))
		ring_table_set(fd, NULL);	/* the parent's: just the fd */

	if (ring) {
		int ret;

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
