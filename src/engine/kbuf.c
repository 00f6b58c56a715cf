/* SPDX-License-Identifier: MIT */
/*
 * Provided buffers (see kbuf.h for the model).  Lists live in a small hash
 * by group id, under ring->kbuf_lock; selection and the transfer it feeds
 * run under that lock on the nonblocking path, so a ring head is peeked,
 * used and committed as one step whichever thread issues.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kbuf.h"
#include "memmap.h"
#include "rsrc.h"

#define KBUF_BUCKETS	64
#define MAX_BIDS	(1u << 16)

struct legacy_buf {
	uint64_t	addr;
	uint32_t	len;
	uint16_t	bid;
};

struct ursa_buf_list {
	struct ursa_buf_list	*next;
	uint16_t		bgid;
	unsigned		flags;
	/* legacy: a FIFO in an array, [head, head + nr) */
	struct legacy_buf	*bufs;
	unsigned		head, nr, alloc;
	/* ring */
	struct io_uring_buf_ring *br;
	unsigned		mask, entries;
	uint16_t		rhead;
	uint32_t		min_left;
	size_t			map_sz;		/* MMAP: our mapping of it */
	uint64_t		map_off;	/* MMAP: its place in the memfd */
	/* KMBUF: the buffers, entries * buf_size bytes in the memfd */
	unsigned char		*kmem;
	uint32_t		buf_size;
};

struct ursa_kbufs {
	struct ursa_buf_list	*buckets[KBUF_BUCKETS];
};

static struct ursa_buf_list *bl_find(struct ursa_ring *ring, unsigned bgid)
{
	struct ursa_buf_list *bl;

	if (!ring->kbufs)
		return NULL;
	for (bl = ring->kbufs->buckets[bgid % KBUF_BUCKETS]; bl; bl = bl->next)
		if (bl->bgid == bgid)
			return bl;
	return NULL;
}

static struct ursa_buf_list *bl_create(struct ursa_ring *ring, unsigned bgid)
{
	struct ursa_buf_list *bl;

	if (!ring->kbufs) {
		ring->kbufs = calloc(1, sizeof(*ring->kbufs));
		if (!ring->kbufs)
			return NULL;
	}
	bl = calloc(1, sizeof(*bl));
	if (!bl)
		return NULL;
	bl->bgid = (uint16_t)bgid;
	bl->next = ring->kbufs->buckets[bgid % KBUF_BUCKETS];
	ring->kbufs->buckets[bgid % KBUF_BUCKETS] = bl;
	return bl;
}

static void bl_unlink(struct ursa_ring *ring, struct ursa_buf_list *bl)
{
	struct ursa_buf_list **pp = &ring->kbufs->buckets[bl->bgid % KBUF_BUCKETS];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == bl) {
			*pp = bl->next;
			return;
		}
	}
}

static void bl_free(struct ursa_ring *ring, struct ursa_buf_list *bl)
{
	if (bl->flags & URSA_BL_MMAP)
		ursa_memmap_free(ring, bl->br);
	if (bl->flags & URSA_BL_KMBUF) {
		ursa_memmap_free(ring, bl->kmem);
		free(bl->br);
	}
	free(bl->bufs);
	free(bl);
}

/* ---------------------------------------------------------------- select */

static inline uint16_t ring_tail(struct ursa_buf_list *bl)
{
	return __atomic_load_n(&bl->br->tail, __ATOMIC_ACQUIRE);
}

int ursa_kbuf_select(struct ursa_req *req, unsigned bgid, uint32_t *len,
		     struct ursa_kbuf_sel *sel, unsigned issue_flags)
{
	struct ursa_ring *ring = req->ring;
	struct ursa_buf_list *bl;

	memset(sel, 0, sizeof(*sel));
	sel->ring = ring;
	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, bgid);
	if (!bl)
		goto nobufs;
	if (bl->flags & URSA_BL_RING) {
		struct io_uring_buf *b;

		if (ring_tail(bl) == bl->rhead)
			goto nobufs;
		b = &bl->br->bufs[bl->rhead & bl->mask];
		sel->addr = __atomic_load_n(&b->addr, __ATOMIC_RELAXED);
		sel->len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);
		sel->bid = __atomic_load_n(&b->bid, __ATOMIC_RELAXED);
		sel->nr = 1;
	} else {
		struct legacy_buf *b;

		if (!bl->nr)
			goto nobufs;
		b = &bl->bufs[bl->head];
		sel->addr = b->addr;
		sel->len = b->len;
		sel->bid = b->bid;
		/* Legacy buffers leave the list when selected; a recycle puts
		 * them back in front. */
		bl->head++;
		bl->nr--;
		sel->committed = true;
	}
	if (!*len || *len > sel->len)
		*len = sel->len;
	sel->bl = bl;
	if (bl->flags & URSA_BL_KMBUF) {
		/* Engine memory: committed at selection, whoever issues
		 * (seed 000, 3/9); only the driver's recycle returns it. */
		bl->rhead++;
		sel->committed = true;
	} else if ((bl->flags & URSA_BL_RING) && !(issue_flags & URSA_ISSUE_NONBLOCK)) {
		/* Blocking issue: commit now (INC entries when finished). */
		if (!(bl->flags & URSA_BL_INC)) {
			bl->rhead++;
			sel->committed = true;
		}
	}
	if (issue_flags & URSA_ISSUE_NONBLOCK) {
		sel->locked = true;
		return 0;
	}
	pthread_mutex_unlock(&ring->kbuf_lock);
	return 0;
nobufs:
	pthread_mutex_unlock(&ring->kbuf_lock);
	return -ENOBUFS;
}

uint32_t ursa_kbuf_finish(struct ursa_kbuf_sel *sel, int used, bool recycle)
{
	struct ursa_buf_list *bl = sel->bl;
	struct ursa_ring *ring;
	uint32_t cflags = 0;

	if (!bl)
		return 0;
	ring = sel->ring;
	if (!sel->locked)
		pthread_mutex_lock(&ring->kbuf_lock);
	if (recycle) {
		if (!(bl->flags & URSA_BL_RING) && sel->committed) {
			if (bl->head) {
				bl->head--;
			} else {
				/* make room in front */
				if (bl->nr == bl->alloc) {
					/* cannot grow here: drop to the tail */
					goto out;
				}
				memmove(bl->bufs + 1, bl->bufs, bl->nr * sizeof(*bl->bufs));
			}
			bl->bufs[bl->head].addr = sel->addr;
			bl->bufs[bl->head].len = sel->len;
			bl->bufs[bl->head].bid = sel->bid;
			bl->nr++;
		}
		/* A ring's head was not moved (or, committed by a blocking
		 * selection, the buffer is the request's until it ends). */
		goto out;
	}
	cflags = IORING_CQE_F_BUFFER | ((uint32_t)sel->bid << IORING_CQE_BUFFER_SHIFT);
	if ((bl->flags & URSA_BL_RING) && (bl->flags & URSA_BL_INC)) {
		struct io_uring_buf *b = &bl->br->bufs[bl->rhead & bl->mask];
		uint32_t n = used > 0 ? (uint32_t)used : 0;
		uint32_t left = sel->len > n ? sel->len - n : 0;

		/* Incremental: the entry shrinks in place; it is done when
		 * less than min_left remains. */
		if (left >= bl->min_left && left) {
			__atomic_store_n(&b->addr, sel->addr + n, __ATOMIC_RELAXED);
			__atomic_store_n(&b->len, left, __ATOMIC_RELAXED);
			cflags |= IORING_CQE_F_BUF_MORE;
		} else {
			/* Used up: the kernel leaves the entry with len 0. */
			if (!left)
				__atomic_store_n(&b->len, 0, __ATOMIC_RELAXED);
			bl->rhead++;
		}
	} else if ((bl->flags & URSA_BL_RING) && !sel->committed && sel->bundle) {
		/* A bundle takes the entries its bytes landed in. */
		uint32_t left = used > 0 ? (uint32_t)used : 0;
		uint16_t k = 0;

		while (left && k < sel->nr) {
			struct io_uring_buf *b = &bl->br->bufs[(bl->rhead + k) & bl->mask];
			uint32_t len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);

			left = left > len ? left - len : 0;
			k++;
		}
		bl->rhead = (uint16_t)(bl->rhead + k);
		if (!k)
			cflags = 0;
	} else if ((bl->flags & URSA_BL_RING) && !sel->committed) {
		bl->rhead += sel->nr ? sel->nr : 1;
	}
out:
	pthread_mutex_unlock(&ring->kbuf_lock);
	sel->bl = NULL;
	sel->locked = false;
	return cflags;
}

/*
 * Bundles (IORING_RECVSEND_BUNDLE): up to max_iov consecutive ring entries
 * from the head, at most max_len bytes in all (0: no limit), as iovecs.
 * Only rings bundle; a legacy group gives one buffer.  Same locking as
 * ursa_kbuf_select; ursa_kbuf_finish commits the entries the transfer
 * used.
 */
int ursa_kbuf_select_bundle(struct ursa_req *req, unsigned bgid, size_t max_len,
			    struct iovec *iov, unsigned max_iov, unsigned *nr,
			    struct ursa_kbuf_sel *sel, unsigned issue_flags)
{
	struct ursa_ring *ring = req->ring;
	struct ursa_buf_list *bl;
	uint16_t tail, h;
	size_t total = 0;
	unsigned n = 0;

	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, bgid);
	if (!bl || !(bl->flags & URSA_BL_RING) || (bl->flags & URSA_BL_INC)) {
		uint32_t len = (uint32_t)max_len;
		int ret;

		pthread_mutex_unlock(&ring->kbuf_lock);
		ret = ursa_kbuf_select(req, bgid, &len, sel, issue_flags);
		if (ret)
			return ret;
		iov[0].iov_base = (void *)(uintptr_t)sel->addr;
		iov[0].iov_len = len;
		*nr = 1;
		return 0;
	}
	memset(sel, 0, sizeof(*sel));
	sel->ring = ring;
	tail = ring_tail(bl);
	for (h = bl->rhead; h != tail && n < max_iov; h++) {
		struct io_uring_buf *b = &bl->br->bufs[h & bl->mask];
		uint32_t len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);

		if (!n) {
			sel->addr = __atomic_load_n(&b->addr, __ATOMIC_RELAXED);
			sel->bid = __atomic_load_n(&b->bid, __ATOMIC_RELAXED);
			sel->len = len;
		}
		if (max_len && total + len > max_len)
			len = (uint32_t)(max_len - total);
		iov[n].iov_base = (void *)(uintptr_t)__atomic_load_n(&b->addr, __ATOMIC_RELAXED);
		iov[n].iov_len = len;
		total += len;
		n++;
		if (max_len && total >= max_len)
			break;
	}
	if (!n) {
		pthread_mutex_unlock(&ring->kbuf_lock);
		return -ENOBUFS;
	}
	sel->bl = bl;
	sel->nr = (uint16_t)n;
	sel->bundle = true;
	if (!(issue_flags & URSA_ISSUE_NONBLOCK)) {
		/* A blocking transfer: the entries are taken now, all of them
		 * (the kernel commits what it selected without the lock). */
		bl->rhead = (uint16_t)(bl->rhead + n);
		sel->committed = true;
		pthread_mutex_unlock(&ring->kbuf_lock);
		*nr = n;
		return 0;
	}
	sel->locked = true;
	*nr = n;
	return 0;
}

bool ursa_kbuf_group_exists(struct ursa_ring *ring, unsigned bgid)
{
	bool ret;

	pthread_mutex_lock(&ring->kbuf_lock);
	ret = bl_find(ring, bgid) != NULL;
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

bool ursa_kbuf_is_legacy(const struct ursa_kbuf_sel *sel)
{
	return sel->bl && !(sel->bl->flags & URSA_BL_RING);
}

void ursa_kbuf_keep(struct ursa_kbuf_sel *sel)
{
	if (sel->locked)
		pthread_mutex_unlock(&sel->ring->kbuf_lock);
	sel->locked = false;
	sel->bl = NULL;
}

/* ------------------------------------------------------- PROVIDE / REMOVE */

struct provide_op {
	uint64_t	addr;
	uint32_t	len;
	uint32_t	nbufs;
	uint16_t	bgid;
	uint16_t	bid;
};

int ursa_provide_buffers_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct provide_op *p = ursa_req_data(req, struct provide_op);
	uint64_t size, end;
	int32_t nbufs = sqe->fd;

	if (sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	if (nbufs <= 0 || (uint32_t)nbufs > MAX_BIDS)
		return -E2BIG;
	if (!sqe->len)
		return -EINVAL;
	if (sqe->off > 65535)
		return -E2BIG;
	p->nbufs = (uint32_t)nbufs;
	p->addr = sqe->addr;
	p->len = sqe->len;
	p->bgid = sqe->buf_group;
	p->bid = (uint16_t)sqe->off;
	if ((uint32_t)p->bid + p->nbufs > MAX_BIDS)
		return -EINVAL;
	if (__builtin_mul_overflow((uint64_t)p->len, p->nbufs, &size) ||
	    __builtin_add_overflow(p->addr, size, &end))
		return -EOVERFLOW;
	/* access_ok(): a user address range */
	if (end > 0x00007ffffffff000ull)
		return -EFAULT;
	return 0;
}

int ursa_provide_buffers(struct ursa_req *req, unsigned issue_flags)
{
	struct provide_op *p = ursa_req_data(req, struct provide_op);
	struct ursa_ring *ring = req->ring;
	struct ursa_buf_list *bl;
	unsigned i, added = 0;
	int ret = 0;

	(void)issue_flags;
	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, p->bgid);
	if (!bl) {
		bl = bl_create(ring, p->bgid);
		if (!bl) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (bl->flags & URSA_BL_RING) {
		ret = -EINVAL;
		goto out;
	}
	if (bl->nr + p->nbufs > 65535u) {
		ret = -EOVERFLOW;
		goto out;
	}
	/* compact, then grow to fit */
	if (bl->head) {
		memmove(bl->bufs, bl->bufs + bl->head, bl->nr * sizeof(*bl->bufs));
		bl->head = 0;
	}
	if (bl->nr + p->nbufs > bl->alloc) {
		unsigned n = bl->nr + p->nbufs;
		struct legacy_buf *nb = realloc(bl->bufs, n * sizeof(*nb));

		if (!nb) {
			ret = -ENOMEM;
			goto out;
		}
		bl->bufs = nb;
		bl->alloc = n;
	}
	for (i = 0; i < p->nbufs; i++) {
		struct legacy_buf *b = &bl->bufs[bl->nr++];

		b->addr = p->addr + (uint64_t)i * p->len;
		b->len = p->len;
		b->bid = (uint16_t)(p->bid + i);
		added++;
	}
out:
	pthread_mutex_unlock(&ring->kbuf_lock);
	return (ret == -ENOMEM && added) ? 0 : ret;
}

int ursa_remove_buffers_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct provide_op *p = ursa_req_data(req, struct provide_op);
	int32_t nbufs = sqe->fd;

	if (sqe->rw_flags || sqe->addr || sqe->len || sqe->off ||
	    sqe->splice_fd_in)
		return -EINVAL;
	if (nbufs <= 0 || (uint32_t)nbufs > MAX_BIDS)
		return -EINVAL;
	p->nbufs = (uint32_t)nbufs;
	p->bgid = sqe->buf_group;
	return 0;
}

int ursa_remove_buffers(struct ursa_req *req, unsigned issue_flags)
{
	struct provide_op *p = ursa_req_data(req, struct provide_op);
	struct ursa_ring *ring = req->ring;
	struct ursa_buf_list *bl;
	int ret;

	(void)issue_flags;
	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, p->bgid);
	if (!bl) {
		ret = -ENOENT;
	} else if (bl->flags & URSA_BL_RING) {
		ret = -EINVAL;
	} else {
		unsigned n = p->nbufs < bl->nr ? p->nbufs : bl->nr;

		bl->head += n;
		bl->nr -= n;
		ret = (int)n;
	}
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

/* --------------------------------------------------------- registration */

/* The ring list of group bgid, with kbuf_lock held: -ENOENT for no group,
 * -EINVAL for a legacy one (the kernel's answers to ring operations). */
static int ring_list_locked(struct ursa_ring *ring, unsigned bgid,
			    struct ursa_buf_list **out)
{
	struct ursa_buf_list *bl = bl_find(ring, bgid);

	if (!bl)
		return -ENOENT;
	if (!(bl->flags & URSA_BL_RING))
		return -EINVAL;
	*out = bl;
	return 0;
}

/* Copy a register argument and check its reserved words are zero. */
static int copy_reg_arg(void *dst, void *arg, unsigned nr, size_t size,
			const uint32_t *resv, unsigned nr_resv)
{
	unsigned i;

	if (!arg || nr != 1)
		return -EINVAL;
	if (ursa_copy_from_user(dst, arg, size))
		return -EFAULT;
	for (i = 0; i < nr_resv; i++)
		if (resv[i])
			return -EINVAL;
	return 0;
}

int ursa_register_pbuf_ring(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_buf_reg reg;
	struct ursa_buf_list *bl;
	size_t sz, ps = (size_t)sysconf(_SC_PAGESIZE);
	int ret;

	ret = copy_reg_arg(&reg, arg, nr, sizeof(reg), reg.resv, 5);
	if (ret)
		return ret;
	if (reg.flags & ~(IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC |
			  IOU_PBUF_RING_KERNEL_MANAGED))
		return -EINVAL;
	if (!reg.ring_entries || (reg.ring_entries & (reg.ring_entries - 1)) ||
	    reg.ring_entries >= 65536)
		return -EINVAL;
	if (reg.min_left && !(reg.flags & IOU_PBUF_RING_INC))
		return -EINVAL;
	if (reg.flags & IOU_PBUF_RING_KERNEL_MANAGED) {
		/* Seed 000 (2/9): needs MMAP, no INC yet, page-aligned
		 * buffers; buf_size shares the ring_addr slot. */
		if (!(reg.flags & IOU_PBUF_RING_MMAP) ||
		    (reg.flags & IOU_PBUF_RING_INC) ||
		    !reg.buf_size || (reg.buf_size & (ps - 1)))
			return -EINVAL;
	} else if (!(reg.flags & IOU_PBUF_RING_MMAP)) {
		if (!reg.ring_addr || (reg.ring_addr & (ps - 1)))
			return -EINVAL;
	} else if (reg.ring_addr) {
		return -EINVAL;
	}
	sz = (size_t)reg.ring_entries * sizeof(struct io_uring_buf);

	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, reg.bgid);
	if (bl) {
		if ((bl->flags & URSA_BL_RING) || bl->nr) {
			ret = -EEXIST;
			goto out;
		}
		/* an empty legacy list is reused */
		bl_unlink(ring, bl);
		bl_free(ring, bl);
	}
	bl = bl_create(ring, reg.bgid);
	if (!bl) {
		ret = -ENOMEM;
		goto out;
	}
	if (reg.flags & IOU_PBUF_RING_KERNEL_MANAGED) {
		int err;

		/* The ring is ours alone; the application's mmap at the
		 * group's offset shows the buffers, one after another. */
		bl->br = calloc(reg.ring_entries, sizeof(struct io_uring_buf));
		if (!bl->br) {
			ret = -ENOMEM;
			goto fail;
		}
		bl->buf_size = reg.buf_size;
		bl->map_off = IORING_OFF_PBUF_RING |
			      ((uint64_t)reg.bgid << IORING_OFF_PBUF_SHIFT);
		bl->kmem = ursa_memmap_create(ring, bl->map_off,
					      (size_t)reg.ring_entries * reg.buf_size,
					      &err);
		if (!bl->kmem) {
			free(bl->br);
			ret = err;
			goto fail;
		}
		for (unsigned i = 0; i < reg.ring_entries; i++) {
			bl->br->bufs[i].addr = (uint64_t)(uintptr_t)
				(bl->kmem + (size_t)i * reg.buf_size);
			bl->br->bufs[i].len = reg.buf_size;
			bl->br->bufs[i].bid = (uint16_t)i;
		}
		/* Full from the start. */
		__atomic_store_n(&bl->br->tail, (uint16_t)reg.ring_entries,
				 __ATOMIC_RELEASE);
		bl->flags |= URSA_BL_KMBUF;
	} else if (reg.flags & IOU_PBUF_RING_MMAP) {
		void *m;
		int err;

		/* The application maps it at IORING_OFF_PBUF_RING | bgid << 16
		 * of the ring fd (memmap.h). */
		bl->map_sz = (sz + ps - 1) & ~(ps - 1);
		bl->map_off = IORING_OFF_PBUF_RING |
			      ((uint64_t)reg.bgid << IORING_OFF_PBUF_SHIFT);
		m = ursa_memmap_create(ring, bl->map_off, bl->map_sz, &err);
		if (!m) {
			ret = err;
			goto fail;
		}
		bl->br = m;
		bl->flags |= URSA_BL_MMAP;
	} else {
		ret = ursa_range_mapped(reg.ring_addr, sz);
		if (ret)
			goto fail;
		bl->br = (struct io_uring_buf_ring *)(uintptr_t)reg.ring_addr;
	}
	bl->flags |= URSA_BL_RING;
	if (reg.flags & IOU_PBUF_RING_INC)
		bl->flags |= URSA_BL_INC;
	bl->entries = reg.ring_entries;
	bl->mask = reg.ring_entries - 1;
	bl->min_left = reg.min_left ? reg.min_left : 1;
	/* The head starts where the application's tail is (0 for a new
	 * ring; a kernel-managed ring starts full, from 0). */
	bl->rhead = (bl->flags & URSA_BL_KMBUF) ? 0 : ring_tail(bl);
	goto out;
fail:
	bl_unlink(ring, bl);
	bl->flags &= ~URSA_BL_MMAP;
	free(bl);
out:
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

int ursa_unregister_pbuf_ring(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_buf_reg reg;
	struct ursa_buf_list *bl = NULL;
	int ret;

	ret = copy_reg_arg(&reg, arg, nr, sizeof(reg), reg.resv, 5);
	if (ret)
		return ret;
	if (reg.flags)
		return -EINVAL;
	pthread_mutex_lock(&ring->kbuf_lock);
	ret = ring_list_locked(ring, reg.bgid, &bl);
	if (!ret && (bl->flags & URSA_BL_PINNED))
		ret = -EBUSY;
	if (!ret) {
		bl_unlink(ring, bl);
		bl_free(ring, bl);
	}
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

int ursa_register_pbuf_status(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_buf_status st;
	struct ursa_buf_list *bl = NULL;
	int ret;

	ret = copy_reg_arg(&st, arg, nr, sizeof(st), st.resv, 8);
	if (ret)
		return ret;
	pthread_mutex_lock(&ring->kbuf_lock);
	ret = ring_list_locked(ring, st.buf_group, &bl);
	if (!ret)
		st.head = bl->rhead;
	pthread_mutex_unlock(&ring->kbuf_lock);
	if (!ret && ursa_copy_to_user(arg, &st, sizeof(st)))
		ret = -EFAULT;
	return ret;
}

void ursa_kbuf_exit(struct ursa_ring *ring)
{
	unsigned b;

	if (!ring->kbufs)
		return;
	for (b = 0; b < KBUF_BUCKETS; b++) {
		struct ursa_buf_list *bl, *next;

		for (bl = ring->kbufs->buckets[b]; bl; bl = next) {
			next = bl->next;
			bl_free(ring, bl);
		}
	}
	free(ring->kbufs);
	ring->kbufs = NULL;
}

/* ------------------------------------------------- the driver side (seed 000) */

int ursa_kbuf_pin(struct ursa_ring *ring, unsigned bgid, struct ursa_buf_list **out)
{
	struct ursa_buf_list *bl;
	int ret = 0;

	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, bgid);
	if (!bl || !(bl->flags & URSA_BL_RING))
		ret = -EINVAL;
	else if (bl->flags & URSA_BL_PINNED)
		ret = -EALREADY;
	else {
		bl->flags |= URSA_BL_PINNED;
		if (out)
			*out = bl;
	}
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

int ursa_kbuf_unpin(struct ursa_ring *ring, unsigned bgid)
{
	struct ursa_buf_list *bl;
	int ret = -EINVAL;

	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, bgid);
	if (bl && (bl->flags & URSA_BL_RING) && (bl->flags & URSA_BL_PINNED)) {
		bl->flags &= ~URSA_BL_PINNED;
		ret = 0;
	}
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

bool ursa_kbuf_is_kmbuf(struct ursa_ring *ring, unsigned bgid)
{
	struct ursa_buf_list *bl;
	bool ret;

	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, bgid);
	ret = bl && (bl->flags & URSA_BL_KMBUF);
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

int ursa_kbuf_kmbuf_recycle(struct ursa_ring *ring, unsigned bgid,
			    uint64_t addr, unsigned len, unsigned bid)
{
	struct ursa_buf_list *bl;
	struct io_uring_buf *b;
	uint16_t tail;
	int ret = -EINVAL;

	pthread_mutex_lock(&ring->kbuf_lock);
	bl = bl_find(ring, bgid);
	if (!bl || (bl->flags & (URSA_BL_RING | URSA_BL_KMBUF)) !=
		   (URSA_BL_RING | URSA_BL_KMBUF))
		goto out;
	tail = ring_tail(bl);
	if ((uint16_t)(tail - bl->rhead) >= bl->entries)
		goto out;	/* full: not one of ours out there */
	/* Not validated, as in the seed: the driver is trusted. */
	b = &bl->br->bufs[tail & bl->mask];
	b->addr = addr;
	b->len = len;
	b->bid = (uint16_t)bid;
	__atomic_store_n(&bl->br->tail, (uint16_t)(tail + 1), __ATOMIC_RELEASE);
	ret = 0;
out:
	pthread_mutex_unlock(&ring->kbuf_lock);
	return ret;
}

int ursa_kbuf_select_list(struct ursa_ring *ring, struct ursa_buf_list *bl,
			  uint32_t *len, struct ursa_kbuf_sel *sel)
{
	struct io_uring_buf *b;

	memset(sel, 0, sizeof(*sel));
	if (!bl || !(bl->flags & URSA_BL_RING))
		return -EINVAL;
	sel->ring = ring;
	pthread_mutex_lock(&ring->kbuf_lock);
	if (ring_tail(bl) == bl->rhead) {
		pthread_mutex_unlock(&ring->kbuf_lock);
		return -ENOBUFS;
	}
	b = &bl->br->bufs[bl->rhead & bl->mask];
	sel->addr = __atomic_load_n(&b->addr, __ATOMIC_RELAXED);
	sel->len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);
	sel->bid = __atomic_load_n(&b->bid, __ATOMIC_RELAXED);
	sel->nr = 1;
	/* Outside any issue context: the entry is taken at once. */
	bl->rhead++;
	sel->committed = true;
	sel->bl = bl;
	pthread_mutex_unlock(&ring->kbuf_lock);
	if (!*len || *len > sel->len)
		*len = sel->len;
	return 0;
}
