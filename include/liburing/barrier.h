/* SPDX-License-Identifier: MIT */
/*
 * Memory-ordering primitives shared by <liburing.h> and programs that touch
 * the rings directly.  Same names as liburing's barrier.h.
 *
 * The rings are shared with whoever serves them (the kernel, or ursa's
 * engine threads), so every index that crosses that boundary is read and
 * written atomically.  The GCC/Clang __atomic builtins work on plain
 * (non-_Atomic) objects in both C and C++, so one definition serves both
 * languages and ThreadSanitizer understands every access.
 */
#ifndef LIBURING_BARRIER_H
#define LIBURING_BARRIER_H

/* Plain atomic access: no ordering, but no tearing and no compiler caching. */
#define IO_URING_WRITE_ONCE(var, val) \
	__atomic_store_n(&(var), (val), __ATOMIC_RELAXED)
#define IO_URING_READ_ONCE(var) \
	__atomic_load_n(&(var), __ATOMIC_RELAXED)

/* Publish: everything written before becomes visible no later than *p. */
#define io_uring_smp_store_release(p, v) \
	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* Consume: reads after this see what the writer published before *p. */
#define io_uring_smp_load_acquire(p) \
	__atomic_load_n((p), __ATOMIC_ACQUIRE)

/* Full fence: orders earlier stores against later loads (SQPOLL wakeup). */
#define io_uring_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif /* LIBURING_BARRIER_H */
