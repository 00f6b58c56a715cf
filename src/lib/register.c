/* SPDX-License-Identifier: MIT */
/*
 * io_uring_register() helpers: resources (buffers, files, buffer rings,
 * regions), ring-fd registration, eventfd, probes, restrictions, io-wq
 * tuning, cloning between rings, resizing.
 */
#include "lib.h"

#include <sys/resource.h>

/*
 * Issue a register opcode on this ring.  Once the ring is registered and the
 * server accepts registered indexes for register calls, use the index (it
 * keeps working after io_uring_close_ring_fd()).
 */
static int ring_register(struct io_uring *ring, unsigned opcode,
			 const void *arg, unsigned nr_args)
{
	unsigned fd = (unsigned) ring->ring_fd;

	if (ring->int_flags & INT_FLAG_REG_REG_RING) {
		opcode |= IORING_REGISTER_USE_REGISTERED_RING;
		fd = (unsigned) ring->enter_ring_fd;
	}
	return lib_register(fd, opcode, arg, nr_args);
}

/* Registration calls not tied to a ring use fd -1. */
static int blind_register(unsigned opcode, const void *arg, unsigned nr_args)
{
	return lib_register((unsigned) -1, opcode, arg, nr_args);
}

int io_uring_register_buffers(struct io_uring *ring, const struct iovec *iovecs,
			      unsigned nr_iovecs)
{
	return ring_register(ring, IORING_REGISTER_BUFFERS, iovecs, nr_iovecs);
}

int io_uring_register_buffers_tags(struct io_uring *ring,
				   const struct iovec *iovecs,
				   const __u64 *tags, unsigned nr)
{
	struct io_uring_rsrc_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.nr = nr;
	reg.data = (__u64) (uintptr_t) iovecs;
	reg.tags = (__u64) (uintptr_t) tags;
	return ring_register(ring, IORING_REGISTER_BUFFERS2, &reg, sizeof(reg));
}

int io_uring_register_buffers_sparse(struct io_uring *ring, unsigned nr)
{
	struct io_uring_rsrc_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.flags = IORING_RSRC_REGISTER_SPARSE;
	reg.nr = nr;
	return ring_register(ring, IORING_REGISTER_BUFFERS2, &reg, sizeof(reg));
}

int io_uring_register_buffers_update_tag(struct io_uring *ring, unsigned off,
					 const struct iovec *iovecs,
					 const __u64 *tags, unsigned nr)
{
	struct io_uring_rsrc_update2 up;

	memset(&up, 0, sizeof(up));
	up.offset = off;
	up.data = (__u64) (uintptr_t) iovecs;
	up.tags = (__u64) (uintptr_t) tags;
	up.nr = nr;
	return ring_register(ring, IORING_REGISTER_BUFFERS_UPDATE, &up,
			     sizeof(up));
}

int io_uring_unregister_buffers(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
}

/*
 * A file table may need more descriptors than RLIMIT_NOFILE allows
 * (-EMFILE).  Raise the soft limit once by nr, as liburing does, and let
 * the caller retry.
 */
static void raise_nofile_limit(unsigned nr)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < nr) {
		rl.rlim_cur += nr;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int register_files_retry(struct io_uring *ring, unsigned opcode,
				const void *arg, unsigned nr_args,
				unsigned nr_files)
{
	int ret = ring_register(ring, opcode, arg, nr_args);

	if (ret == -EMFILE) {
		raise_nofile_limit(nr_files);
		ret = ring_register(ring, opcode, arg, nr_args);
	}
	return ret;
}

int io_uring_register_files(struct io_uring *ring, const int *files,
			    unsigned nr_files)
{
	return register_files_retry(ring, IORING_REGISTER_FILES, files,
				    nr_files, nr_files);
}

int io_uring_register_files_tags(struct io_uring *ring, const int *files,
				 const __u64 *tags, unsigned nr)
{
	struct io_uring_rsrc_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.nr = nr;
	reg.data = (__u64) (uintptr_t) files;
	reg.tags = (__u64) (uintptr_t) tags;
	return register_files_retry(ring, IORING_REGISTER_FILES2, &reg,
				    sizeof(reg), nr);
}

int io_uring_register_files_sparse(struct io_uring *ring, unsigned nr)
{
	struct io_uring_rsrc_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.flags = IORING_RSRC_REGISTER_SPARSE;
	reg.nr = nr;
	return register_files_retry(ring, IORING_REGISTER_FILES2, &reg,
				    sizeof(reg), nr);
}

int io_uring_register_files_update_tag(struct io_uring *ring, unsigned off,
				       const int *files, const __u64 *tags,
				       unsigned nr_files)
{
	struct io_uring_rsrc_update2 up;

	memset(&up, 0, sizeof(up));
	up.offset = off;
	up.data = (__u64) (uintptr_t) files;
	up.tags = (__u64) (uintptr_t) tags;
	up.nr = nr_files;
	return ring_register(ring, IORING_REGISTER_FILES_UPDATE2, &up,
			     sizeof(up));
}

/* Replace nr_files slots from off; returns the number updated. */
int io_uring_register_files_update(struct io_uring *ring, unsigned off,
				   const int *files, unsigned nr_files)
{
	struct io_uring_rsrc_update up;

	memset(&up, 0, sizeof(up));
	up.offset = off;
	up.data = (__u64) (uintptr_t) files;
	return ring_register(ring, IORING_REGISTER_FILES_UPDATE, &up, nr_files);
}

int io_uring_unregister_files(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_FILES, NULL, 0);
}

int io_uring_register_eventfd(struct io_uring *ring, int fd)
{
	return ring_register(ring, IORING_REGISTER_EVENTFD, &fd, 1);
}

int io_uring_register_eventfd_async(struct io_uring *ring, int fd)
{
	return ring_register(ring, IORING_REGISTER_EVENTFD_ASYNC, &fd, 1);
}

int io_uring_unregister_eventfd(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_EVENTFD, NULL, 0);
}

int io_uring_register_probe(struct io_uring *ring, struct io_uring_probe *p,
			    unsigned nr)
{
	return ring_register(ring, IORING_REGISTER_PROBE, p, nr);
}

int io_uring_register_personality(struct io_uring *ring)
{
	return ring_register(ring, IORING_REGISTER_PERSONALITY, NULL, 0);
}

int io_uring_unregister_personality(struct io_uring *ring, int id)
{
	/* the personality id travels in nr_args */
	return ring_register(ring, IORING_UNREGISTER_PERSONALITY, NULL,
			     (unsigned) id);
}

int io_uring_register_restrictions(struct io_uring *ring,
				   struct io_uring_restriction *res,
				   unsigned int nr_res)
{
	return ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, nr_res);
}

int io_uring_enable_rings(struct io_uring *ring)
{
	return ring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}

int io_uring_register_iowq_aff(struct io_uring *ring, size_t cpusz,
			       const cpu_set_t *mask)
{
	/* the mask size travels in nr_args, an int on the server side */
	if (cpusz >= (1U << 31))
		return -EINVAL;
	return ring_register(ring, IORING_REGISTER_IOWQ_AFF, mask,
			     (unsigned) cpusz);
}

int io_uring_unregister_iowq_aff(struct io_uring *ring)
{
	return ring_register(ring, IORING_UNREGISTER_IOWQ_AFF, NULL, 0);
}

/* values[0] bounded workers, values[1] unbounded; old values written back. */
int io_uring_register_iowq_max_workers(struct io_uring *ring,
				       unsigned int *values)
{
	return ring_register(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, values, 2);
}

/*
 * Register the ring's own fd in its registered-ring table so enter calls
 * can pass the index with IORING_ENTER_REGISTERED_RING (skipping the fd
 * lookup).  Returns 1 on success.
 */
int io_uring_register_ring_fd(struct io_uring *ring)
{
	struct io_uring_rsrc_update up;
	int ret;

	if (ring->int_flags & INT_FLAG_REG_RING)
		return -EEXIST;

	memset(&up, 0, sizeof(up));
	up.data = (__u64) ring->ring_fd;
	up.offset = -1U;	/* any free slot */
	ret = ring_register(ring, IORING_REGISTER_RING_FDS, &up, 1);
	if (ret == 1) {
		ring->enter_ring_fd = (int) up.offset;
		ring->int_flags |= INT_FLAG_REG_RING;
		if (ring->features & IORING_FEAT_REG_REG_RING)
			ring->int_flags |= INT_FLAG_REG_REG_RING;
	}
	return ret;
}

int io_uring_unregister_ring_fd(struct io_uring *ring)
{
	struct io_uring_rsrc_update up;
	int ret;

	if (!(ring->int_flags & INT_FLAG_REG_RING))
		return -EINVAL;

	memset(&up, 0, sizeof(up));
	up.offset = (__u32) ring->enter_ring_fd;
	ret = ring_register(ring, IORING_UNREGISTER_RING_FDS, &up, 1);
	if (ret == 1) {
		ring->enter_ring_fd = ring->ring_fd;
		ring->int_flags &= (__u8) ~(INT_FLAG_REG_RING |
					    INT_FLAG_REG_REG_RING);
	}
	return ret;
}

/*
 * Close the ring's normal fd, keeping only the registered index.  Needs
 * IORING_FEAT_REG_REG_RING so register calls keep working.  Returns 1.
 */
int io_uring_close_ring_fd(struct io_uring *ring)
{
	if (!(ring->features & IORING_FEAT_REG_REG_RING))
		return -EOPNOTSUPP;
	if (!(ring->int_flags & INT_FLAG_REG_RING))
		return -EINVAL;
	if (ring->ring_fd == -1)
		return -EBADF;

	/*
	 * The registered index keeps the ring alive (kernel semantics); the
	 * engine's ursa_close() is expected to honour that for its rings.
	 */
	ursa_close(ring->ring_fd);
	ring->ring_fd = -1;
	return 1;
}

int io_uring_register_buf_ring(struct io_uring *ring,
			       struct io_uring_buf_reg *reg,
			       unsigned int flags)
{
	reg->flags |= (__u16) flags;
	return ring_register(ring, IORING_REGISTER_PBUF_RING, reg, 1);
}

int io_uring_unregister_buf_ring(struct io_uring *ring, int bgid)
{
	struct io_uring_buf_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.bgid = (__u16) bgid;
	return ring_register(ring, IORING_UNREGISTER_PBUF_RING, &reg, 1);
}

/* The server's consume index of buffer ring buf_group. */
int io_uring_buf_ring_head(struct io_uring *ring, int buf_group,
			   uint16_t *head)
{
	struct io_uring_buf_status st;
	int ret;

	memset(&st, 0, sizeof(st));
	st.buf_group = (__u32) buf_group;
	ret = ring_register(ring, IORING_REGISTER_PBUF_STATUS, &st, 1);
	if (ret)
		return ret;
	*head = (uint16_t) st.head;
	return 0;
}

int io_uring_register_sync_cancel(struct io_uring *ring,
				  struct io_uring_sync_cancel_reg *reg)
{
	return ring_register(ring, IORING_REGISTER_SYNC_CANCEL, reg, 1);
}

/* Run a MSG_RING SQE synchronously, without a source ring. */
int io_uring_register_sync_msg(struct io_uring_sqe *sqe)
{
	return blind_register(IORING_REGISTER_SEND_MSG_RING, sqe, 1);
}

/* Restrict direct-descriptor auto-allocation to [off, off + len). */
int io_uring_register_file_alloc_range(struct io_uring *ring,
				       unsigned off, unsigned len)
{
	struct io_uring_file_index_range range;

	memset(&range, 0, sizeof(range));
	range.off = off;
	range.len = len;
	return ring_register(ring, IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0);
}

int io_uring_register_napi(struct io_uring *ring, struct io_uring_napi *napi)
{
	return ring_register(ring, IORING_REGISTER_NAPI, napi, 1);
}

int io_uring_unregister_napi(struct io_uring *ring, struct io_uring_napi *napi)
{
	return ring_register(ring, IORING_UNREGISTER_NAPI, napi, 1);
}

int io_uring_register_clock(struct io_uring *ring,
			    struct io_uring_clock_register *arg)
{
	return ring_register(ring, IORING_REGISTER_CLOCK, arg, 0);
}

/*
 * Which fd names the source ring in a clone request: its registered index
 * when the caller allows that (IORING_REGISTER_SRC_REGISTERED) and the
 * server accepts indexes for register calls, else its normal fd with the
 * flag cleared.
 */
static void clone_source(const struct io_uring *src, __u32 *src_fd,
			 __u32 *flags)
{
	if ((*flags & IORING_REGISTER_SRC_REGISTERED) &&
	    (src->int_flags & INT_FLAG_REG_REG_RING)) {
		*src_fd = (__u32) src->enter_ring_fd;
	} else {
		*src_fd = (__u32) src->ring_fd;
		*flags &= ~(__u32) IORING_REGISTER_SRC_REGISTERED;
	}
}

int __io_uring_clone_buffers_offset(struct io_uring *dst, struct io_uring *src,
				    unsigned int dst_off, unsigned int src_off,
				    unsigned int nr, unsigned int flags)
{
	struct io_uring_clone_buffers arg;

	memset(&arg, 0, sizeof(arg));
	arg.flags = flags;
	arg.src_off = src_off;
	arg.dst_off = dst_off;
	arg.nr = nr;
	clone_source(src, &arg.src_fd, &arg.flags);
	return ring_register(dst, IORING_REGISTER_CLONE_BUFFERS, &arg, 1);
}

int io_uring_clone_buffers_offset(struct io_uring *dst, struct io_uring *src,
				  unsigned int dst_off, unsigned int src_off,
				  unsigned int nr, unsigned int flags)
{
	return __io_uring_clone_buffers_offset(dst, src, dst_off, src_off, nr,
				flags | IORING_REGISTER_SRC_REGISTERED);
}

int io_uring_clone_buffers(struct io_uring *dst, struct io_uring *src)
{
	return __io_uring_clone_buffers_offset(dst, src, 0, 0, 0,
					       IORING_REGISTER_SRC_REGISTERED);
}

int __io_uring_clone_buffers(struct io_uring *dst, struct io_uring *src,
			     unsigned int flags)
{
	return __io_uring_clone_buffers_offset(dst, src, 0, 0, 0, flags);
}

/*
 * File-table cloning: the same request shape and flags as buffer cloning
 * (proposed IORING_REGISTER_CLONE_FILES, provisional upstream).
 */
int __io_uring_clone_files_offset(struct io_uring *dst, struct io_uring *src,
				  unsigned int dst_off, unsigned int src_off,
				  unsigned int nr, unsigned int flags)
{
	struct io_uring_clone_files arg;

	memset(&arg, 0, sizeof(arg));
	arg.flags = flags;
	arg.src_off = src_off;
	arg.dst_off = dst_off;
	arg.nr = nr;
	clone_source(src, &arg.src_fd, &arg.flags);
	return ring_register(dst, IORING_REGISTER_CLONE_FILES, &arg, 1);
}

int io_uring_clone_files_offset(struct io_uring *dst, struct io_uring *src,
				unsigned int dst_off, unsigned int src_off,
				unsigned int nr, unsigned int flags)
{
	return __io_uring_clone_files_offset(dst, src, dst_off, src_off, nr,
				flags | IORING_REGISTER_SRC_REGISTERED);
}

int io_uring_clone_files(struct io_uring *dst, struct io_uring *src)
{
	return __io_uring_clone_files_offset(dst, src, 0, 0, 0,
					     IORING_REGISTER_SRC_REGISTERED);
}

int __io_uring_clone_files(struct io_uring *dst, struct io_uring *src,
			   unsigned int flags)
{
	return __io_uring_clone_files_offset(dst, src, 0, 0, 0, flags);
}

int io_uring_register_ifq(struct io_uring *ring,
			  struct io_uring_zcrx_ifq_reg *reg)
{
	return ring_register(ring, IORING_REGISTER_ZCRX_IFQ, reg, 1);
}

int io_uring_register_zcrx_ctrl(struct io_uring *ring, struct zcrx_ctrl *ctrl)
{
	return ring_register(ring, IORING_REGISTER_ZCRX_CTRL, ctrl, 0);
}

/*
 * Resize the rings in place (IORING_REGISTER_RESIZE_RINGS) and remap them.
 * Pending SQ bookkeeping carries over.  p->flags is cleared afterwards, as
 * liburing does, so p can be reused.
 */
int io_uring_resize_rings(struct io_uring *ring, struct io_uring_params *p)
{
	struct io_uring_sq sq;
	struct io_uring_cq cq;
	unsigned i;
	int ret;

	if (ring->flags & IORING_SETUP_NO_MMAP)
		return -EINVAL;

	memset(&p->sq_off, 0, sizeof(p->sq_off));
	memset(&p->cq_off, 0, sizeof(p->cq_off));
	ret = ring_register(ring, IORING_REGISTER_RESIZE_RINGS, p, 1);
	if (ret < 0)
		goto out;

	memset(&sq, 0, sizeof(sq));
	memset(&cq, 0, sizeof(cq));
	ret = uring_lib_map_rings(ring->ring_fd, p, &sq, &cq);
	if (ret)
		goto out;

	sq.sqe_head = ring->sq.sqe_head;
	sq.sqe_tail = ring->sq.sqe_tail;
	lib_munmap(ring->sq.sqes, ring->sq.sqes_sz);
	uring_lib_unmap_rings(&ring->sq, &ring->cq);
	ring->sq = sq;
	ring->cq = cq;

	if (!(p->flags & IORING_SETUP_NO_SQARRAY))
		for (i = 0; i < p->sq_entries; i++)
			ring->sq.array[i] = i;
out:
	p->flags = 0;
	return ret;
}

/*
 * Registered wait regions are now set up through io_uring_register_region();
 * liburing keeps this entry point only for ABI and always fails it.
 */
int io_uring_register_wait_reg(struct io_uring *ring,
			       struct io_uring_reg_wait *reg, int nr)
{
	(void) ring;
	(void) reg;
	(void) nr;
	return -EINVAL;
}

int io_uring_register_region(struct io_uring *ring,
			     struct io_uring_mem_region_reg *reg)
{
	return ring_register(ring, IORING_REGISTER_MEM_REGION, reg, 1);
}

/* Waits on this ring stop (or resume) counting as iowait. */
int io_uring_set_iowait(struct io_uring *ring, bool enable_iowait)
{
	if (!(ring->features & IORING_FEAT_NO_IOWAIT))
		return -EOPNOTSUPP;
	if (enable_iowait)
		ring->int_flags &= (__u8) ~INT_FLAG_NO_IOWAIT;
	else
		ring->int_flags |= INT_FLAG_NO_IOWAIT;
	return 0;
}

int io_uring_register_bpf_filter(struct io_uring *ring,
				 struct io_uring_bpf *bpf)
{
	return ring_register(ring, IORING_REGISTER_BPF_FILTER, bpf, 1);
}

/* A filter for the calling task's future rings, not a particular ring. */
int io_uring_register_bpf_filter_task(struct io_uring_bpf *bpf)
{
	return blind_register(IORING_REGISTER_BPF_FILTER, bpf, 1);
}

int io_uring_register_query(struct io_uring_query_hdr *query)
{
	return blind_register(IORING_REGISTER_QUERY, query, 0);
}
