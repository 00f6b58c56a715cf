/* SPDX-License-Identifier: MIT */
/*
 * READ, WRITE, READV, WRITEV and their _FIXED forms.
 *
 * The first attempt adds RWF_NOWAIT, so a page-cached read or a pipe with
 * data completes inline; "would block" goes to a readiness wait (pipes,
 * sockets) or a worker (regular files), and a file that cannot do
 * RWF_NOWAIT at all goes straight to a worker.  As in the kernel, a
 * regular file's short nonblocking transfer is finished by a worker, and
 * the result differing from the requested length fails a link.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rw.h"
#include "rsrc.h"
#include "kbuf.h"
#include "device.h"

#define UIO_MAXIOV_	1024
#define MAX_RW_COUNT	(INT_MAX & ~4095L)

struct rw_op {
	uint64_t	addr;		/* buffer, or the application's iovec array */
	int64_t		off;		/* position; -1: the file position */
	uint64_t	total;		/* bytes requested */
	uint64_t	done;		/* bytes moved so far */
	struct iovec	*iov;		/* our copy of the iovecs (vectored) */
	struct iovec	one;		/* the single segment otherwise */
	uint32_t	nr_segs;
	int32_t		rw_flags;
	uint16_t	buf_index;
	bool		write;
	bool		vectored;
	bool		fixed;
	bool		stream;		/* position ignored (pipe, socket, tty) */
	bool		type_known;
	bool		held;		/* a legacy buffer kept across a wait */
	uint16_t	held_bid;
	uint32_t	held_len;
	uint64_t	held_addr;
};

static int check_ioprio(uint16_t ioprio)
{
	unsigned cls = ioprio >> 13, level = ioprio & 0x1fff;

	switch (cls) {
	case 0:		/* IOPRIO_CLASS_NONE */
		return 0;
	case 1:		/* RT */
	case 2:		/* BE */
		return level >= 8 ? -EINVAL : 0;
	case 3:		/* IDLE */
		return 0;
	default:
		return -EINVAL;
	}
}

static int prep_rw_common(struct ursa_req *req, const struct io_uring_sqe *sqe,
			  bool write, bool vectored, bool fixed)
{
	struct rw_op *rw = ursa_req_data(req, struct rw_op);
	int ret;

	memset(rw, 0, sizeof(*rw));
	ret = check_ioprio(sqe->ioprio);
	if (ret)
		return ret;
	req->ioprio = sqe->ioprio;
	if (sqe->attr_type_mask)
		return sqe->attr_type_mask == IORING_RW_ATTR_FLAG_PI ? -EOPNOTSUPP
								     : -EINVAL;
	rw->write = write;
	rw->vectored = vectored;
	rw->fixed = fixed;
	rw->addr = sqe->addr;
	rw->off = (int64_t)sqe->off;
	rw->rw_flags = (int32_t)sqe->rw_flags;
	rw->buf_index = sqe->buf_index;
	if (rw->off < -1)
		return -EINVAL;

	if (!vectored) {
		uint64_t len = sqe->len;

		if (len > MAX_RW_COUNT)
			len = MAX_RW_COUNT;
		rw->one.iov_base = (void *)(uintptr_t)sqe->addr;
		rw->one.iov_len = len;
		rw->iov = &rw->one;
		rw->nr_segs = 1;
		rw->total = len;
		return 0;
	}

	if (req->flags & IOSQE_BUFFER_SELECT) {
		if (sqe->len != 1)
			return -EINVAL;
	}
	if (sqe->len > UIO_MAXIOV_)
		return -EINVAL;
	rw->nr_segs = sqe->len;
	if (rw->nr_segs <= 1) {
		rw->iov = &rw->one;
	} else {
		rw->iov = malloc(sizeof(struct iovec) * rw->nr_segs);
		if (!rw->iov)
			return -ENOMEM;
	}
	/* Copied now: the application may reuse its iovec array as soon as
	 * submit returns (IORING_FEAT_SUBMIT_STABLE). */
	if (rw->nr_segs &&
	    ursa_copy_from_user(rw->iov, (const void *)(uintptr_t)sqe->addr,
				sizeof(struct iovec) * rw->nr_segs))
		return -EFAULT;
	for (uint32_t i = 0; i < rw->nr_segs; i++) {
		if ((ssize_t)rw->iov[i].iov_len < 0)
			return -EINVAL;
		if (fixed && !rw->iov[i].iov_len)
			return -EFAULT;
		rw->total += rw->iov[i].iov_len;
	}
	if (rw->total > MAX_RW_COUNT) {
		if (fixed)
			return -EINVAL;
		rw->total = MAX_RW_COUNT;
	}
	return 0;
}

int ursa_prep_read(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, false, false, false);
}

int ursa_prep_write(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, true, false, false);
}

int ursa_prep_readv(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, false, true, false);
}

int ursa_prep_writev(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, true, true, false);
}

int ursa_prep_read_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, false, false, true);
}

int ursa_prep_write_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, true, false, true);
}

int ursa_prep_readv_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, false, true, true);
}

int ursa_prep_writev_fixed(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return prep_rw_common(req, sqe, true, true, true);
}

void ursa_rw_cleanup(struct ursa_req *req)
{
	struct rw_op *rw = ursa_req_data(req, struct rw_op);

	if (rw->iov && rw->iov != &rw->one)
		free(rw->iov);
	rw->iov = NULL;
}

/* Registered buffer: take a reference and check every segment lies in it. */
static int import_fixed(struct ursa_req *req, struct rw_op *rw)
{
	uint32_t i;

	if (!req->buf_node) {
		req->buf_node = ursa_buf_get(req->ring, rw->buf_index);
		if (!req->buf_node)
			return -EFAULT;
	}
	for (i = 0; i < rw->nr_segs; i++) {
		if (!rw->iov[i].iov_len && !rw->vectored)
			continue;
		if (ursa_buf_check_range(req->buf_node,
					 (uint64_t)(uintptr_t)rw->iov[i].iov_base,
					 rw->iov[i].iov_len))
			return -EFAULT;
	}
	return 0;
}

/* Drop the first n bytes from the segment list (after a partial transfer). */
static void iov_advance(struct rw_op *rw, uint64_t n)
{
	while (n && rw->nr_segs) {
		if (n < rw->iov->iov_len) {
			rw->iov->iov_base = (char *)rw->iov->iov_base + n;
			rw->iov->iov_len -= n;
			return;
		}
		n -= rw->iov->iov_len;
		if (rw->iov == &rw->one || rw->nr_segs == 1) {
			rw->iov->iov_len = 0;
			return;
		}
		/* shift the array: keep rw->iov as the allocation's start */
		memmove(rw->iov, rw->iov + 1, sizeof(struct iovec) * (rw->nr_segs - 1));
		rw->nr_segs--;
	}
}

/*
 * A file system whose pages live in memory (tmpfs, ramfs, hugetlbfs) never
 * waits for a device, but does not take RWF_NOWAIT: its reads and writes
 * are safe to do inline, where the kernel's io_uring hands them to io-wq.
 */
static bool memory_backed(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return false;
	switch ((unsigned long)sfs.f_type) {
	case 0x01021994:	/* TMPFS_MAGIC */
	case 0x858458f6:	/* RAMFS_MAGIC */
	case 0x958458f6:	/* HUGETLBFS_MAGIC */
		return true;
	default:
		return false;
	}
}

/*
 * An IOPOLL ring takes reads and writes only on files the kernel can poll
 * for completion: O_DIRECT on a block-backed file or a block device (the
 * kernel's f_op->iopoll) whose queue polls (io_poll in sysfs: a device
 * with poll queues); anything else is -EOPNOTSUPP, as the kernel answers.  ursa does the I/O as usual: the CQE is there when enter polls.
 * Driver devices have no polled read hook: -EOPNOTSUPP too.
 */
/* Can the block device's queue poll for completions (sysfs io_poll; a
 * partition answers through its disk)?  Asked once per device: the answer
 * is cached, so a read on an IOPOLL ring does not open sysfs each time. */
static bool queue_can_poll_uncached(dev_t dev)
{
	char path[96];
	int fd, n = 0;
	char c = '0';

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/io_poll",
		 major(dev), minor(dev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../queue/io_poll",
			 major(dev), minor(dev));
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0) {
		n = (int)read(fd, &c, 1);
		close(fd);
	}
	return n == 1 && c == '1';
}

#define POLL_CACHE	8
static struct {
	dev_t	dev;
	bool	known, can;
} poll_cache[POLL_CACHE];
static pthread_mutex_t poll_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool queue_can_poll(dev_t dev)
{
	unsigned slot = (unsigned)(dev % POLL_CACHE);
	bool can;

	pthread_mutex_lock(&poll_cache_lock);
	if (poll_cache[slot].known && poll_cache[slot].dev == dev) {
		can = poll_cache[slot].can;
		pthread_mutex_unlock(&poll_cache_lock);
		return can;
	}
	pthread_mutex_unlock(&poll_cache_lock);
	can = queue_can_poll_uncached(dev);
	pthread_mutex_lock(&poll_cache_lock);
	poll_cache[slot].dev = dev;
	poll_cache[slot].can = can;
	poll_cache[slot].known = true;
	pthread_mutex_unlock(&poll_cache_lock);
	return can;
}

static int iopoll_file_ok(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -EBADF;
	if (!(fl & O_DIRECT) || fstat(fd, &st) < 0)
		return -EOPNOTSUPP;
	if (S_ISBLK(st.st_mode))
		return queue_can_poll(st.st_rdev) ? 0 : -EOPNOTSUPP;
	if (!S_ISREG(st.st_mode) || memory_backed(fd))
		return -EOPNOTSUPP;
	/* The file system's direct I/O polls its device's queue. */
	return queue_can_poll(st.st_dev) ? 0 : -EOPNOTSUPP;
}

/* Per-ring hint: this fd number was memory-backed last time we looked. */
static bool memfs_hint_get(struct ursa_ring *ring, int fd)
{
	return fd >= 0 &&
	       __atomic_load_n(&ring->memfs_hint[fd & (URSA_MEMFS_HINTS - 1)],
			       __ATOMIC_RELAXED) == fd + 1;
}

static void memfs_hint_set(struct ursa_ring *ring, int fd)
{
	if (fd >= 0)
		__atomic_store_n(&ring->memfs_hint[fd & (URSA_MEMFS_HINTS - 1)],
				 fd + 1, __ATOMIC_RELAXED);
}

/*
 * After a short transfer: is it final?  For streams (pipes, sockets, ttys)
 * it is.  For a regular file a short read that reached the end of the file
 * is final too; anything else is finished by a worker.
 */
static bool short_is_final(struct ursa_req *req, struct rw_op *rw)
{
	struct stat st;

	if (rw->type_known && rw->stream)
		return true;
	if (fstat(req->fd, &st) < 0)
		return true;
	rw->type_known = true;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		rw->stream = true;
		return true;
	}
	return !rw->write && rw->off != -1 && S_ISREG(st.st_mode) &&
	       rw->off + (int64_t)rw->done >= st.st_size;
}

static int rw_finish(struct ursa_req *req, struct rw_op *rw)
{
	if (rw->done != rw->total)
		ursa_req_set_fail(req);
	return (int)rw->done;
}

/*
 * IOSQE_BUFFER_SELECT: the buffer comes from group rw->buf_index at issue;
 * a would-block attempt gives it back (ursa_kbuf_finish recycles).  One
 * transfer, whatever its length, as the kernel does for selected buffers.
 */
static int rw_issue_select(struct ursa_req *req, struct rw_op *rw,
			   unsigned issue_flags, bool mshot)
{
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	struct ursa_kbuf_sel sel;
	struct iovec iov;
	uint32_t len;
	int flags, ret;
	ssize_t n;

	len = rw->vectored ? (uint32_t)rw->one.iov_len : (uint32_t)rw->total;
	if (rw->held) {
		/* A legacy buffer this request kept while it waited (the
		 * kernel keeps those; ring buffers go back instead). */
		memset(&sel, 0, sizeof(sel));
		sel.addr = rw->held_addr;
		sel.bid = rw->held_bid;
		len = rw->held_len;
		rw->held = false;
	} else {
		ret = ursa_kbuf_select(req, rw->buf_index, &len, &sel, issue_flags);
		if (ret)
			return ret;
	}
	iov.iov_base = (void *)(uintptr_t)sel.addr;
	iov.iov_len = len;
	flags = rw->rw_flags | (nonblock ? RWF_NOWAIT : 0);
	for (;;) {
		off_t off = (rw->stream || rw->off == -1) ? -1 : (off_t)rw->off;

		n = preadv2(req->fd, &iov, 1, off, flags);
		if (n >= 0)
			break;
		if (errno == ESPIPE && off != -1) {
			rw->stream = rw->type_known = true;
			continue;
		}
		if (errno == EOPNOTSUPP && nonblock && !(rw->rw_flags & RWF_NOWAIT) &&
		    memory_backed(req->fd)) {
			flags &= ~RWF_NOWAIT;
			continue;
		}
		break;
	}
	if (n < 0) {
		int e = errno;
		bool wait = nonblock && !(rw->rw_flags & RWF_NOWAIT) &&
			    (e == EAGAIN || e == EOPNOTSUPP);

		if (wait && sel.bl && ursa_kbuf_is_legacy(&sel)) {
			/* keep it across the wait, as the kernel does */
			rw->held = true;
			rw->held_addr = sel.addr;
			rw->held_bid = sel.bid;
			rw->held_len = len;
			ursa_kbuf_keep(&sel);
		} else if (sel.bl) {
			ursa_kbuf_finish(&sel, 0, true);
		} else if (wait) {
			/* the held buffer stays held */
			rw->held = true;
		}
		if (wait)
			return e == EAGAIN ? URSA_ISSUE_RETRY : URSA_ISSUE_PUNT;
		if (!sel.bl && sel.bid == rw->held_bid && rw->held_addr == sel.addr &&
		    sel.addr) {
			/* a held legacy buffer that failed: hand it back in
			 * the CQE, the application provides it again */
			req->cflags |= IORING_CQE_F_BUFFER |
				       ((uint32_t)sel.bid << IORING_CQE_BUFFER_SHIFT);
		}
		return -e;
	}
	if (!n && mshot && sel.bl) {
		/* A multishot read that ends at EOF gives its buffer back. */
		ursa_kbuf_finish(&sel, 0, true);
		return 0;
	}
	if (sel.bl)
		req->cflags |= ursa_kbuf_finish(&sel, (int)n, false);
	else
		req->cflags |= IORING_CQE_F_BUFFER |
			       ((uint32_t)sel.bid << IORING_CQE_BUFFER_SHIFT);
	if ((uint32_t)n != len)
		ursa_req_set_fail(req);
	return (int)n;
}

static int rw_issue(struct ursa_req *req, unsigned issue_flags)
{
	struct rw_op *rw = ursa_req_data(req, struct rw_op);
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	int flags, ret;

	if (unlikely(req->ring->setup_flags & IORING_SETUP_IOPOLL)) {
		ret = iopoll_file_ok(req->fd);
		if (ret)
			return ret;
	}
	if (rw->fixed) {
		ret = import_fixed(req, rw);
		if (ret)
			return ret;
	}
	if (req->flags & IOSQE_BUFFER_SELECT)
		return rw_issue_select(req, rw, issue_flags, false);
	if ((rw->rw_flags & RWF_HIPRI) &&
	    !(req->ring->setup_flags & IORING_SETUP_IOPOLL))
		return -EINVAL;

	if (unlikely(ursa_device_lookup_possible())) {
		struct ursa_device *dev = ursa_device_lookup(req->fd);

		if (dev) {
			ret = ursa_device_rw(req, dev, rw->iov, (int)rw->nr_segs,
					     rw->off, rw->write, rw->rw_flags,
					     rw->total, issue_flags);
			ursa_device_put(dev);
			return ret;
		}
	}
	flags = rw->rw_flags;
	if (nonblock)
		flags |= RWF_NOWAIT;
	for (;;) {
		off_t off = (rw->stream || rw->off == -1) ? -1 :
			    (off_t)(rw->off + (int64_t)rw->done);
		ssize_t n;

		if (rw->write)
			n = pwritev2(req->fd, rw->iov, (int)rw->nr_segs, off, flags);
		else
			n = preadv2(req->fd, rw->iov, (int)rw->nr_segs, off, flags);
		if (n < 0) {
			int e = errno;

			if (e == ESPIPE && off != -1 && !rw->stream) {
				rw->stream = rw->type_known = true;
				continue;
			}
			if (nonblock && !(rw->rw_flags & RWF_NOWAIT)) {
				if (e == EAGAIN)
					return URSA_ISSUE_RETRY;
				if (e == EOPNOTSUPP) {
					/* The hint spares the fstatfs() next
					 * time; it is consulted only after
					 * the file refused RWF_NOWAIT, which
					 * pipes, sockets and disk files never
					 * do. */
					if (!memfs_hint_get(req->ring, req->fd)) {
						if (!memory_backed(req->fd))
							return URSA_ISSUE_PUNT;
						memfs_hint_set(req->ring, req->fd);
					}
					flags &= ~RWF_NOWAIT;
					nonblock = false;
					continue;
				}
			}
			if (e == EINTR && !atomic_load(&req->cancel))
				continue;
			if (rw->done)
				return rw_finish(req, rw);
			return -e;
		}
		rw->done += (uint64_t)n;
		if (!n || rw->done >= rw->total || short_is_final(req, rw))
			return rw_finish(req, rw);
		/* A regular file moved less than asked and not at EOF: finish
		 * the rest, blocking, on a worker (as the kernel's io-wq). */
		iov_advance(rw, (uint64_t)n);
		if (nonblock && !(rw->rw_flags & RWF_NOWAIT))
			return URSA_ISSUE_PUNT;
	}
}

int ursa_read(struct ursa_req *req, unsigned issue_flags)
{
	return rw_issue(req, issue_flags);
}

/* READ_MULTISHOT: a read with a selected buffer on a pollable file, kept
 * armed: every read posts a CQE with IORING_CQE_F_MORE; EOF, an error,
 * -ENOBUFS or a CQ that cannot take more ends it with a final CQE. */
int ursa_prep_read_mshot(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	int ret;

	/* cleanup runs whatever prep returns: start from a clean state */
	memset(ursa_req_data(req, struct rw_op), 0, sizeof(struct rw_op));
	if (!(req->flags & IOSQE_BUFFER_SELECT))
		return -EINVAL;
	ret = prep_rw_common(req, sqe, false, false, false);
	if (ret)
		return ret;
	if (sqe->addr || sqe->len)
		return -EINVAL;
	return 0;
}

int ursa_read_mshot(struct ursa_req *req, unsigned issue_flags)
{
	struct rw_op *rw = ursa_req_data(req, struct rw_op);

	if (!rw->type_known) {
		struct stat st;

		if (fstat(req->fd, &st) < 0)
			return -errno;
		rw->type_known = true;
		rw->stream = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	}
	if (!rw->stream)
		return -EBADFD;		/* must be a pollable file */
	for (;;) {
		int ret;

		req->cflags = 0;
		rw->total = 0;		/* the whole buffer each time */
		ret = rw_issue_select(req, rw, issue_flags | URSA_ISSUE_NONBLOCK, true);
		if (ret == URSA_ISSUE_RETRY || ret == URSA_ISSUE_PUNT)
			return URSA_ISSUE_RETRY;
		if (ret <= 0)
			return ret;	/* EOF, error or -ENOBUFS: final */
		req->flags &= ~REQ_F_FAIL;
		if (!ursa_post_cqe_more_flags(req->ring, req->user_data, ret,
					      req->cflags))
			return ret;	/* final, with this buffer's flags */
	}
}

int ursa_write(struct ursa_req *req, unsigned issue_flags)
{
	return rw_issue(req, issue_flags);
}
