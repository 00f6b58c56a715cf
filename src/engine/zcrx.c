/* SPDX-License-Identifier: MIT */
/*
 * Device-less zero-copy receive (ZCRX_REG_NODEV, seed 002; see zcrx.h).
 *
 * An interface queue (ifq) is an area of application memory cut into
 * page-sized buffers, a free list of those buffers and a refill queue (RQ)
 * through which the application hands buffers back.  IORING_OP_RECV_ZC
 * receives straight into free buffers with one recvmsg(2) over an iovec of
 * them (the kernel's NODEV mode copies each skb into area pages too: one
 * copy either way) and posts a 32-byte CQE per buffer.
 *
 * What ursa decides where the kernel has a device:
 *  - No CAP_NET_ADMIN check: ursa only copies data the process's own
 *    socket receives, which needs no privilege.
 *  - A registration without ZCRX_REG_NODEV (and without IMPORT) is -ENODEV:
 *    there is no NIC queue a user-space engine could take over.
 *  - A dmabuf area is -EOPNOTSUPP: there is no device to attach it to, and
 *    the kernel's own copy path cannot write into dmabuf areas either.
 *  - Like the kernel's copy path, receiving takes buffers from the free
 *    list only; the RQ is consumed by ZCRX_CTRL_FLUSH_RQ, never behind the
 *    application's back.  With no free buffer and data pending the request
 *    ends with -ENOMEM; with no room in the CQ for a data CQE, -ENOSPC.
 *  - EXPORT makes a memfd named "[zcrx]" (close-on-exec) that holds a
 *    reference on the ifq; IMPORT looks it up by inode.  User space cannot
 *    see close(2), so a box's reference is dropped when a sweep of
 *    /proc/self/fd finds no fd left on it (at every export, import and
 *    ring teardown).  A box from another process cannot be imported: its
 *    ifq lives in that process's memory (-EXDEV).
 *
 * Locking: the per-ring id table changes under the ring's uring_lock (as
 * registration and SQE prep run).  An ifq may be shared by rings of several
 * threads (import), so its free list, user references and RQ head are
 * guarded by ifq->lock.  Requests, ring tables and boxes each hold a
 * reference on the ifq.
 */
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>

#include <liburing/io_uring/query.h>

#include "zcrx.h"
#include "memmap.h"
#include "rsrc.h"

#define ZCRX_RQ_MAX_ENTRIES	32768u		/* the kernel's IO_RQ_MAX_ENTRIES */
#define ZCRX_OFF_REGION		0x30000000ULL	/* IORING_MAP_OFF_ZCRX_REGION */
#define ZCRX_RQ_HDR_SIZE	8u		/* struct io_uring { head; tail; } */
#define ZCRX_RQ_HDR_ALIGN	64u		/* the kernel's L1_CACHE_BYTES */
#define ZCRX_AREA_MAX		(1ull << 30)	/* io_validate_user_buf_range */
#define ZCRX_REGION_MAX		(1ull << 30)
#define ZCRX_BATCH		64u		/* buffers per recvmsg */
#define ZCRX_BATCH_POST		32u		/* CQEs left in a posting batch */
#define ZCRX_REG_FLAGS		(ZCRX_REG_IMPORT | ZCRX_REG_NODEV)

struct zcrx_ifq {
	_Atomic int		refs;
	pthread_mutex_t		lock;

	/* Refill queue: the application produces at tail, we consume. */
	_Atomic uint32_t	*rq_head;
	_Atomic uint32_t	*rq_tail;
	struct io_uring_zcrx_rqe *rqes;
	uint32_t		rq_entries;
	uint32_t		cached_rq_head;
	/* Engine memory (region at the ring's mmap offset): our own mapping
	 * of the memfd pages, valid whichever ring outlives the other. */
	void			*rq_map;
	size_t			rq_map_size;
	struct ursa_ring	*rq_owner;	/* whose memmap holds the region */
	void			*rq_owner_addr;

	/* Area: nr_bufs buffers of 1 << buf_shift bytes. */
	unsigned char		*area;
	uint64_t		area_len;
	unsigned		buf_shift;
	uint32_t		nr_bufs;
	uint32_t		free_count;
	uint32_t		*freelist;
	uint32_t		*urefs;		/* buffers held by the application */
};

/* Per ring: zcrx id -> ifq (ids are allocated lowest first, as xa_alloc). */
struct ursa_zcrx {
	struct zcrx_ifq		**tab;
	uint32_t		nr;
};

/* ------------------------------------------------------------- lifetime */

static void ifq_get(struct zcrx_ifq *ifq)
{
	atomic_fetch_add_explicit(&ifq->refs, 1, memory_order_relaxed);
}

static void ifq_free(struct zcrx_ifq *ifq)
{
	if (ifq->rq_map)
		munmap(ifq->rq_map, ifq->rq_map_size);
	free(ifq->freelist);
	free(ifq->urefs);
	pthread_mutex_destroy(&ifq->lock);
	free(ifq);
}

static void ifq_put(struct zcrx_ifq *ifq)
{
	if (atomic_fetch_sub_explicit(&ifq->refs, 1, memory_order_acq_rel) == 1)
		ifq_free(ifq);
}

/* ---------------------------------------------------------------- boxes */

/* An exported ifq: the memfd's identity and the reference it holds. */
struct zcrx_box {
	struct zcrx_box		*next;
	dev_t			dev;
	ino_t			ino;
	bool			seen;
	struct zcrx_ifq		*ifq;
};

static pthread_mutex_t box_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zcrx_box *boxes;

/* Drop the boxes no fd of this process refers to any more. */
static void box_sweep_locked(void)
{
	struct zcrx_box *b, **pp;
	struct dirent *e;
	DIR *d;

	if (!boxes)
		return;
	d = opendir("/proc/self/fd");
	if (!d)
		return;		/* keep them: a leak beats a use after free */
	for (b = boxes; b; b = b->next)
		b->seen = false;
	while ((e = readdir(d))) {
		struct stat st;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d) || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		for (b = boxes; b; b = b->next)
			if (b->dev == st.st_dev && b->ino == st.st_ino)
				b->seen = true;
	}
	closedir(d);
	for (pp = &boxes; (b = *pp);) {
		if (b->seen) {
			pp = &b->next;
			continue;
		}
		*pp = b->next;
		ifq_put(b->ifq);
		free(b);
	}
}

static void box_sweep(void)
{
	if (!__atomic_load_n(&boxes, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&box_lock);
	box_sweep_locked();
	pthread_mutex_unlock(&box_lock);
}

/* Is fd a zcrx box made by another process's ursa (or a kernel one)? */
static bool fd_is_foreign_box(int fd)
{
	char path[64], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "/memfd:[zcrx]", 13) == 0 ||
	       strcmp(target, "anon_inode:[zcrx]") == 0;
}

/* ---------------------------------------------------------- id table */

static struct zcrx_ifq *ifq_lookup(struct ursa_ring *ring, uint32_t id)
{
	struct ursa_zcrx *z = ring->zcrx;

	if (!z || id >= z->nr)
		return NULL;
	return z->tab[id];
}

/* Reserve the lowest free id (slot left NULL); -ENOMEM if none. */
static int id_alloc(struct ursa_ring *ring, uint32_t *id)
{
	struct ursa_zcrx *z = ring->zcrx;
	struct zcrx_ifq **tab;
	uint32_t i, nr;

	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z)
			return -ENOMEM;
		ring->zcrx = z;
	}
	for (i = 0; i < z->nr; i++) {
		if (!z->tab[i]) {
			*id = i;
			return 0;
		}
	}
	if (z->nr >= (1u << 31) - 1)
		return -ENOMEM;
	nr = z->nr ? z->nr * 2 : 4;
	tab = realloc(z->tab, nr * sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	memset(tab + z->nr, 0, (nr - z->nr) * sizeof(*tab));
	*id = z->nr;
	z->tab = tab;
	z->nr = nr;
	return 0;
}

/* ------------------------------------------------------- memory checks */

/*
 * Is [base, base + len) mapped and writable?  The kernel pins the area and
 * the RQ region for writing; a read-only or partly unmapped range fails
 * with -EFAULT.  /proc/self/maps tells without touching the memory.
 */
static int range_writable(uint64_t base, uint64_t len)
{
	uint64_t cur = base, end = base + len;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return ursa_range_mapped(base, len);
	while (cur < end && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		size_t l = strlen(line);

		/* Swallow the rest of an over-long line (a long path). */
		if (l && line[l - 1] != '\n') {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (hi <= cur)
			continue;
		if (lo > cur || perms[1] != 'w')
			break;
		cur = hi;
	}
	fclose(f);
	return cur >= end ? 0 : -EFAULT;
}

/* --------------------------------------------------------- registration */

static size_t page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

/*
 * The refill queue's region, checked in the kernel's order
 * (io_allocate_rbuf_ring, then io_create_region).  On success the ifq's RQ
 * pointers are set; rd->mmap_offset is filled for engine memory.
 */
static int rq_region_create(struct ursa_ring *ring, struct zcrx_ifq *ifq,
			    struct io_uring_region_desc *rd, uint32_t id,
			    struct io_uring_zcrx_offsets *offs)
{
	uint64_t ps = page_size(), end;
	size_t hdr = (ZCRX_RQ_HDR_SIZE + ZCRX_RQ_HDR_ALIGN - 1) &
		     ~(size_t)(ZCRX_RQ_HDR_ALIGN - 1);
	size_t need = hdr + sizeof(struct io_uring_zcrx_rqe) * ifq->rq_entries;
	unsigned char *base;
	unsigned i;

	if (need > rd->size)
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (rd->__resv[i])
			return -EINVAL;
	if (rd->flags & ~(uint32_t)IORING_MEM_REGION_TYPE_USER)
		return -EINVAL;
	/* user_addr is set exactly when the memory is the application's */
	if (!(rd->flags & IORING_MEM_REGION_TYPE_USER) != !rd->user_addr)
		return -EFAULT;
	if (!rd->size || rd->mmap_offset || rd->id)
		return -EINVAL;
	if ((rd->size / ps) > INT_MAX)
		return -E2BIG;
	if ((rd->user_addr | rd->size) & (ps - 1))
		return -EINVAL;
	if (__builtin_add_overflow(rd->user_addr, rd->size, &end))
		return -EOVERFLOW;

	if (rd->flags & IORING_MEM_REGION_TYPE_USER) {
		if (range_writable(rd->user_addr, rd->size))
			return -EFAULT;
		base = (unsigned char *)(uintptr_t)rd->user_addr;
	} else {
		uint64_t off = ZCRX_OFF_REGION + ((uint64_t)id << IORING_OFF_PBUF_SHIFT);
		void *addr, *own;
		int err;

		if (rd->size > ZCRX_REGION_MAX)
			return -ENOMEM;
		addr = ursa_memmap_create(ring, off, (size_t)rd->size, &err);
		if (!addr)
			return err;
		/* Our own view of the same pages (see rq_map above). */
		own = mmap(NULL, (size_t)rd->size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, ring->fd, (off_t)off);
		if (own == MAP_FAILED) {
			ursa_memmap_free(ring, addr);
			return -ENOMEM;
		}
		ifq->rq_map = own;
		ifq->rq_map_size = (size_t)rd->size;
		ifq->rq_owner = ring;
		ifq->rq_owner_addr = addr;
		rd->mmap_offset = off;
		base = own;
	}
	ifq->rq_head = (_Atomic uint32_t *)(void *)base;
	ifq->rq_tail = (_Atomic uint32_t *)(void *)(base + 4);
	ifq->rqes = (struct io_uring_zcrx_rqe *)(void *)(base + hdr);
	/* We keep the head: start from what the memory says, as the kernel
	 * does not reset it either. */
	ifq->cached_rq_head = atomic_load_explicit(ifq->rq_head,
						   memory_order_relaxed);
	offs->head = 0;
	offs->tail = 4;
	offs->rqes = (uint32_t)hdr;
	return 0;
}

/* Undo rq_region_create while the owner ring is still there. */
static void rq_region_drop(struct zcrx_ifq *ifq)
{
	if (ifq->rq_owner)
		ursa_memmap_free(ifq->rq_owner, ifq->rq_owner_addr);
	ifq->rq_owner = NULL;
}

/* The area, checked in the kernel's order (io_import_area). */
static int area_create(struct zcrx_ifq *ifq, struct io_uring_zcrx_area_reg *a)
{
	uint64_t ps = page_size(), end;
	uint32_t i;

	if (a->flags & ~(uint32_t)IORING_ZCRX_AREA_DMABUF)
		return -EINVAL;
	if (a->rq_area_token)
		return -EINVAL;
	if (a->__resv2[0] || a->__resv2[1])
		return -EINVAL;
	if (!a->len || a->len > ZCRX_AREA_MAX)
		return -EFAULT;
	if (__builtin_add_overflow(a->addr, (a->len + ps - 1) & ~(ps - 1), &end))
		return -EOVERFLOW;
	if ((a->addr | a->len) & (ps - 1))
		return -EINVAL;
	if (a->flags & IORING_ZCRX_AREA_DMABUF)
		return -EOPNOTSUPP;	/* see the top of the file */
	if (a->dmabuf_fd)
		return -EINVAL;
	if (!a->addr)
		return -EFAULT;
	if (range_writable(a->addr, a->len))
		return -EFAULT;

	ifq->area = (unsigned char *)(uintptr_t)a->addr;
	ifq->area_len = a->len;
	ifq->nr_bufs = (uint32_t)(a->len >> ifq->buf_shift);
	ifq->freelist = malloc(ifq->nr_bufs * sizeof(*ifq->freelist));
	ifq->urefs = calloc(ifq->nr_bufs, sizeof(*ifq->urefs));
	if (!ifq->freelist || !ifq->urefs)
		return -ENOMEM;
	/* Popped from the end: hand out buffer 0 first. */
	for (i = 0; i < ifq->nr_bufs; i++)
		ifq->freelist[i] = ifq->nr_bufs - 1 - i;
	ifq->free_count = ifq->nr_bufs;
	a->rq_area_token = 0;	/* area 0 << IORING_ZCRX_AREA_SHIFT */
	return 0;
}

static struct zcrx_ifq *ifq_alloc(void)
{
	struct zcrx_ifq *ifq = calloc(1, sizeof(*ifq));

	if (!ifq)
		return NULL;
	atomic_init(&ifq->refs, 1);
	pthread_mutex_init(&ifq->lock, NULL);
	return ifq;
}

/* ZCRX_REG_IMPORT: if_idx is a box fd from ZCRX_CTRL_EXPORT. */
static int zcrx_import(struct ursa_ring *ring, void *arg,
		       struct io_uring_zcrx_ifq_reg *reg)
{
	struct zcrx_ifq *ifq = NULL;
	struct zcrx_box *b;
	struct stat st;
	uint32_t id;
	int fd = (int)reg->if_idx, ret;

	if (reg->if_rxq || reg->rq_entries || reg->area_ptr || reg->region_ptr)
		return -EINVAL;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -EBADF;
	pthread_mutex_lock(&box_lock);
	box_sweep_locked();
	for (b = boxes; b; b = b->next) {
		if (b->dev == st.st_dev && b->ino == st.st_ino) {
			ifq = b->ifq;
			ifq_get(ifq);
			break;
		}
	}
	pthread_mutex_unlock(&box_lock);
	if (!ifq)
		return fd_is_foreign_box(fd) ? -EXDEV : -EBADF;
	ret = id_alloc(ring, &id);
	if (ret) {
		ifq_put(ifq);
		return ret;
	}
	reg->zcrx_id = id;
	if (ursa_copy_to_user(arg, reg, sizeof(*reg))) {
		ifq_put(ifq);
		return -EFAULT;
	}
	ring->zcrx->tab[id] = ifq;
	return 0;
}

int ursa_register_zcrx_ifq(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
	struct zcrx_ifq *ifq;
	uint32_t id;
	int ret;

	if (nr != 1)
		return -EINVAL;
	/* Completions need the task's context and room for the zcrx CQE. */
	if (!(ring->setup_flags & IORING_SETUP_DEFER_TASKRUN))
		return -EINVAL;
	if (!(ring->setup_flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)))
		return -EINVAL;
	if (ursa_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (reg.__resv[0] || reg.__resv[1] || reg.__resv[2] || reg.zcrx_id)
		return -EINVAL;
	if (reg.flags & ~(uint32_t)ZCRX_REG_FLAGS)
		return -EINVAL;
	if (reg.flags & ZCRX_REG_IMPORT)
		return zcrx_import(ring, arg, &reg);
	if (ursa_copy_from_user(&rd, (const void *)(uintptr_t)reg.region_ptr,
				sizeof(rd)))
		return -EFAULT;
	if (reg.if_rxq == UINT32_MAX || !reg.rq_entries)
		return -EINVAL;
	if ((reg.flags & ZCRX_REG_NODEV) && (reg.if_idx || reg.if_rxq))
		return -EINVAL;
	if (reg.rq_entries > ZCRX_RQ_MAX_ENTRIES) {
		if (!(ring->setup_flags & IORING_SETUP_CLAMP))
			return -EINVAL;
		reg.rq_entries = ZCRX_RQ_MAX_ENTRIES;
	}
	while (reg.rq_entries & (reg.rq_entries - 1))
		reg.rq_entries = (reg.rq_entries | (reg.rq_entries - 1)) + 1;
	if (ursa_copy_from_user(&area, (const void *)(uintptr_t)reg.area_ptr,
				sizeof(area)))
		return -EFAULT;
	if (reg.rx_buf_len) {
		if ((reg.rx_buf_len & (reg.rx_buf_len - 1)) ||
		    reg.rx_buf_len < page_size())
			return -EINVAL;
		/* The copy path fills one page per buffer (post-merge fix). */
		if (reg.rx_buf_len != page_size())
			return -EOPNOTSUPP;
	}
	/* Bound to a NIC queue: there is none a user-space engine can own. */
	if (!(reg.flags & ZCRX_REG_NODEV))
		return -ENODEV;

	ifq = ifq_alloc();
	if (!ifq)
		return -ENOMEM;
	ifq->rq_entries = reg.rq_entries;
	ifq->buf_shift = (unsigned)__builtin_ctzl(page_size());
	ret = id_alloc(ring, &id);
	if (ret)
		goto fail;
	ret = rq_region_create(ring, ifq, &rd, id, &reg.offsets);
	if (ret)
		goto fail;
	ret = area_create(ifq, &area);
	if (ret)
		goto fail_region;
	reg.zcrx_id = id;
	reg.rx_buf_len = (uint32_t)page_size();
	if (ursa_copy_to_user(arg, &reg, sizeof(reg)) ||
	    ursa_copy_to_user((void *)(uintptr_t)reg.region_ptr, &rd, sizeof(rd)) ||
	    ursa_copy_to_user((void *)(uintptr_t)reg.area_ptr, &area, sizeof(area))) {
		ret = -EFAULT;
		goto fail_region;
	}
	ring->zcrx->tab[id] = ifq;
	return 0;
fail_region:
	rq_region_drop(ifq);
fail:
	ifq_put(ifq);
	return ret;
}

/* -------------------------------------------------------------- control */

/* Return a buffer the application gave back; under ifq->lock. */
static void buf_user_put(struct zcrx_ifq *ifq, uint32_t idx)
{
	if (!ifq->urefs[idx])
		return;		/* not the application's to give: ignored */
	if (--ifq->urefs[idx] == 0)
		ifq->freelist[ifq->free_count++] = idx;
}

/*
 * ZCRX_CTRL_FLUSH_RQ: take what the RQ holds (at most rq_entries) back into
 * the free list.  Malformed entries (another area, __pad set, an offset out
 * of the area, a buffer the application does not hold) are consumed and
 * ignored, as the kernel does.
 */
static void rq_flush(struct zcrx_ifq *ifq)
{
	uint32_t mask = ifq->rq_entries - 1, n, tail;

	pthread_mutex_lock(&ifq->lock);
	tail = atomic_load_explicit(ifq->rq_tail, memory_order_acquire);
	n = tail - ifq->cached_rq_head;
	if (n > ifq->rq_entries)
		n = ifq->rq_entries;
	while (n--) {
		const struct io_uring_zcrx_rqe *rqe =
			&ifq->rqes[ifq->cached_rq_head++ & mask];
		uint64_t off = rqe->off;
		uint64_t idx = (off & ~IORING_ZCRX_AREA_MASK) >> ifq->buf_shift;

		if (rqe->__pad || (off >> IORING_ZCRX_AREA_SHIFT) ||
		    idx >= ifq->nr_bufs)
			continue;
		buf_user_put(ifq, (uint32_t)idx);
	}
	atomic_store_explicit(ifq->rq_head, ifq->cached_rq_head,
			      memory_order_release);
	pthread_mutex_unlock(&ifq->lock);
}

static int zcrx_export(struct zcrx_ifq *ifq, struct zcrx_ctrl *ctrl, void *arg)
{
	struct zcrx_box *b;
	struct stat st;
	unsigned i;
	int fd;

	for (i = 0; i < 11; i++)
		if (ctrl->zc_export.__resv1[i])
			return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	fd = memfd_create("[zcrx]", MFD_CLOEXEC);
	if (fd < 0) {
		free(b);
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		free(b);
		return -ENOMEM;
	}
	ctrl->zc_export.zcrx_fd = (uint32_t)fd;
	if (ursa_copy_to_user(arg, ctrl, sizeof(*ctrl))) {
		close(fd);
		free(b);
		return -EFAULT;
	}
	b->dev = st.st_dev;
	b->ino = st.st_ino;
	b->ifq = ifq;
	ifq_get(ifq);
	pthread_mutex_lock(&box_lock);
	box_sweep_locked();
	b->next = boxes;
	boxes = b;
	pthread_mutex_unlock(&box_lock);
	return 0;
}

int ursa_register_zcrx_ctrl(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct zcrx_ctrl ctrl;
	struct zcrx_ifq *ifq;
	unsigned i;

	if (nr)
		return -EINVAL;
	if (ursa_copy_from_user(&ctrl, arg, sizeof(ctrl)))
		return -EFAULT;
	/* -EFAULT, not -EINVAL: the kernel's own choice for these bits. */
	if (ctrl.__resv[0] || ctrl.__resv[1])
		return -EFAULT;
	ifq = ifq_lookup(ring, ctrl.zcrx_id);
	if (!ifq)
		return -ENXIO;
	switch (ctrl.op) {
	case ZCRX_CTRL_FLUSH_RQ:
		for (i = 0; i < 6; i++)
			if (ctrl.zc_flush.__resv[i])
				return -EINVAL;
		rq_flush(ifq);
		return 0;
	case ZCRX_CTRL_EXPORT:
		return zcrx_export(ifq, &ctrl, arg);
	}
	return -EOPNOTSUPP;
}

int ursa_query_zcrx(void *out)
{
	struct io_uring_query_zcrx *q = out;

	memset(q, 0, sizeof(*q));
	q->register_flags = ZCRX_REG_FLAGS;
	/* No dmabuf areas, and rx_buf_len can only be the page size (so
	 * ZCRX_FEATURE_RX_PAGE_SIZE is not claimed). */
	q->area_flags = 0;
	q->nr_ctrl_opcodes = __ZCRX_CTRL_LAST;
	q->features = 0;
	q->rq_hdr_size = ZCRX_RQ_HDR_SIZE;
	q->rq_hdr_alignment = ZCRX_RQ_HDR_ALIGN;
	return (int)sizeof(*q);
}

/* ------------------------------------------------------------- RECV_ZC */

struct recv_zc {
	struct zcrx_ifq	*ifq;		/* reference held from prep */
	uint32_t	left;		/* bytes still wanted (limited only) */
	uint16_t	flags;		/* IORING_RECVSEND_POLL_FIRST, MULTISHOT */
	bool		limited;
	bool		checked;	/* the socket was found to be TCP */
};

int ursa_recv_zc_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct recv_zc *zc = ursa_req_data(req, struct recv_zc);
	struct zcrx_ifq *ifq;

	memset(zc, 0, sizeof(*zc));
	if (sqe->addr || sqe->addr2 || sqe->addr3)
		return -EINVAL;
	ifq = ifq_lookup(req->ring, sqe->zcrx_ifq_idx);
	if (!ifq)
		return -EINVAL;
	if (sqe->len == UINT32_MAX)
		return -EINVAL;
	if (sqe->msg_flags)
		return -EINVAL;
	if (sqe->ioprio & ~(IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT))
		return -EINVAL;
	/* Every data completion is an extra CQE: multishot is required. */
	if (!(sqe->ioprio & IORING_RECV_MULTISHOT))
		return -EINVAL;
	zc->flags = sqe->ioprio;
	zc->limited = sqe->len != 0;
	zc->left = sqe->len;
	zc->ifq = ifq;
	ifq_get(ifq);
	return 0;
}

void ursa_recv_zc_cleanup(struct ursa_req *req)
{
	struct recv_zc *zc = ursa_req_data(req, struct recv_zc);

	if (zc->ifq) {
		ifq_put(zc->ifq);
		zc->ifq = NULL;
	}
}

/* RECV_ZC works on TCP only: -ENOTSOCK, -EBADF or -EPROTONOSUPPORT. */
static int check_tcp(int fd)
{
	int type, proto;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	len = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		return -errno;
	if (type != SOCK_STREAM || proto != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	return 0;
}

/*
 * How many 32-byte data CQEs fit in the CQ now (at most max)?  A multishot
 * data CQE is never overflowed: if it does not fit the request ends with
 * -ENOSPC, as the kernel's.  Data must be received before its CQEs exist,
 * so the room is counted first.  Not exact in two corners: a CQE another
 * thread posts between this count and our post pushes ours into the
 * overflow list (kept in order there, not lost), and CQEs of other requests
 * waiting in the same completion batch are not seen (ours are: the caller
 * subtracts them), so a CQ within a batch of full may end the receive
 * with -ENOSPC a few CQEs early or late.
 */
static unsigned cq_room(struct ursa_ring *ring, unsigned max)
{
	unsigned n = 0, head, tail, space;

	pthread_mutex_lock(&ring->completion_lock);
	if (!ring->ocq_head) {
		head = atomic_load_explicit(ring->cq_head, memory_order_acquire);
		tail = ring->cached_cq_tail;
		space = ring->cq_entries - (tail - head);
		if (!ring->cqe_mixed) {
			n = space < max ? space : max;
		} else {
			/* two slots each, plus a pad that keeps one from
			 * wrapping (complete.c's cq_fill) */
			while (n < max) {
				unsigned need = (tail & ring->cq_mask) == ring->cq_mask ? 3 : 2;

				if (space < need)
					break;
				space -= need;
				tail += need;
				n++;
			}
		}
	}
	pthread_mutex_unlock(&ring->completion_lock);
	return n;
}

/* Is data (or the end of the stream, or an error) waiting?  1, 0 or -errno. */
static int sock_pending(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0)
		return 1;
	if (n == 0)
		return 0;	/* EOF: the receive itself reports it */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -EAGAIN;
	return -errno;
}

/* A worker issuing without URSA_ISSUE_NONBLOCK may wait; a cancellation
 * interrupts the poll. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, -1) < 0)
		return -errno;
	return 0;
}

int ursa_recv_zc(struct ursa_req *req, unsigned issue_flags)
{
	struct recv_zc *zc = ursa_req_data(req, struct recv_zc);
	struct zcrx_ifq *ifq = zc->ifq;
	struct ursa_ring *ring = req->ring;
	bool blocking = !(issue_flags & URSA_ISSUE_NONBLOCK);
	size_t bufsz = (size_t)1 << ifq->buf_shift, copied = 0;
	unsigned batched = 0;
	int err;

	if (!blocking && !(req->flags & REQ_F_POLLED) &&
	    (zc->flags & IORING_RECVSEND_POLL_FIRST))
		return URSA_ISSUE_RETRY;
	if (!zc->checked) {
		err = check_tcp(req->fd);
		if (err)
			goto fail;
		zc->checked = true;
	}
	/* CQEs this submission already produced go first. */
	if (ursa_in_submit(ring))
		ursa_flush_compl(ring);
again:
	for (;;) {
		struct iovec iov[ZCRX_BATCH];
		uint32_t idx[ZCRX_BATCH];
		uint64_t want = zc->limited ? zc->left : UINT64_MAX;
		unsigned room = cq_room(ring, ZCRX_BATCH + batched), nb = 0, i;
		bool no_buf;
		size_t asked = 0, rest;
		struct msghdr msg;
		ssize_t n;

		/* our CQEs still in the batch take room too */
		room = room > batched ? room - batched : 0;
		if (room > ZCRX_BATCH)
			room = ZCRX_BATCH;

		pthread_mutex_lock(&ifq->lock);
		while (nb < room && ifq->free_count && want) {
			size_t l = want < bufsz ? (size_t)want : bufsz;

			idx[nb] = ifq->freelist[--ifq->free_count];
			iov[nb].iov_base = ifq->area + ((size_t)idx[nb] << ifq->buf_shift);
			iov[nb].iov_len = l;
			asked += l;
			want -= l;
			nb++;
		}
		no_buf = !nb && !ifq->free_count;
		pthread_mutex_unlock(&ifq->lock);

		if (!nb) {
			/* Out of buffers or CQ room: an error only once data
			 * is there to be lost (the kernel meets it copying). */
			err = sock_pending(req->fd);
			if (err == -EAGAIN)
				goto would_block;
			if (err == 1)
				err = no_buf ? -ENOMEM : -ENOSPC;
			if (err == 0)
				return 0;	/* end of stream */
			goto out_err;
		}

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = nb;
		n = recvmsg(req->fd, &msg, MSG_DONTWAIT);
		err = n < 0 ? -errno : 0;

		/* Used buffers go to the application, the rest back (in
		 * reverse, so they come out in the same order next time). */
		pthread_mutex_lock(&ifq->lock);
		rest = n > 0 ? (size_t)n : 0;
		for (i = 0; i < nb; i++) {
			size_t used = rest < iov[i].iov_len ? rest : iov[i].iov_len;

			iov[i].iov_len = used;
			rest -= used;
			if (used)
				ifq->urefs[idx[i]]++;
		}
		for (i = nb; i-- > 0;)
			if (!iov[i].iov_len)
				ifq->freelist[ifq->free_count++] = idx[i];
		pthread_mutex_unlock(&ifq->lock);

		if (n < 0) {
			if (err == -EAGAIN || err == -EWOULDBLOCK)
				goto would_block;
			if (err == -EINTR && !blocking)
				continue;
			goto out_err;
		}
		if (n == 0)
			return 0;	/* end of stream: final CQE, res 0 */

		for (i = 0; i < nb && iov[i].iov_len; i++) {
			uint64_t big[2] = {
				(uint64_t)idx[i] << ifq->buf_shift, 0 };

			/* (area 0: nothing to or in at the area shift.)
			 * Into the waiting task's batch (one lock for many
			 * CQEs) while it is short; posting directly flushes
			 * the batch first, so order holds either way. */
			if (batched < ZCRX_BATCH_POST &&
			    ursa_batch_post(ring, req->user_data,
					    (int32_t)iov[i].iov_len,
					    IORING_CQE_F_MORE, big)) {
				batched++;
			} else {
				ursa_post_cqe(ring, req->user_data,
					      (int32_t)iov[i].iov_len,
					      IORING_CQE_F_MORE, big);
				batched = 0;
			}
		}
		copied += (size_t)n;
		if (zc->limited) {
			zc->left -= (uint32_t)n;
			if (!zc->left)
				return 0;	/* len reached: final CQE, res 0 */
		}
		/* A short receive drained the socket: wait for more. */
		if ((size_t)n < asked)
			goto would_block;
	}

would_block:
	if (!blocking)
		return URSA_ISSUE_RETRY;
	err = wait_readable(req->fd);
	if (err)
		goto out_err;
	goto again;

out_err:
	/* What was received is posted; the error ends the request on the
	 * next attempt, as the kernel's copy loop reports it. */
	if (copied && !blocking)
		return URSA_ISSUE_RETRY;
fail:
	ursa_req_set_fail(req);
	return err;
}

/* ------------------------------------------------------------ teardown */

void ursa_zcrx_exit(struct ursa_ring *ring)
{
	struct ursa_zcrx *z = ring->zcrx;
	uint32_t i;

	if (z) {
		for (i = 0; i < z->nr; i++) {
			struct zcrx_ifq *ifq = z->tab[i];

			if (!ifq)
				continue;
			/* The region's memmap goes with this ring (memmap
			 * exit); the ifq keeps its own mapping. */
			if (ifq->rq_owner == ring)
				ifq->rq_owner = NULL;
			ifq_put(ifq);
		}
		free(z->tab);
		free(z);
		ring->zcrx = NULL;
	}
	box_sweep();
}
