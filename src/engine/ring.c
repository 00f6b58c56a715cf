/* SPDX-License-Identifier: MIT */
/*
 * Ring creation and teardown: parameter checks in the kernel's order, the
 * ring memory (a memfd mapped at the kernel's mmap offsets, or memory the
 * application provides with IORING_SETUP_NO_MMAP), and the release of
 * everything a ring owns.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "iowq.h"
#include "poll.h"
#include "rsrc.h"
#include "sqpoll.h"
#include "executor.h"
#include "timeout.h"
#include "kbuf.h"
#include "region.h"
#include "memmap.h"
#include "zcrx.h"
#include "uring_cmd.h"
#include "timer.h"
#include <ursa/ursa.h>

int ursa_ring_publish(struct ursa_ring *ring);
void ursa_ring_unpublish(struct ursa_ring *ring);




/*
 * Ring header layout: the kernel's struct io_rings field order (sq head/tail,
 * cq head/tail, masks, entries, dropped, sq flags, cq flags, overflow; CQEs
 * from byte 64).  With mmap the SQ and CQ are separate memfd ranges and each
 * uses the fields that belong to it; with NO_MMAP both live in the one region
 * the application provides, exactly as the kernel lays it out there.
 */
enum {
	OFF_SQ_HEAD = 0, OFF_SQ_TAIL = 4, OFF_CQ_HEAD = 8, OFF_CQ_TAIL = 12,
	OFF_SQ_MASK = 16, OFF_CQ_MASK = 20, OFF_SQ_ENTRIES = 24,
	OFF_CQ_ENTRIES = 28, OFF_SQ_DROPPED = 32, OFF_SQ_FLAGS = 36,
	OFF_CQ_FLAGS = 40, OFF_CQ_OVERFLOW = 44, OFF_CQES = 64,
	RINGS_HDR = 64,
};

static size_t page_round(size_t n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	return (n + ps - 1) & ~(ps - 1);
}

static unsigned roundup_pow2(unsigned n)
{
	unsigned r = 1;

	while (r < n)
		r <<= 1;
	return r;
}

static int check_params(unsigned entries, struct io_uring_params *p,
			unsigned *sq_entries, unsigned *cq_entries)
{
	unsigned flags = p->flags;
	size_t i;

	for (i = 0; i < sizeof(p->resv) / sizeof(p->resv[0]); i++)
		if (p->resv[i])
			return -EINVAL;
	if (flags & ~URSA_SETUP_FLAGS_KNOWN)
		return -EINVAL;
	if (flags & ~URSA_SETUP_FLAGS)
		return -EINVAL;
	/* SQ_REWIND reads SQEs from slot 0 every time: no SQ array, and no
	 * poller that could not know where a batch ends. */
	if ((flags & IORING_SETUP_SQ_REWIND) &&
	    ((flags & IORING_SETUP_SQPOLL) || !(flags & IORING_SETUP_NO_SQARRAY)))
		return -EINVAL;
	if ((flags & IORING_SETUP_CQE_MIXED) && (flags & IORING_SETUP_CQE32))
		return -EINVAL;
	if ((flags & IORING_SETUP_SQE_MIXED) && (flags & IORING_SETUP_SQE128))
		return -EINVAL;
	if ((flags & IORING_SETUP_SQPOLL) &&
	    (flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
		      IORING_SETUP_DEFER_TASKRUN)))
		return -EINVAL;
	if ((flags & IORING_SETUP_TASKRUN_FLAG) &&
	    !(flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)))
		return -EINVAL;
	if ((flags & IORING_SETUP_DEFER_TASKRUN) &&
	    !(flags & IORING_SETUP_SINGLE_ISSUER))
		return -EINVAL;
	if ((flags & IORING_SETUP_SQ_AFF) && !(flags & IORING_SETUP_SQPOLL))
		return -EINVAL;
	if ((flags & IORING_SETUP_HYBRID_IOPOLL) && !(flags & IORING_SETUP_IOPOLL))
		return -EINVAL;

	if (!entries)
		return -EINVAL;
	if (entries > URSA_MAX_ENTRIES) {
		if (!(flags & IORING_SETUP_CLAMP))
			return -EINVAL;
		entries = URSA_MAX_ENTRIES;
	}
	*sq_entries = roundup_pow2(entries);
	if (flags & IORING_SETUP_CQSIZE) {
		unsigned cq = p->cq_entries;

		if (!cq)
			return -EINVAL;
		if (cq > URSA_MAX_CQ_ENTRIES) {
			if (!(flags & IORING_SETUP_CLAMP))
				return -EINVAL;
			cq = URSA_MAX_CQ_ENTRIES;
		}
		*cq_entries = roundup_pow2(cq);
		if (*cq_entries < *sq_entries)
			return -EINVAL;
	} else {
		*cq_entries = 2 * *sq_entries;
	}
	return 0;
}

static void set_ring_pointers(struct ursa_ring *ring, unsigned char *sq,
			      unsigned char *cq, size_t sq_array_off)
{
	ring->sq_head = (_Atomic unsigned *)(sq + OFF_SQ_HEAD);
	ring->sq_tail = (_Atomic unsigned *)(sq + OFF_SQ_TAIL);
	ring->sq_flags = (_Atomic unsigned *)(sq + OFF_SQ_FLAGS);
	ring->sq_dropped = (unsigned *)(sq + OFF_SQ_DROPPED);
	ring->sq_array = (ring->setup_flags & IORING_SETUP_NO_SQARRAY) ?
			 NULL : (unsigned *)(sq + sq_array_off);
	ring->cq_head = (_Atomic unsigned *)(cq + OFF_CQ_HEAD);
	ring->cq_tail = (_Atomic unsigned *)(cq + OFF_CQ_TAIL);
	ring->cq_flags = (_Atomic unsigned *)(cq + OFF_CQ_FLAGS);
	ring->cq_overflow = (unsigned *)(cq + OFF_CQ_OVERFLOW);
	ring->cqes = cq + OFF_CQES;

	*(unsigned *)(sq + OFF_SQ_MASK) = ring->sq_mask;
	*(unsigned *)(sq + OFF_SQ_ENTRIES) = ring->sq_entries;
	*(unsigned *)(cq + OFF_CQ_MASK) = ring->cq_mask;
	*(unsigned *)(cq + OFF_CQ_ENTRIES) = ring->cq_entries;
}

static void fill_offsets(struct ursa_ring *ring, struct io_uring_params *p,
			 size_t sq_array_off)
{
	memset(&p->sq_off, 0, sizeof(p->sq_off) - sizeof(p->sq_off.user_addr));
	p->sq_off.head = OFF_SQ_HEAD;
	p->sq_off.tail = OFF_SQ_TAIL;
	p->sq_off.ring_mask = OFF_SQ_MASK;
	p->sq_off.ring_entries = OFF_SQ_ENTRIES;
	p->sq_off.flags = OFF_SQ_FLAGS;
	p->sq_off.dropped = OFF_SQ_DROPPED;
	if (!(ring->setup_flags & IORING_SETUP_NO_SQARRAY))
		p->sq_off.array = (unsigned)sq_array_off;

	memset(&p->cq_off, 0, sizeof(p->cq_off) - sizeof(p->cq_off.user_addr));
	p->cq_off.head = OFF_CQ_HEAD;
	p->cq_off.tail = OFF_CQ_TAIL;
	p->cq_off.ring_mask = OFF_CQ_MASK;
	p->cq_off.ring_entries = OFF_CQ_ENTRIES;
	p->cq_off.overflow = OFF_CQ_OVERFLOW;
	p->cq_off.cqes = OFF_CQES;
	p->cq_off.flags = OFF_CQ_FLAGS;
}

/* Memory: a memfd with the SQ ring at IORING_OFF_SQ_RING, the CQ ring at
 * IORING_OFF_CQ_RING and the SQEs at IORING_OFF_SQES, so the application's
 * mmap() calls find what the kernel would give them. */
/*
 * Where ring fds go: at or above a base, when an interposer (ursa-run) wants
 * ring fds in a range its seccomp filter can recognise by number.
 */
static _Atomic int ring_fd_base;

void ursa_set_ring_fd_base(int base)
{
	atomic_store(&ring_fd_base, base > 0 ? base : 0);
}

static int ring_fd_place(int fd)
{
	int base = atomic_load(&ring_fd_base);

	if (fd >= 0 && base > 0 && fd < base) {
		int moved = fcntl(fd, F_DUPFD_CLOEXEC, base);

		close(fd);
		fd = moved;
	}
	return fd < 0 ? -errno : fd;
}

static int ring_memfd_create(void)
{
	return ring_fd_place(memfd_create("[io_uring]", MFD_CLOEXEC));
}

/* A NO_MMAP ring's fd only names it: an eventfd, which mmap() refuses
 * (ENODEV; the kernel says ENOMEM) instead of handing out empty pages. */
static int ring_namefd_create(void)
{
	return ring_fd_place(eventfd(0, EFD_CLOEXEC));
}

/* The kernel pins NO_MMAP memory at setup: every page must be there and
 * writable, else -EFAULT.  Probe each page by reading a byte and writing
 * it back through the fault-safe copies. */
static int user_region_ok(unsigned char *p, size_t len)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), off;
	unsigned char b;

	for (off = 0; off < len; off += ps) {
		if (ursa_copy_from_user(&b, p + off, 1) ||
		    ursa_copy_to_user(p + off, &b, 1))
			return -EFAULT;
	}
	if (len && (ursa_copy_from_user(&b, p + len - 1, 1) ||
		    ursa_copy_to_user(p + len - 1, &b, 1)))
		return -EFAULT;
	return 0;
}

/* Reserve res bytes of address space and map len bytes of the memfd at
 * off at its start.  NULL (errno set) on failure. */
static void *map_reserved(size_t res, size_t len, int fd, off_t off)
{
	void *base = mmap(NULL, res, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *m;

	if (base == MAP_FAILED)
		return NULL;
	m = mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, off);
	if (m == MAP_FAILED) {
		int e = errno;

		munmap(base, res);
		errno = e;
		return NULL;
	}
	return m;
}

/* Change how much of a reservation is mapped (same address). */
static int remap_reserved(void *base, size_t old_len, size_t len, int fd,
			  off_t off)
{
	if (mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 off) == MAP_FAILED)
		return -ENOMEM;
	if (len < old_len &&
	    mmap((char *)base + len, old_len - len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
		 0) == MAP_FAILED)
		return -ENOMEM;
	return 0;
}

static int ring_map_memfd(struct ursa_ring *ring, size_t sq_sz, size_t cq_sz,
			  size_t sqe_sz)
{
	off_t size = (off_t)(IORING_OFF_SQES + page_round(sqe_sz));
	void *m;

	ring->fd = ring_memfd_create();
	if (ring->fd < 0)
		return ring->fd;
	if (ftruncate(ring->fd, size) < 0)
		return -errno;
	ring->sq_map_sz = page_round(sq_sz);
	ring->cq_map_sz = page_round(cq_sz);
	ring->sqe_map_sz = page_round(sqe_sz);
	/*
	 * Each range sits in an address reservation as large as a resize
	 * could make it, so IORING_REGISTER_RESIZE_RINGS never moves it: a
	 * mapping lent to <liburing.h> keeps its address.
	 */
	ring->sq_res_sz = page_round(RINGS_HDR + sizeof(unsigned) * URSA_MAX_ENTRIES);
	ring->cq_res_sz = page_round(RINGS_HDR + (size_t)(ring->cqe32 ? 32 : 16) *
				     URSA_MAX_CQ_ENTRIES);
	ring->sqe_res_sz = page_round((size_t)(ring->compat_big_sqe ? 128 : 64) *
				      URSA_MAX_ENTRIES);
	m = map_reserved(ring->sq_res_sz, ring->sq_map_sz, ring->fd, IORING_OFF_SQ_RING);
	if (!m)
		return -errno;
	ring->sq_map = m;
	m = map_reserved(ring->cq_res_sz, ring->cq_map_sz, ring->fd, IORING_OFF_CQ_RING);
	if (!m)
		return -errno;
	ring->cq_map = m;
	m = map_reserved(ring->sqe_res_sz, ring->sqe_map_sz, ring->fd, IORING_OFF_SQES);
	if (!m)
		return -errno;
	ring->sqe_map = m;
	return 0;
}

/*
 * Lending the engine's mappings to our liburing: when the application maps
 * the ring through <liburing.h>, it gets the engine's own mapping instead of
 * a second one.  One virtual address for both sides lets the CPU forward the
 * application's SQE stores to the engine's loads (two aliases of one page
 * cannot), and saves the mappings.  A lent mapping is unmapped by whichever
 * lets go last: the ring's teardown or the application's munmap.
 */
struct lent_map {
	struct lent_map		*next;
	void			*addr;
	size_t			len;
	struct ursa_ring	*ring;		/* NULL once the ring is gone */
	bool			app_done;	/* the application unmapped it */
};
static struct lent_map *lent_maps;
static pthread_mutex_t lent_lock = PTHREAD_MUTEX_INITIALIZER;

void *ursa_ring_mmap(int fd, unsigned long long off, size_t len)
{
	struct ursa_ring *ring = ursa_ring_lookup(fd);
	struct lent_map *lm;
	void *addr = NULL;
	size_t sz = 0;

	if (!ring || ring->mem != URSA_MEM_MMAP)
		return NULL;
	size_t res = 0;

	if (off == IORING_OFF_SQ_RING) {
		addr = ring->sq_map;
		sz = ring->sq_map_sz;
		res = ring->sq_res_sz;
	} else if (off == IORING_OFF_CQ_RING) {
		addr = ring->cq_map;
		sz = ring->cq_map_sz;
		res = ring->cq_res_sz;
	} else if (off == IORING_OFF_SQES) {
		addr = ring->sqe_map;
		sz = ring->sqe_map_sz;
		res = ring->sqe_res_sz;
	}
	if (!addr || len > sz)
		return NULL;
	pthread_mutex_lock(&lent_lock);
	for (lm = lent_maps; lm; lm = lm->next)
		if (lm->addr == addr)
			break;
	if (!lm) {
		lm = calloc(1, sizeof(*lm));
		if (lm) {
			lm->addr = addr;
			lm->len = res;
			lm->ring = ring;
			lm->next = lent_maps;
			lent_maps = lm;
		}
	} else {
		lm->app_done = false;	/* lent again (after a resize) */
	}
	pthread_mutex_unlock(&lent_lock);
	return lm ? addr : NULL;
}

int ursa_ring_munmap(void *addr, size_t len)
{
	struct lent_map **pp, *lm;
	int handled = 0;

	(void)len;
	pthread_mutex_lock(&lent_lock);
	for (pp = &lent_maps; (lm = *pp); pp = &lm->next) {
		if (lm->addr != addr)
			continue;
		handled = 1;
		if (lm->ring) {
			lm->app_done = true;
		} else {
			munmap(lm->addr, lm->len);
			*pp = lm->next;
			free(lm);
		}
		break;
	}
	pthread_mutex_unlock(&lent_lock);
	return handled;
}

/* At teardown: true if the application still uses this mapping (then it
 * stays mapped until the application unmaps it). */
static bool lent_map_release(struct ursa_ring *ring, void *addr)
{
	struct lent_map **pp, *lm;
	bool keep = false;

	pthread_mutex_lock(&lent_lock);
	for (pp = &lent_maps; (lm = *pp); pp = &lm->next) {
		if (lm->addr != addr || lm->ring != ring)
			continue;
		if (lm->app_done) {
			*pp = lm->next;
			free(lm);
		} else {
			lm->ring = NULL;
			keep = true;
		}
		break;
	}
	pthread_mutex_unlock(&lent_lock);
	return keep;
}

static void ring_free(struct ursa_ring *ring)
{
	if (ring->sq_map && !lent_map_release(ring, ring->sq_map))
		munmap(ring->sq_map, ring->sq_res_sz);
	if (ring->cq_map && !lent_map_release(ring, ring->cq_map))
		munmap(ring->cq_map, ring->cq_res_sz);
	if (ring->sqe_map && !lent_map_release(ring, ring->sqe_map))
		munmap(ring->sqe_map, ring->sqe_res_sz);
	if (ring->fd >= 0)
		close(ring->fd);
	pthread_mutex_destroy(&ring->uring_lock);
	pthread_mutex_destroy(&ring->completion_lock);
	pthread_mutex_destroy(&ring->defer_lock);
	pthread_mutex_destroy(&ring->timeout_lock);
	pthread_mutex_destroy(&ring->kbuf_lock);
	pthread_mutex_destroy(&ring->cmd_lock);
	pthread_cond_destroy(&ring->cmd_cond);
	free(ring);
}

int ursa_ring_setup(unsigned entries, struct io_uring_params *p)
{
	unsigned sq_entries, cq_entries, cqe_size, sqe_size;
	size_t sq_array_off, cq_sz, sq_sz, sqe_sz;
	struct ursa_ring *ring;
	int ret;

	if (!p)
		return -EFAULT;
	ursa_usercopy_init();
	ursa_atfork_init();
	ret = check_params(entries, p, &sq_entries, &cq_entries);
	if (ret)
		return ret;

	if (p->flags & IORING_SETUP_ATTACH_WQ) {
		/* Sharing a worker pool needs a ring to share it with. */
		if (!ursa_ring_lookup((int)p->wq_fd))
			return fcntl((int)p->wq_fd, F_GETFD) < 0 ? -ENXIO : -EINVAL;
	}

	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ring->fd = -1;
	atomic_init(&ring->refs, 1);
	ring->evfd = -1;
	ring->wait_evfd = -1;
	ring->clockid = CLOCK_MONOTONIC;
	ring->setup_flags = p->flags;
	ring->sq_entries = sq_entries;
	ring->sq_mask = sq_entries - 1;
	ring->cq_entries = cq_entries;
	ring->cq_mask = cq_entries - 1;
	ring->compat_big_sqe = p->flags & IORING_SETUP_SQE128;
	ring->cqe32 = p->flags & IORING_SETUP_CQE32;
	ring->cqe_mixed = p->flags & IORING_SETUP_CQE_MIXED;
	ring->sqe_mixed = p->flags & IORING_SETUP_SQE_MIXED;
	ring->enabled = !(p->flags & IORING_SETUP_R_DISABLED);
	ring->features = URSA_FEATURES;
	ring->ocq_tail = &ring->ocq_head;
	ring->defer_tail = &ring->defer_head;
	pthread_mutex_init(&ring->uring_lock, NULL);
	pthread_mutex_init(&ring->completion_lock, NULL);
	pthread_mutex_init(&ring->defer_lock, NULL);
	pthread_mutex_init(&ring->timeout_lock, NULL);
	pthread_mutex_init(&ring->kbuf_lock, NULL);
	pthread_mutex_init(&ring->cmd_lock, NULL);
	pthread_cond_init(&ring->cmd_cond, NULL);
	if ((p->flags & IORING_SETUP_SINGLE_ISSUER) &&
	    !(p->flags & IORING_SETUP_R_DISABLED))
		ring->submitter_tid = ursa_gettid();
	ring->exec = ursa_executor_default();

	cqe_size = ring->cqe32 ? 32 : 16;
	sqe_size = ring->compat_big_sqe ? 128 : 64;
	sqe_sz = (size_t)sqe_size * sq_entries;
	cq_sz = RINGS_HDR + (size_t)cqe_size * cq_entries;

	if (p->flags & IORING_SETUP_NO_MMAP) {
		/* One region for both rings, as the kernel lays it out: header,
		 * CQEs, then the SQ array, cacheline aligned. */
		unsigned char *rings = (unsigned char *)(uintptr_t)p->cq_off.user_addr;
		unsigned char *sqes = (unsigned char *)(uintptr_t)p->sq_off.user_addr;

		sq_array_off = (cq_sz + URSA_CACHELINE - 1) & ~(size_t)(URSA_CACHELINE - 1);
		size_t ps = (size_t)sysconf(_SC_PAGESIZE);

		if (!rings || !sqes) {
			ret = -EFAULT;
			goto fail;
		}
		if (((uintptr_t)rings & (ps - 1)) || ((uintptr_t)sqes & (ps - 1))) {
			ret = -EINVAL;
			goto fail;
		}
		ret = user_region_ok(rings, sq_array_off +
				     ((p->flags & IORING_SETUP_NO_SQARRAY) ? 0 :
				      sizeof(unsigned) * sq_entries));
		if (!ret)
			ret = user_region_ok(sqes, sqe_sz);
		if (ret)
			goto fail;
		ring->mem = URSA_MEM_USER;
		ring->fd = ring_namefd_create();
		if (ring->fd < 0) {
			ret = ring->fd;
			ring->fd = -1;
			goto fail;
		}
		memset(rings, 0, RINGS_HDR);
		set_ring_pointers(ring, rings, rings, sq_array_off);
		ring->sqes = sqes;
	} else {
		sq_array_off = RINGS_HDR;
		sq_sz = sq_array_off + sizeof(unsigned) * sq_entries;
		ring->mem = URSA_MEM_MMAP;
		ret = ring_map_memfd(ring, sq_sz, cq_sz, sqe_sz);
		if (ret)
			goto fail;
		set_ring_pointers(ring, ring->sq_map, ring->cq_map, sq_array_off);
		ring->sqes = ring->sqe_map;
	}

	ret = ursa_rsrc_init(ring);
	if (ret)
		goto fail;
	ret = ursa_iowq_create(ring, (p->flags & IORING_SETUP_ATTACH_WQ) ?
			       ursa_ring_lookup((int)p->wq_fd) : NULL);
	if (ret)
		goto fail_rsrc;
	if (p->flags & IORING_SETUP_SQPOLL) {
		ring->sq_thread_idle_ms = p->sq_thread_idle ? p->sq_thread_idle : 1000;
		ret = ursa_sqpoll_create(ring, p);
		if (ret)
			goto fail_iowq;
	}

	p->sq_entries = sq_entries;
	p->cq_entries = cq_entries;
	p->features = ring->features;
	fill_offsets(ring, p, sq_array_off);
	ret = ursa_ring_publish(ring);
	if (ret)
		goto fail_sqpoll;
	ursa_thread_mark_ctx();
	return ring->fd;

fail_sqpoll:
	if (ring->sqpoll)
		ursa_sqpoll_destroy(ring);
fail_iowq:
	ursa_iowq_destroy(ring);
fail_rsrc:
	ursa_rsrc_exit(ring);
fail:
	ring_free(ring);
	return ret;
}

void ursa_ring_get(struct ursa_ring *ring)
{
	atomic_fetch_add_explicit(&ring->refs, 1, memory_order_relaxed);
}

/* The last reference (the fd closed, no registered-ring slot left) ends
 * the ring, as the kernel's file release does. */
void ursa_ring_put(struct ursa_ring *ring)
{
	if (atomic_fetch_sub_explicit(&ring->refs, 1, memory_order_acq_rel) == 1)
		ursa_ring_destroy(ring);
}

/*
 * Teardown order: stop new submissions (SQPOLL), cancel and drain every
 * in-flight request (readiness waits, workers), then release resources, then
 * memory.  Tag CQEs of resources released here go nowhere: the CQ dies too.
 */
void ursa_ring_destroy(struct ursa_ring *ring)
{
	ring->dying = true;
	if (ring->sqpoll)
		ursa_sqpoll_destroy(ring);
	pthread_mutex_lock(&ring->uring_lock);
	ursa_drain_defer_cancel(ring);
	pthread_mutex_unlock(&ring->uring_lock);
	ursa_timeouts_cancel_all(ring);
	/* Drivers' commands first: their cancels may still use workers,
	 * timers and the reactor. */
	ursa_uring_cmd_exit(ring);
	if (ring->reactor)
		ursa_poll_cancel_all(ring);
	ursa_iowq_destroy(ring);
	/* Cancelled link chains may have armed more timeouts meanwhile. */
	ursa_timeouts_cancel_all(ring);
	if (ring->reactor)
		ursa_poll_destroy(ring);
	ursa_timers_destroy(ring);
	pthread_mutex_lock(&ring->uring_lock);
	ursa_rsrc_exit(ring);
	ursa_kbuf_exit(ring);
	ursa_zcrx_exit(ring);
	ursa_memmap_exit(ring);
	ursa_region_exit(ring);
	ursa_req_cache_free(ring);
	pthread_mutex_unlock(&ring->uring_lock);
	ursa_overflow_free(ring);
	if (ring->evfd >= 0)
		close(ring->evfd);
	if (ring->wait_evfd >= 0)
		close(ring->wait_evfd);
	for (unsigned i = 0; i < 64; i++)
		free(ring->personalities[i]);
	ring_free(ring);
}

/*
 * IORING_REGISTER_RESIZE_RINGS: new SQ/CQ sizes for a DEFER_TASKRUN ring
 * (the only kind the kernel resizes), keeping pending SQEs and CQEs and
 * the head/tail values.  The memfd ranges stay at their offsets and grow
 * or shrink in place; the application maps them again afterwards (as
 * liburing's io_uring_resize_rings does).  Called under uring_lock by the
 * ring's only submitter; completion_lock keeps workers' CQEs out meanwhile.
 */
int ursa_register_resize_rings(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_params p;
	unsigned sq_entries, cq_entries, cqe_size, sqe_size;
	unsigned sq_head, sq_tail, cq_head, cq_tail, i, n;
	size_t sq_sz, cq_sz, sqe_sz;
	unsigned char *sqe_tmp = NULL, *cqe_tmp = NULL;
	int ret = 0;

	if (!arg || nr != 1)
		return -EINVAL;
	if (!(ring->setup_flags & IORING_SETUP_DEFER_TASKRUN))
		return -EINVAL;
	if (ursa_copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if (p.flags & ~(IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP))
		return -EINVAL;
	if (ring->mem != URSA_MEM_MMAP)
		return -EINVAL;
	{
		struct io_uring_params chk = p;

		memset(chk.resv, 0, sizeof(chk.resv));
		ret = check_params(p.sq_entries, &chk, &sq_entries, &cq_entries);
		if (ret)
			return ret;
	}
	cqe_size = ring->cqe32 ? 32 : 16;
	sqe_size = ring->compat_big_sqe ? 128 : 64;

	pthread_mutex_lock(&ring->completion_lock);
	sq_head = ring->cached_sq_head;
	sq_tail = atomic_load_explicit(ring->sq_tail, memory_order_acquire);
	cq_head = atomic_load_explicit(ring->cq_head, memory_order_acquire);
	cq_tail = ring->cached_cq_tail;
	if (sq_tail - sq_head > sq_entries || cq_tail - cq_head > cq_entries ||
	    ring->ocq_head) {
		ret = -EOVERFLOW;
		goto out;
	}
	/* Keep the pending entries aside, in order. */
	n = sq_tail - sq_head;
	sqe_tmp = malloc((size_t)(n ? n : 1) * sqe_size);
	cqe_tmp = malloc((size_t)((cq_tail - cq_head) ? (cq_tail - cq_head) : 1) * cqe_size);
	if (!sqe_tmp || !cqe_tmp) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned idx = (sq_head + i) & ring->sq_mask;

		if (ring->sq_array)
			idx = ring->sq_array[idx];
		if (idx >= ring->sq_entries)
			idx = 0;	/* dropped at submit time anyway */
		memcpy(sqe_tmp + (size_t)i * sqe_size,
		       ring->sqes + (size_t)idx * sqe_size, sqe_size);
	}
	for (i = 0; i < cq_tail - cq_head; i++)
		memcpy(cqe_tmp + (size_t)i * cqe_size,
		       ring->cqes + (size_t)((cq_head + i) & ring->cq_mask) * cqe_size,
		       cqe_size);

	/* Resize the three ranges in place, at their addresses (reserved
	 * for the largest size), so mappings lent to <liburing.h> stay. */
	sq_sz = page_round(RINGS_HDR + sizeof(unsigned) * sq_entries);
	cq_sz = page_round(RINGS_HDR + (size_t)cqe_size * cq_entries);
	sqe_sz = page_round((size_t)sqe_size * sq_entries);
	if (ftruncate(ring->fd, (off_t)(IORING_OFF_SQES + sqe_sz)) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	if (remap_reserved(ring->sq_map, ring->sq_map_sz, sq_sz, ring->fd,
			   IORING_OFF_SQ_RING) ||
	    remap_reserved(ring->cq_map, ring->cq_map_sz, cq_sz, ring->fd,
			   IORING_OFF_CQ_RING) ||
	    remap_reserved(ring->sqe_map, ring->sqe_map_sz, sqe_sz, ring->fd,
			   IORING_OFF_SQES)) {
		ret = -ENOMEM;
		goto out;
	}
	ring->sq_map_sz = sq_sz;
	ring->cq_map_sz = cq_sz;
	ring->sqe_map_sz = sqe_sz;

	ring->sq_entries = sq_entries;
	ring->sq_mask = sq_entries - 1;
	ring->cq_entries = cq_entries;
	ring->cq_mask = cq_entries - 1;
	set_ring_pointers(ring, ring->sq_map, ring->cq_map, RINGS_HDR);
	ring->sqes = ring->sqe_map;
	for (i = 0; i < n; i++) {
		unsigned slot = (sq_head + i) & ring->sq_mask;

		memcpy(ring->sqes + (size_t)slot * sqe_size,
		       sqe_tmp + (size_t)i * sqe_size, sqe_size);
		if (ring->sq_array)
			ring->sq_array[slot] = slot;
	}
	for (i = 0; i < cq_tail - cq_head; i++)
		memcpy(ring->cqes + (size_t)((cq_head + i) & ring->cq_mask) * cqe_size,
		       cqe_tmp + (size_t)i * cqe_size, cqe_size);
	/* head and tail keep their values */
	atomic_store(ring->sq_head, sq_head);
	atomic_store(ring->sq_tail, sq_tail);
	atomic_store(ring->cq_head, cq_head);
	atomic_store(ring->cq_tail, cq_tail);

	p.sq_entries = sq_entries;
	p.cq_entries = cq_entries;
	p.features = ring->features;
	/* As the kernel: the ring's layout flags come back with the answer,
	 * so the caller maps the new rings the way they are laid out. */
	p.flags |= ring->setup_flags & (IORING_SETUP_NO_SQARRAY |
					IORING_SETUP_SQE128 | IORING_SETUP_CQE32 |
					IORING_SETUP_NO_MMAP | IORING_SETUP_CQE_MIXED |
					IORING_SETUP_SQE_MIXED);
	fill_offsets(ring, &p, RINGS_HDR);
	if (ursa_copy_to_user(arg, &p, sizeof(p)))
		ret = -EFAULT;
out:
	pthread_mutex_unlock(&ring->completion_lock);
	free(sqe_tmp);
	free(cqe_tmp);
	return ret;
}
