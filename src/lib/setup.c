/* SPDX-License-Identifier: MIT */
/*
 * Ring creation, mapping and teardown; probes; memory-size queries;
 * provided-buffer ring allocation.
 */
#include "lib.h"

#include <sys/mman.h>

/* io_uring's limits on ring sizes (before IORING_SETUP_CLAMP). */
#define MAX_SQ_ENTRIES		32768U
#define MAX_CQ_ENTRIES		(2 * MAX_SQ_ENTRIES)

/* Bytes before the CQE array in the rings region (indexes, masks, flags). */
#define RINGS_HEADER_SIZE	64

#define HUGE_PAGE_SIZE		(2UL * 1024 * 1024)
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT		26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB		(21U << MAP_HUGE_SHIFT)
#endif

static unsigned next_pow2(unsigned v)
{
	unsigned r = 1;

	while (r < v)
		r <<= 1;
	return r;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The SQ and CQ sizes io_uring_setup() will choose for these arguments. */
static int ring_entries_for(unsigned entries, const struct io_uring_params *p,
			    unsigned *sq, unsigned *cq)
{
	unsigned cqe;

	if (!entries)
		return -EINVAL;
	if (entries > MAX_SQ_ENTRIES) {
		if (!(p->flags & IORING_SETUP_CLAMP))
			return -EINVAL;
		entries = MAX_SQ_ENTRIES;
	}
	entries = next_pow2(entries);

	if (p->flags & IORING_SETUP_CQSIZE) {
		if (!p->cq_entries)
			return -EINVAL;
		cqe = p->cq_entries;
		if (cqe > MAX_CQ_ENTRIES) {
			if (!(p->flags & IORING_SETUP_CLAMP))
				return -EINVAL;
			cqe = MAX_CQ_ENTRIES;
		}
		cqe = next_pow2(cqe);
		if (cqe < entries)
			return -EINVAL;
	} else {
		cqe = 2 * entries;
	}
	*sq = entries;
	*cq = cqe;
	return 0;
}

/* Bytes of SQE array for n SQ entries (SQE128 entries are double size). */
static size_t sqe_array_bytes(unsigned flags, unsigned n)
{
	return ((size_t) n << io_uring_sqe_shift_from_flags(flags)) *
	       sizeof(struct io_uring_sqe);
}

/* Bytes of CQE array for n CQ entries (CQE32 entries are double size). */
static size_t cqe_array_bytes(unsigned flags, unsigned n)
{
	return ((size_t) n << io_uring_cqe_shift_from_flags(flags)) *
	       sizeof(struct io_uring_cqe);
}

static size_t max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

/*
 * Extent of the SQ ring region: up to the end of the index array, and in
 * any case past every header field (with NO_SQARRAY there is no array and
 * the offset of 'array' is meaningless).
 */
static size_t sq_ring_bytes(const struct io_uring_params *p)
{
	const struct io_sqring_offsets *o = &p->sq_off;
	size_t end = 0;

	end = max_sz(end, (size_t) o->head + 4);
	end = max_sz(end, (size_t) o->tail + 4);
	end = max_sz(end, (size_t) o->ring_mask + 4);
	end = max_sz(end, (size_t) o->ring_entries + 4);
	end = max_sz(end, (size_t) o->flags + 4);
	end = max_sz(end, (size_t) o->dropped + 4);
	if (!(p->flags & IORING_SETUP_NO_SQARRAY))
		end = max_sz(end, (size_t) o->array +
				  (size_t) p->sq_entries * sizeof(unsigned));
	return end;
}

static size_t cq_ring_bytes(const struct io_uring_params *p)
{
	return (size_t) p->cq_off.cqes + cqe_array_bytes(p->flags, p->cq_entries);
}

void uring_lib_unmap_rings(struct io_uring_sq *sq, struct io_uring_cq *cq)
{
	if (sq->ring_sz)
		lib_munmap(sq->ring_ptr, sq->ring_sz);
	/* with one shared mapping the CQ pointer aliases the SQ one */
	if (cq->ring_ptr && cq->ring_sz && cq->ring_ptr != sq->ring_ptr)
		lib_munmap(cq->ring_ptr, cq->ring_sz);
}

/* Point the sq/cq views into ring memory using the offsets from setup. */
void uring_lib_set_ring_pointers(const struct io_uring_params *p,
				 struct io_uring_sq *sq,
				 struct io_uring_cq *cq)
{
	char *s = sq->ring_ptr, *c = cq->ring_ptr;

	sq->khead = (unsigned *) (s + p->sq_off.head);
	sq->ktail = (unsigned *) (s + p->sq_off.tail);
	sq->kring_mask = (unsigned *) (s + p->sq_off.ring_mask);
	sq->kring_entries = (unsigned *) (s + p->sq_off.ring_entries);
	sq->kflags = (unsigned *) (s + p->sq_off.flags);
	sq->kdropped = (unsigned *) (s + p->sq_off.dropped);
	sq->array = NULL;
	if (!(p->flags & IORING_SETUP_NO_SQARRAY))
		sq->array = (unsigned *) (s + p->sq_off.array);

	cq->khead = (unsigned *) (c + p->cq_off.head);
	cq->ktail = (unsigned *) (c + p->cq_off.tail);
	cq->kring_mask = (unsigned *) (c + p->cq_off.ring_mask);
	cq->kring_entries = (unsigned *) (c + p->cq_off.ring_entries);
	cq->koverflow = (unsigned *) (c + p->cq_off.overflow);
	cq->cqes = (struct io_uring_cqe *) (c + p->cq_off.cqes);
	/* offset 0 means the server has no CQ flags word (pre-5.8 kernels) */
	cq->kflags = p->cq_off.flags ? (unsigned *) (c + p->cq_off.flags) : NULL;

	/* cache the constants so the fast path does not chase pointers */
	sq->ring_mask = *sq->kring_mask;
	sq->ring_entries = *sq->kring_entries;
	cq->ring_mask = *cq->kring_mask;
	cq->ring_entries = *cq->kring_entries;
}

/*
 * Map the SQ ring, CQ ring and SQE array of ring fd.  With
 * IORING_FEAT_SINGLE_MMAP the two rings share one mapping (made at the SQ
 * offset, sized for the larger); otherwise each region is mapped at its own
 * offset.  On failure nothing stays mapped.
 */
int uring_lib_map_rings(int fd, struct io_uring_params *p,
			struct io_uring_sq *sq, struct io_uring_cq *cq)
{
	const int prot = PROT_READ | PROT_WRITE;
	const int flags = MAP_SHARED | MAP_POPULATE;
	size_t sqes_bytes;
	int err;

	sq->ring_sz = sq_ring_bytes(p);
	cq->ring_sz = cq_ring_bytes(p);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		sq->ring_sz = max_sz(sq->ring_sz, cq->ring_sz);
		cq->ring_sz = sq->ring_sz;
	}

	sq->ring_ptr = lib_mmap(sq->ring_sz, prot, flags, fd,
				(off_t) IORING_OFF_SQ_RING, &err);
	if (!sq->ring_ptr) {
		sq->ring_sz = 0;
		cq->ring_sz = 0;
		return err;
	}

	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		cq->ring_ptr = sq->ring_ptr;
	} else {
		cq->ring_ptr = lib_mmap(cq->ring_sz, prot, flags, fd,
					(off_t) IORING_OFF_CQ_RING, &err);
		if (!cq->ring_ptr)
			goto fail;
	}

	sqes_bytes = sqe_array_bytes(p->flags, p->sq_entries);
	sq->sqes_sz = (unsigned) sqes_bytes;
	if (sq->sqes_sz != sqes_bytes) {
		err = -EINVAL;
		goto fail;
	}
	sq->sqes = lib_mmap(sq->sqes_sz, prot, flags, fd,
			    (off_t) IORING_OFF_SQES, &err);
	if (!sq->sqes)
		goto fail;

	uring_lib_set_ring_pointers(p, sq, cq);
	return 0;
fail:
	uring_lib_unmap_rings(sq, cq);
	sq->ring_ptr = NULL;
	cq->ring_ptr = NULL;
	sq->ring_sz = 0;
	cq->ring_sz = 0;
	return err;
}

/* Rings are always used with slot i holding SQE i. */
static void identity_sq_array(struct io_uring *ring)
{
	unsigned i;

	if (!ring->sq.array)
		return;
	for (i = 0; i < ring->sq.ring_entries; i++)
		ring->sq.array[i] = i;
}

URSA_COLD int io_uring_queue_mmap(int fd, struct io_uring_params *p,
				  struct io_uring *ring)
{
	int ret;

	memset(ring, 0, sizeof(*ring));
	ret = uring_lib_map_rings(fd, p, &ring->sq, &ring->cq);
	if (ret)
		return ret;
	ring->flags = p->flags;
	ring->features = p->features;
	ring->ring_fd = fd;
	ring->enter_ring_fd = fd;
	identity_sq_array(ring);
	return 0;
}

URSA_COLD int io_uring_ring_dontfork(struct io_uring *ring)
{
	size_t len;

	if (!ring->sq.ring_ptr || !ring->sq.sqes || !ring->cq.ring_ptr)
		return -EINVAL;

	len = sqe_array_bytes(ring->flags, ring->sq.ring_entries);
	if (madvise(ring->sq.sqes, len, MADV_DONTFORK) < 0)
		return -errno;
	if (madvise(ring->sq.ring_ptr, ring->sq.ring_sz, MADV_DONTFORK) < 0)
		return -errno;
	if (ring->cq.ring_ptr != ring->sq.ring_ptr &&
	    madvise(ring->cq.ring_ptr, ring->cq.ring_sz, MADV_DONTFORK) < 0)
		return -errno;
	return 0;
}

/*
 * IORING_SETUP_NO_MMAP: the application side provides the ring memory.
 * Layout: SQE array first (page aligned), then the rings region (header,
 * CQEs, SQ index array).  With buf == NULL we allocate it ourselves: one
 * page when everything fits, else a 2MB huge page, and the rings get their
 * own allocation when they do not fit beside the SQEs.  The addresses go to
 * setup through sq_off.user_addr / cq_off.user_addr.  Returns the bytes
 * used (of buf) or -errno.
 */
static int alloc_app_rings(unsigned entries, struct io_uring_params *p,
			   struct io_uring_sq *sq, struct io_uring_cq *cq,
			   void *buf, size_t buf_size)
{
	size_t page = lib_page_size();
	unsigned sq_entries, cq_entries;
	size_t sqes_mem, rings_mem, used, alloc_sz = 0;
	char *mem;
	int err;

	err = ring_entries_for(entries, p, &sq_entries, &cq_entries);
	if (err)
		return err;

	sqes_mem = align_up(sqe_array_bytes(p->flags, sq_entries), page);
	rings_mem = RINGS_HEADER_SIZE + cqe_array_bytes(p->flags, cq_entries);
	if (!(p->flags & IORING_SETUP_NO_SQARRAY))
		rings_mem += sq_entries * sizeof(unsigned);
	used = align_up(sqes_mem + rings_mem, page);

	if (buf) {
		if (used > buf_size)
			return -ENOMEM;
		mem = buf;
	} else {
		int huge = 0;

		/* each part must fit a huge page on its own, at worst */
		if (sqes_mem > HUGE_PAGE_SIZE || rings_mem > HUGE_PAGE_SIZE)
			return -ENOMEM;
		if (sqes_mem <= page) {
			buf_size = page;
		} else {
			buf_size = HUGE_PAGE_SIZE;
			huge = MAP_HUGETLB | MAP_HUGE_2MB;
		}
		alloc_sz = buf_size;
		mem = lib_mmap(alloc_sz, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS | huge, -1, 0, &err);
		if (!mem)
			return err;
	}

	sq->sqes = (struct io_uring_sqe *) mem;
	/* sqes_sz is what queue_exit unmaps: 0 for application memory */
	sq->sqes_sz = (unsigned) alloc_sz;
	if (used <= buf_size) {
		/* rings live right after the SQEs, in the same block */
		sq->ring_ptr = mem + sqes_mem;
		sq->ring_sz = 0;
		cq->ring_sz = 0;
	} else {
		size_t rsz = page;
		int huge = 0;
		char *r;

		if (rings_mem > page) {
			rsz = HUGE_PAGE_SIZE;
			huge = MAP_HUGETLB | MAP_HUGE_2MB;
		}
		r = lib_mmap(rsz, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS | huge, -1, 0, &err);
		if (!r) {
			lib_munmap(sq->sqes, alloc_sz);
			return err;
		}
		sq->ring_ptr = r;
		sq->ring_sz = rsz;
		cq->ring_sz = 0;
	}
	cq->ring_ptr = sq->ring_ptr;
	p->sq_off.user_addr = (unsigned long) (uintptr_t) sq->sqes;
	p->cq_off.user_addr = (unsigned long) (uintptr_t) sq->ring_ptr;
	return (int) used;
}

/* Create a ring and fill in *ring.  Returns bytes of buf used, or -errno. */
static int queue_init(unsigned entries, struct io_uring *ring,
		      struct io_uring_params *p, void *buf, size_t buf_size)
{
	int fd, ret = 0;

	memset(ring, 0, sizeof(*ring));

	/* a ring reachable only by index cannot be mmap'ed by fd */
	if ((p->flags & IORING_SETUP_REGISTERED_FD_ONLY) &&
	    !(p->flags & IORING_SETUP_NO_MMAP))
		return -EINVAL;

	if (p->flags & IORING_SETUP_NO_MMAP) {
		ret = alloc_app_rings(entries, p, &ring->sq, &ring->cq, buf,
				      buf_size);
		if (ret < 0)
			return ret;
		if (buf)
			ring->int_flags |= INT_FLAG_APP_MEM;
	}

	fd = lib_setup(entries, p);
	if (fd < 0) {
		if ((p->flags & IORING_SETUP_NO_MMAP) &&
		    !(ring->int_flags & INT_FLAG_APP_MEM)) {
			lib_munmap(ring->sq.sqes, ring->sq.sqes_sz);
			uring_lib_unmap_rings(&ring->sq, &ring->cq);
		}
		memset(ring, 0, sizeof(*ring));
		return fd;
	}

	if (p->flags & IORING_SETUP_NO_MMAP) {
		uring_lib_set_ring_pointers(p, &ring->sq, &ring->cq);
		identity_sq_array(ring);
	} else {
		/* maps, and fills the SQ index array */
		int err = io_uring_queue_mmap(fd, p, ring);

		if (err) {
			ursa_close(fd);
			return err;
		}
	}

	ring->features = p->features;
	ring->flags = p->flags;
	ring->enter_ring_fd = fd;
	if (p->flags & IORING_SETUP_REGISTERED_FD_ONLY) {
		/* setup returned a registered-ring index, not an fd */
		ring->ring_fd = -1;
		ring->int_flags |= INT_FLAG_REG_RING | INT_FLAG_REG_REG_RING;
	} else {
		ring->ring_fd = fd;
	}
	/* completions of polled I/O are only found by entering (unless SQPOLL) */
	if ((p->flags & (IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL)) ==
	    IORING_SETUP_IOPOLL)
		ring->int_flags |= INT_FLAG_CQ_ENTER;
	return ret;
}

/*
 * Prefer IORING_SETUP_NO_SQARRAY (one less indirection); servers that
 * predate it answer -EINVAL, and then we retry without, unless the caller
 * asked for it explicitly.
 */
static int queue_init_prefer_nosqarray(unsigned entries, struct io_uring *ring,
				       struct io_uring_params *p, void *buf,
				       size_t buf_size)
{
	unsigned asked = p->flags;
	int ret;

	p->flags |= IORING_SETUP_NO_SQARRAY;
	ret = queue_init(entries, ring, p, buf, buf_size);
	if (ret != -EINVAL || (asked & IORING_SETUP_NO_SQARRAY))
		return ret;
	p->flags = asked;
	return queue_init(entries, ring, p, buf, buf_size);
}

int io_uring_queue_init_mem(unsigned entries, struct io_uring *ring,
			    struct io_uring_params *p, void *buf,
			    size_t buf_size)
{
	p->flags |= IORING_SETUP_NO_MMAP;
	return queue_init_prefer_nosqarray(entries, ring, p, buf, buf_size);
}

int io_uring_queue_init_params(unsigned entries, struct io_uring *ring,
			       struct io_uring_params *p)
{
	int ret = queue_init_prefer_nosqarray(entries, ring, p, NULL, 0);

	return ret < 0 ? ret : 0;
}

URSA_COLD int io_uring_queue_init(unsigned entries, struct io_uring *ring,
				  unsigned flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return io_uring_queue_init_params(entries, ring, &p);
}

URSA_COLD void io_uring_queue_exit(struct io_uring *ring)
{
	if (!(ring->int_flags & INT_FLAG_APP_MEM)) {
		lib_munmap(ring->sq.sqes, ring->sq.sqes_sz);
		uring_lib_unmap_rings(&ring->sq, &ring->cq);
	}
	/* drop the registered slot now rather than when the ring dies */
	if (ring->int_flags & INT_FLAG_REG_RING)
		io_uring_unregister_ring_fd(ring);
	/* ursa_close tears an engine ring down; other fds are just closed */
	if (ring->ring_fd != -1)
		ursa_close(ring->ring_fd);
}

URSA_COLD struct io_uring_probe *io_uring_get_probe_ring(struct io_uring *ring)
{
	const unsigned nr_ops = 256;
	size_t len = sizeof(struct io_uring_probe) +
		     nr_ops * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *probe = calloc(1, len);

	if (!probe)
		return NULL;
	if (io_uring_register_probe(ring, probe, nr_ops) < 0) {
		free(probe);
		return NULL;
	}
	return probe;
}

URSA_COLD struct io_uring_probe *io_uring_get_probe(void)
{
	struct io_uring ring;
	struct io_uring_probe *probe;

	if (io_uring_queue_init(2, &ring, 0) < 0)
		return NULL;
	probe = io_uring_get_probe_ring(&ring);
	io_uring_queue_exit(&ring);
	return probe;
}

URSA_COLD void io_uring_free_probe(struct io_uring_probe *probe)
{
	free(probe);
}

/*
 * Pages a ring of this shape occupies: the rings region (header, CQEs and
 * SQ index array) plus the SQE array, each rounded up to pages.
 */
ssize_t io_uring_memory_size_params(unsigned entries, struct io_uring_params *p)
{
	size_t page = lib_page_size();
	unsigned sq, cq;
	size_t rings, sqes;
	int ret;

	ret = ring_entries_for(entries, p, &sq, &cq);
	if (ret)
		return ret;

	rings = RINGS_HEADER_SIZE + cqe_array_bytes(p->flags, cq);
	if (!(p->flags & IORING_SETUP_NO_SQARRAY))
		rings += sq * sizeof(unsigned);
	sqes = sqe_array_bytes(p->flags, sq);
	return (ssize_t) (align_up(rings, page) + align_up(sqes, page));
}

ssize_t io_uring_memory_size(unsigned entries, unsigned flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return io_uring_memory_size_params(entries, &p);
}

/*
 * RLIMIT_MEMLOCK needed for such a ring: none when the server accounts ring
 * memory to the cgroup instead (IORING_FEAT_NATIVE_WORKERS, Linux 5.12+),
 * which we find out by creating a throwaway ring.
 */
URSA_COLD ssize_t io_uring_mlock_size_params(unsigned entries,
					     struct io_uring_params *p)
{
	struct io_uring_params tmp;
	struct io_uring ring;

	memset(&tmp, 0, sizeof(tmp));
	/* failure most likely means an old kernel out of memlock: no features */
	if (!io_uring_queue_init_params(entries, &ring, &tmp))
		io_uring_queue_exit(&ring);
	if (tmp.features & IORING_FEAT_NATIVE_WORKERS)
		return 0;
	return io_uring_memory_size_params(entries, p);
}

URSA_COLD ssize_t io_uring_mlock_size(unsigned entries, unsigned flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return io_uring_mlock_size_params(entries, &p);
}

/*
 * Allocate an anonymous, page-aligned buffer ring of nentries entries and
 * register it as group bgid.  Returns it initialised (tail 0), or NULL with
 * *err = -errno.
 */
struct io_uring_buf_ring *io_uring_setup_buf_ring(struct io_uring *ring,
						  unsigned int nentries,
						  int bgid, unsigned int flags,
						  int *err)
{
	size_t sz = (size_t) nentries * sizeof(struct io_uring_buf);
	struct io_uring_buf_reg reg;
	struct io_uring_buf_ring *br;
	int ret;

	br = lib_mmap(sz, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
		      -1, 0, &ret);
	if (!br) {
		*err = ret;
		return NULL;
	}

	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long) (uintptr_t) br;
	reg.ring_entries = nentries;
	reg.bgid = (__u16) bgid;
	ret = io_uring_register_buf_ring(ring, &reg, flags);
	*err = ret;
	if (ret) {
		munmap(br, sz);
		return NULL;
	}
	io_uring_buf_ring_init(br);
	return br;
}

int io_uring_free_buf_ring(struct io_uring *ring, struct io_uring_buf_ring *br,
			   unsigned int nentries, int bgid)
{
	int ret = io_uring_unregister_buf_ring(ring, bgid);

	if (ret)
		return ret;
	munmap(br, (size_t) nentries * sizeof(struct io_uring_buf));
	return 0;
}
