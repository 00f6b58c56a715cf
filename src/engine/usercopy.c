/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing application memory that may be bad.  The kernel
 * answers -EFAULT for a bad pointer; so must we, without crashing, and
 * without installing signal handlers in the application's process.
 *
 * The fast way: let the kernel do the checked copy.  Each thread owns a
 * slot of a private memfd that the engine also has mapped.  Reading
 * application memory is one pwrite() from it into the slot (the kernel
 * copies, or says EFAULT) followed by a plain memcpy out of the mapping;
 * writing is a memcpy into the mapping and one pread() from the slot into
 * the application's memory.  One ordinary syscall, no page pinning: about
 * a fifth of process_vm_readv's cost here.
 *
 * Fallbacks, in order: process_vm_readv/writev on our own pid (large
 * copies, no free slot, memfd refused), then a plain copy where even those
 * are refused by a seccomp profile.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine.h"

#define SLOT_SIZE	(64u * 1024)
#define NR_SLOTS	256u

static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_fd = -1;
static unsigned char *scratch_map;
static _Atomic uint64_t slot_used[NR_SLOTS / 64];
static pthread_key_t slot_key;
static bool slot_key_made;

static void scratch_init_file(void);
static __thread int tls_slot = -1;
static _Atomic int vm_calls_refused;

static void slot_release(void *arg)
{
	unsigned slot = (unsigned)(uintptr_t)arg - 1;

	atomic_fetch_and(&slot_used[slot / 64], ~(1ull << (slot % 64)));
}

/*
 * After fork() the child shares the parent's memfd (and this thread's slot
 * number): a copy in one would land in the other's.  The child starts its
 * own scratch file.
 */
static void scratch_atfork_child(void)
{
	if (scratch_fd >= 0) {
		munmap(scratch_map, (size_t)SLOT_SIZE * NR_SLOTS);
		close(scratch_fd);
		scratch_fd = -1;
		scratch_map = NULL;
	}
	for (unsigned i = 0; i < NR_SLOTS / 64; i++)
		atomic_store(&slot_used[i], 0);
	tls_slot = -1;
	scratch_init_file();
}

static void scratch_init(void)
{
	scratch_init_file();
	pthread_atfork(NULL, NULL, scratch_atfork_child);
}

static void scratch_init_file(void)
{
	int fd = memfd_create("[ursa-usercopy]", MFD_CLOEXEC);
	void *m;

	if (fd < 0)
		return;
	if (ftruncate(fd, (off_t)SLOT_SIZE * NR_SLOTS) < 0) {
		close(fd);
		return;
	}
	m = mmap(NULL, (size_t)SLOT_SIZE * NR_SLOTS, PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		return;
	}
	if (!slot_key_made) {
		if (pthread_key_create(&slot_key, slot_release)) {
			munmap(m, (size_t)SLOT_SIZE * NR_SLOTS);
			close(fd);
			return;
		}
		slot_key_made = true;
	}
	scratch_map = m;
	scratch_fd = fd;
}

/* Create the scratch memfd with the first ring, so the engine's one
 * private fd exists from then on rather than appearing mid-way. */
void ursa_usercopy_init(void)
{
	pthread_once(&scratch_once, scratch_init);
}

/* This thread's slot, or -1 (no memfd, or every slot taken). */
static int my_slot(void)
{
	unsigned w, b;

	if (likely(tls_slot >= 0))
		return tls_slot;
	pthread_once(&scratch_once, scratch_init);
	if (scratch_fd < 0)
		return -1;
	for (w = 0; w < NR_SLOTS / 64; w++) {
		uint64_t used = atomic_load(&slot_used[w]);

		while (~used) {
			b = (unsigned)__builtin_ctzll(~used);
			if (atomic_compare_exchange_weak(&slot_used[w], &used,
							 used | (1ull << b))) {
				tls_slot = (int)(w * 64 + b);
				/* released when the thread exits */
				pthread_setspecific(slot_key,
						    (void *)(uintptr_t)(tls_slot + 1));
				return tls_slot;
			}
		}
	}
	return -1;
}

static int vm_copy(void *dst, const void *src, size_t len, bool to_user)
{
	struct iovec local, remote;
	ssize_t n;

	if (!atomic_load_explicit(&vm_calls_refused, memory_order_relaxed)) {
		if (to_user) {
			local.iov_base = (void *)src;
			remote.iov_base = dst;
		} else {
			local.iov_base = dst;
			remote.iov_base = (void *)src;
		}
		local.iov_len = remote.iov_len = len;
		n = to_user ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
			    : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || errno == EFAULT)
			return -EFAULT;
		if (errno != EPERM && errno != ENOSYS)
			return -EFAULT;
		atomic_store(&vm_calls_refused, 1);
	}
	if (!src || !dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int ursa_copy_from_user(void *dst, const void *src, size_t len)
{
	int slot;

	if (!len)
		return 0;
	slot = len <= SLOT_SIZE ? my_slot() : -1;
	if (slot >= 0) {
		off_t off = (off_t)slot * SLOT_SIZE;
		/* the raw call: a sanitizer's pwrite() interceptor would
		 * object to copying bytes next to an object, which is what
		 * a bounded string copy does (the kernel checks the pages). */
		ssize_t n = syscall(SYS_pwrite64, scratch_fd, src, len, off);

		if (n == (ssize_t)len) {
			memcpy(dst, scratch_map + off, len);
			return 0;
		}
		if (n >= 0 || errno == EFAULT)
			return -EFAULT;
		/* anything else (ENOSPC, a seccomp refusal): the slow way */
	}
	return vm_copy(dst, src, len, false);
}

int ursa_copy_to_user(void *dst, const void *src, size_t len)
{
	int slot;

	if (!len)
		return 0;
	slot = len <= SLOT_SIZE ? my_slot() : -1;
	if (slot >= 0) {
		off_t off = (off_t)slot * SLOT_SIZE;
		ssize_t n;

		memcpy(scratch_map + off, src, len);
		n = syscall(SYS_pread64, scratch_fd, dst, len, off);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || errno == EFAULT)
			return -EFAULT;
	}
	return vm_copy(dst, src, len, true);
}
