/* SPDX-License-Identifier: MIT */
/*
 * Registered resources.  A file slot holds a node with a private dup of the
 * application's fd; a buffer slot holds a node with an address range.
 * Nodes are refcounted: the table holds one reference and every request
 * using the slot holds one, so an update or unregister never pulls a file
 * from under a running request.  When a tagged node's last reference goes,
 * a CQE {user_data = tag, res = 0} is posted (IORING_FEAT_RSRC_TAGS).
 * Tables change under uring_lock and rsrc_lock; lookups take rsrc_lock.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rsrc.h"
#include "device.h"

#define MAX_BUF_LEN	(1ull << 30)	/* SZ_1G per registered buffer */

int ursa_rsrc_init(struct ursa_ring *ring)
{
	pthread_mutex_init(&ring->rsrc_lock, NULL);
	return 0;
}

/* ------------------------------------------------------------------ nodes */

static void post_tag(struct ursa_ring *ring, uint64_t tag)
{
	if (tag && !ring->dying)
		ursa_post_cqe(ring, tag, 0, 0, NULL);
}

void ursa_file_node_put(struct ursa_file_node *node)
{
	if (atomic_fetch_sub_explicit(&node->refs, 1, memory_order_acq_rel) != 1)
		return;
	close(node->fd);
	post_tag(node->ring, node->tag);
	free(node);
}

void ursa_buf_node_put(struct ursa_buf_node *node)
{
	if (atomic_fetch_sub_explicit(&node->refs, 1, memory_order_acq_rel) != 1)
		return;
	post_tag(node->ring, node->tag);
	free(node);
}

struct ursa_file_node *ursa_file_get(struct ursa_ring *ring, unsigned index)
{
	struct ursa_file_node *node = NULL;

	pthread_mutex_lock(&ring->rsrc_lock);
	if (index < ring->files.nr && (node = ring->files.nodes[index]))
		atomic_fetch_add_explicit(&node->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&ring->rsrc_lock);
	return node;
}

struct ursa_buf_node *ursa_buf_get(struct ursa_ring *ring, unsigned index)
{
	struct ursa_buf_node *node = NULL;

	pthread_mutex_lock(&ring->rsrc_lock);
	if (index < ring->bufs.nr && (node = ring->bufs.nodes[index]))
		atomic_fetch_add_explicit(&node->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&ring->rsrc_lock);
	return node;
}

int ursa_buf_check_range(const struct ursa_buf_node *node, uint64_t addr,
			 uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(addr, len, &end))
		return -EFAULT;
	if (addr < node->addr || end > node->addr + node->len)
		return -EFAULT;
	return 0;
}

/* A kernel io_uring fd (the kernel backend's rings): the kernel refuses to
 * register those too.  Its anonymous inode is named "[io_uring]". */
static bool is_kernel_ring(int fd)
{
	char path[64], link[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[io_uring]");
}

/* A new file node for the application's fd: -EBADF for bad fds and for
 * ring fds (the kernel refuses to register io_uring files). */
static int file_node_new(struct ursa_ring *ring, int fd, uint64_t tag,
			 struct ursa_file_node **out)
{
	struct ursa_file_node *node;
	int dupfd;

	if (fd < 0 || ursa_ring_lookup(fd) || is_kernel_ring(fd))
		return -EBADF;
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return errno == EBADF ? -EBADF : -errno;
	ursa_device_note_dup(fd, dupfd);	/* the slot reaches the same driver */
	node = malloc(sizeof(*node));
	if (!node) {
		close(dupfd);
		return -ENOMEM;
	}
	atomic_init(&node->refs, 1);
	node->fd = dupfd;
	node->tag = tag;
	node->ring = ring;
	*out = node;
	return 0;
}

/* Is [base, base+len) mapped?  The kernel pins the pages and fails with
 * -EFAULT otherwise; msync(MS_ASYNC) checks the mapping without touching it. */
int ursa_range_mapped(uint64_t base, uint64_t len)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t start = base & ~(uint64_t)(ps - 1);

	if (msync((void *)(uintptr_t)start, base + len - start, MS_ASYNC) < 0)
		return -EFAULT;
	return 0;
}

static int buf_node_new(struct ursa_ring *ring, const struct iovec *iov,
			uint64_t tag, struct ursa_buf_node **out)
{
	uint64_t base = (uint64_t)(uintptr_t)iov->iov_base, len = iov->iov_len, end;
	struct ursa_buf_node *node;
	int ret;

	*out = NULL;
	if (!base) {
		if (len)
			return -EFAULT;
		return tag ? -EINVAL : 0;	/* an empty slot */
	}
	if (!len || len > MAX_BUF_LEN)
		return -EFAULT;
	if (__builtin_add_overflow(base, len, &end))
		return -EOVERFLOW;
	ret = ursa_range_mapped(base, len);
	if (ret)
		return ret;
	node = malloc(sizeof(*node));
	if (!node)
		return -ENOMEM;
	atomic_init(&node->refs, 1);
	node->addr = base;
	node->len = len;
	node->tag = tag;
	node->ring = ring;
	*out = node;
	return 0;
}

/* ------------------------------------------------------------------ files */

static void files_free(struct ursa_ring *ring)
{
	struct ursa_file_node **nodes;
	unsigned i, nr;

	pthread_mutex_lock(&ring->rsrc_lock);
	nodes = ring->files.nodes;
	nr = ring->files.nr;
	ring->files.nodes = NULL;
	ring->files.nr = 0;
	ring->files.alloc_start = ring->files.alloc_end = 0;
	pthread_mutex_unlock(&ring->rsrc_lock);
	for (i = 0; i < nr; i++)
		if (nodes[i])
			ursa_file_node_put(nodes[i]);
	free(nodes);
}

static int files_register(struct ursa_ring *ring, const int32_t *ufds,
			  const uint64_t *utags, unsigned nr, bool sparse)
{
	struct ursa_file_node **nodes;
	struct rlimit rl;
	unsigned i;
	int ret = 0;

	if (ring->files.nodes)
		return -EBUSY;
	if (!nr)
		return -EINVAL;
	if (nr > URSA_MAX_FIXED_FILES)
		return -EMFILE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    nr > rl.rlim_cur)
		return -EMFILE;
	nodes = calloc(nr, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	for (i = 0; !sparse && i < nr; i++) {
		int32_t fd;
		uint64_t tag = 0;

		if (ursa_copy_from_user(&fd, &ufds[i], sizeof(fd)) ||
		    (utags && ursa_copy_from_user(&tag, &utags[i], sizeof(tag)))) {
			ret = -EFAULT;
			break;
		}
		if (fd == -1) {
			if (tag) {
				ret = -EINVAL;
				break;
			}
			continue;
		}
		ret = file_node_new(ring, fd, tag, &nodes[i]);
		if (ret)
			break;
	}
	if (ret) {
		/* The whole table goes; its tags are never reported. */
		for (i = 0; i < nr; i++) {
			if (nodes[i]) {
				nodes[i]->tag = 0;
				ursa_file_node_put(nodes[i]);
			}
		}
		free(nodes);
		return ret;
	}
	pthread_mutex_lock(&ring->rsrc_lock);
	ring->files.nodes = nodes;
	ring->files.nr = nr;
	ring->files.alloc_start = 0;
	ring->files.alloc_end = nr;
	ring->files.alloc_hint = 0;
	pthread_mutex_unlock(&ring->rsrc_lock);
	return 0;
}

int ursa_register_files(struct ursa_ring *ring, void *arg, unsigned nr)
{
	if (!arg)
		return -EFAULT;
	return files_register(ring, arg, NULL, nr, false);
}

int ursa_unregister_files(struct ursa_ring *ring, void *arg, unsigned nr)
{
	if (arg || nr)
		return -EINVAL;
	if (!ring->files.nodes)
		return -ENXIO;
	files_free(ring);
	return 0;
}

/* Set slot i to node (NULL clears); the old node is released.  The bounds
 * are checked again under the lock: the table may have gone meanwhile. */
static int file_slot_set(struct ursa_ring *ring, unsigned i,
			 struct ursa_file_node *node)
{
	struct ursa_file_node *old;

	pthread_mutex_lock(&ring->rsrc_lock);
	if (i >= ring->files.nr) {
		pthread_mutex_unlock(&ring->rsrc_lock);
		if (node)
			ursa_file_node_put(node);
		return -ENXIO;
	}
	old = ring->files.nodes[i];
	ring->files.nodes[i] = node;
	/* The kernel's allocation hint follows every change: after a fill,
	 * the next slot; after an emptying, that slot. */
	ring->files.alloc_hint = node ? i + 1 : i;
	pthread_mutex_unlock(&ring->rsrc_lock);
	if (old)
		ursa_file_node_put(old);
	return 0;
}

/* Shared by FILES_UPDATE, FILES_UPDATE2 and the FILES_UPDATE opcode:
 * returns the number of slots done, or the error if none was. */
static int files_update(struct ursa_ring *ring, unsigned off,
			const int32_t *ufds, const uint64_t *utags, unsigned nr)
{
	unsigned done, end;
	int ret = 0;

	if (!ring->files.nodes)
		return -ENXIO;
	if (__builtin_add_overflow(off, nr, &end))
		return -EOVERFLOW;
	if (end > ring->files.nr)
		return -EINVAL;
	for (done = 0; done < nr; done++) {
		struct ursa_file_node *node = NULL;
		uint64_t tag = 0;
		int32_t fd;

		if (ursa_copy_from_user(&fd, &ufds[done], sizeof(fd)) ||
		    (utags && ursa_copy_from_user(&tag, &utags[done], sizeof(tag)))) {
			ret = -EFAULT;
			break;
		}
		if ((fd == IORING_REGISTER_FILES_SKIP || fd == -1) && tag) {
			ret = -EINVAL;
			break;
		}
		if (fd == IORING_REGISTER_FILES_SKIP)
			continue;
		if (fd != -1) {
			ret = file_node_new(ring, fd, tag, &node);
			if (ret)
				break;
		}
		ret = file_slot_set(ring, off + done, node);
		if (ret)
			break;
	}
	return done ? (int)done : ret;
}

int ursa_register_files_update(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_files_update up;

	if (!nr)
		return -EINVAL;
	if (ursa_copy_from_user(&up, arg, sizeof(up)))
		return -EFAULT;
	if (up.resv)
		return -EINVAL;
	return files_update(ring, up.offset, (const int32_t *)(uintptr_t)up.fds,
			    NULL, nr);
}

int ursa_register_files2(struct ursa_ring *ring, void *arg, unsigned size)
{
	struct io_uring_rsrc_register rr;

	if (size != sizeof(rr))
		return -EINVAL;
	if (ursa_copy_from_user(&rr, arg, sizeof(rr)))
		return -EFAULT;
	if (!rr.nr || rr.resv2)
		return -EINVAL;
	if (rr.flags & ~IORING_RSRC_REGISTER_SPARSE)
		return -EINVAL;
	if ((rr.flags & IORING_RSRC_REGISTER_SPARSE) && rr.data)
		return -EINVAL;
	return files_register(ring, (const int32_t *)(uintptr_t)rr.data,
			      (const uint64_t *)(uintptr_t)rr.tags, rr.nr,
			      rr.flags & IORING_RSRC_REGISTER_SPARSE);
}

int ursa_register_file_alloc_range(struct ursa_ring *ring, void *arg,
				   unsigned nr)
{
	struct io_uring_file_index_range range;
	unsigned end;

	if (!arg || nr)
		return -EINVAL;
	if (ursa_copy_from_user(&range, arg, sizeof(range)))
		return -EFAULT;
	if (__builtin_add_overflow(range.off, range.len, &end))
		return -EOVERFLOW;
	if (range.resv || end > ring->files.nr)
		return -EINVAL;
	pthread_mutex_lock(&ring->rsrc_lock);
	ring->files.alloc_start = range.off;
	ring->files.alloc_end = end;
	ring->files.alloc_hint = range.off;
	pthread_mutex_unlock(&ring->rsrc_lock);
	return 0;
}

/* A free slot in the allocation range, or -ENFILE. */
static int file_alloc_slot(struct ursa_ring *ring)
{
	struct ursa_file_table *t = &ring->files;
	unsigned i, n = t->alloc_end - t->alloc_start;

	if (!t->nodes)
		return -ENFILE;
	if (t->alloc_hint < t->alloc_start || t->alloc_hint >= t->alloc_end)
		t->alloc_hint = t->alloc_start;
	for (i = 0; i < n; i++) {
		unsigned slot = t->alloc_hint + i;

		if (slot >= t->alloc_end)
			slot = t->alloc_start + (slot - t->alloc_end);
		if (!t->nodes[slot]) {
			t->alloc_hint = slot + 1;
			return (int)slot;
		}
	}
	return -ENFILE;
}

/* ---------------------------------------------------------------- buffers */

static void bufs_free(struct ursa_ring *ring)
{
	struct ursa_buf_node **nodes;
	unsigned i, nr;

	pthread_mutex_lock(&ring->rsrc_lock);
	nodes = ring->bufs.nodes;
	nr = ring->bufs.nr;
	ring->bufs.nodes = NULL;
	ring->bufs.nr = 0;
	pthread_mutex_unlock(&ring->rsrc_lock);
	for (i = 0; i < nr; i++)
		if (nodes[i])
			ursa_buf_node_put(nodes[i]);
	free(nodes);
}

static int bufs_register(struct ursa_ring *ring, const struct iovec *uiov,
			 const uint64_t *utags, unsigned nr, bool sparse)
{
	struct ursa_buf_node **nodes;
	unsigned i;
	int ret = 0;

	if (ring->bufs.nodes)
		return -EBUSY;
	if (!nr || nr > URSA_MAX_REG_BUFFERS)
		return -EINVAL;
	nodes = calloc(nr, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	for (i = 0; !sparse && i < nr; i++) {
		struct iovec iov;
		uint64_t tag = 0;

		if (ursa_copy_from_user(&iov, &uiov[i], sizeof(iov)) ||
		    (utags && ursa_copy_from_user(&tag, &utags[i], sizeof(tag)))) {
			ret = -EFAULT;
			break;
		}
		ret = buf_node_new(ring, &iov, tag, &nodes[i]);
		if (ret)
			break;
	}
	if (ret) {
		for (i = 0; i < nr; i++) {
			if (nodes[i]) {
				nodes[i]->tag = 0;
				ursa_buf_node_put(nodes[i]);
			}
		}
		free(nodes);
		return ret;
	}
	pthread_mutex_lock(&ring->rsrc_lock);
	ring->bufs.nodes = nodes;
	ring->bufs.nr = nr;
	pthread_mutex_unlock(&ring->rsrc_lock);
	return 0;
}

int ursa_register_buffers(struct ursa_ring *ring, void *arg, unsigned nr)
{
	if (!arg)
		return -EFAULT;
	return bufs_register(ring, arg, NULL, nr, false);
}

int ursa_register_buffers2(struct ursa_ring *ring, void *arg, unsigned size)
{
	struct io_uring_rsrc_register rr;

	if (size != sizeof(rr))
		return -EINVAL;
	if (ursa_copy_from_user(&rr, arg, sizeof(rr)))
		return -EFAULT;
	if (!rr.nr || rr.resv2)
		return -EINVAL;
	if (rr.flags & ~IORING_RSRC_REGISTER_SPARSE)
		return -EINVAL;
	if ((rr.flags & IORING_RSRC_REGISTER_SPARSE) && rr.data)
		return -EINVAL;
	return bufs_register(ring, (const struct iovec *)(uintptr_t)rr.data,
			     (const uint64_t *)(uintptr_t)rr.tags, rr.nr,
			     rr.flags & IORING_RSRC_REGISTER_SPARSE);
}

int ursa_unregister_buffers(struct ursa_ring *ring, void *arg, unsigned nr)
{
	if (arg || nr)
		return -EINVAL;
	if (!ring->bufs.nodes)
		return -ENXIO;
	bufs_free(ring);
	return 0;
}

static int bufs_update(struct ursa_ring *ring, unsigned off,
		       const struct iovec *uiov, const uint64_t *utags,
		       unsigned nr)
{
	unsigned done, end;
	int ret = 0;

	if (!ring->bufs.nodes)
		return -ENXIO;
	if (__builtin_add_overflow(off, nr, &end))
		return -EOVERFLOW;
	if (end > ring->bufs.nr)
		return -EINVAL;
	for (done = 0; done < nr; done++) {
		struct ursa_buf_node *node, *old;
		struct iovec iov;
		uint64_t tag = 0;

		if (ursa_copy_from_user(&iov, &uiov[done], sizeof(iov)) ||
		    (utags && ursa_copy_from_user(&tag, &utags[done], sizeof(tag)))) {
			ret = -EFAULT;
			break;
		}
		ret = buf_node_new(ring, &iov, tag, &node);
		if (ret)
			break;
		pthread_mutex_lock(&ring->rsrc_lock);
		old = ring->bufs.nodes[off + done];
		ring->bufs.nodes[off + done] = node;
		pthread_mutex_unlock(&ring->rsrc_lock);
		if (old)
			ursa_buf_node_put(old);
	}
	return done ? (int)done : ret;
}

int ursa_register_rsrc_update2(struct ursa_ring *ring, void *arg,
			       unsigned size, bool files)
{
	struct io_uring_rsrc_update2 up;

	if (size != sizeof(up))
		return -EINVAL;
	if (ursa_copy_from_user(&up, arg, sizeof(up)))
		return -EFAULT;
	if (!up.nr || up.resv || up.resv2)
		return -EINVAL;
	if (files)
		return files_update(ring, up.offset,
				    (const int32_t *)(uintptr_t)up.data,
				    (const uint64_t *)(uintptr_t)up.tags, up.nr);
	return bufs_update(ring, up.offset, (const struct iovec *)(uintptr_t)up.data,
			   (const uint64_t *)(uintptr_t)up.tags, up.nr);
}

/* ------------------------------------------------------------------ clone */

static struct ursa_ring *clone_source(unsigned src_fd, unsigned flags, int *err)
{
	struct ursa_ring *src;

	if (flags & IORING_REGISTER_SRC_REGISTERED) {
		if (src_fd >= URSA_MAX_RING_FDS) {
			*err = -EINVAL;
			return NULL;
		}
		src = ursa_registered_ring(src_fd);
		if (!src)
			*err = -EBADF;
		return src;
	}
	src = ursa_ring_lookup((int)src_fd);
	if (!src)
		*err = fcntl((int)src_fd, F_GETFD) < 0 ? -EBADF : -EOPNOTSUPP;
	return src;
}

/* Lock two rings' uring_locks in address order (ring's is held already
 * by the register path; take src's without deadlock). */
static void lock_src(struct ursa_ring *ring, struct ursa_ring *src)
{
	if (src == ring)
		return;
	if (src < ring) {
		pthread_mutex_unlock(&ring->uring_lock);
		pthread_mutex_lock(&src->uring_lock);
		pthread_mutex_lock(&ring->uring_lock);
	} else {
		pthread_mutex_lock(&src->uring_lock);
	}
}

static void unlock_src(struct ursa_ring *ring, struct ursa_ring *src)
{
	if (src != ring)
		pthread_mutex_unlock(&src->uring_lock);
}

/*
 * IORING_REGISTER_CLONE_BUFFERS, in the kernel's check order (see
 * docs/ARCHITECTURE.md and seed-features §8.1).  Cloned slots get fresh
 * nodes without tags that name the same memory.
 */
int ursa_register_clone_buffers(struct ursa_ring *ring, void *arg, unsigned nr_args)
{
	struct io_uring_clone_buffers cb;
	struct ursa_buf_node **nodes = NULL, **old = NULL;
	struct ursa_ring *src;
	unsigned nr, src_nr, new_nr, i, old_nr = 0, end;
	int ret = 0;

	if (!arg || nr_args != 1)
		return -EINVAL;
	if (ursa_copy_from_user(&cb, arg, sizeof(cb)))
		return -EFAULT;
	if (cb.flags & ~(IORING_REGISTER_SRC_REGISTERED | IORING_REGISTER_DST_REPLACE))
		return -EINVAL;
	if (!(cb.flags & IORING_REGISTER_DST_REPLACE) && ring->bufs.nr)
		return -EBUSY;
	if (cb.pad[0] || cb.pad[1] || cb.pad[2])
		return -EINVAL;
	src = clone_source(cb.src_fd, cb.flags, &ret);
	if (!src)
		return ret;
	lock_src(ring, src);
	if (src->submitter_tid && src->submitter_tid != ursa_gettid()) {
		ret = -EEXIST;
		goto out;
	}
	if (!cb.nr && (cb.src_off || cb.dst_off)) {
		ret = -EINVAL;
		goto out;
	}
	if (!(cb.flags & IORING_REGISTER_DST_REPLACE) && ring->bufs.nr) {
		ret = -EBUSY;
		goto out;
	}
	src_nr = src->bufs.nr;
	if (!src_nr) {
		ret = -ENXIO;
		goto out;
	}
	nr = cb.nr ? cb.nr : src_nr;
	if (nr > src_nr || nr > URSA_MAX_REG_BUFFERS) {
		ret = -EINVAL;
		goto out;
	}
	if (__builtin_add_overflow(cb.src_off, nr, &end) || end > src_nr) {
		ret = -EOVERFLOW;
		goto out;
	}
	if (__builtin_add_overflow(cb.dst_off, nr, &end)) {
		ret = -EOVERFLOW;
		goto out;
	}
	new_nr = end > ring->bufs.nr ? end : ring->bufs.nr;
	if (new_nr > URSA_MAX_REG_BUFFERS) {
		ret = -EINVAL;
		goto out;
	}
	nodes = calloc(new_nr, sizeof(*nodes));
	if (!nodes) {
		ret = -ENOMEM;
		goto out;
	}
	/* Keep the destination's slots outside the cloned range. */
	for (i = 0; i < ring->bufs.nr; i++) {
		if (i >= cb.dst_off && i < cb.dst_off + nr)
			continue;
		nodes[i] = ring->bufs.nodes[i];
		if (nodes[i])
			atomic_fetch_add(&nodes[i]->refs, 1);
	}
	pthread_mutex_lock(&src->rsrc_lock);
	for (i = 0; i < nr; i++) {
		struct ursa_buf_node *s = src->bufs.nodes[cb.src_off + i], *d;

		if (!s)
			continue;
		d = malloc(sizeof(*d));
		if (!d) {
			ret = -ENOMEM;
			break;
		}
		atomic_init(&d->refs, 1);
		d->addr = s->addr;
		d->len = s->len;
		d->tag = 0;
		d->ring = ring;
		nodes[cb.dst_off + i] = d;
	}
	pthread_mutex_unlock(&src->rsrc_lock);
	if (ret) {
		for (i = 0; i < new_nr; i++)
			if (nodes[i])
				ursa_buf_node_put(nodes[i]);
		free(nodes);
		goto out;
	}
	pthread_mutex_lock(&ring->rsrc_lock);
	old = ring->bufs.nodes;
	old_nr = ring->bufs.nr;
	ring->bufs.nodes = nodes;
	ring->bufs.nr = new_nr;
	pthread_mutex_unlock(&ring->rsrc_lock);
	for (i = 0; i < old_nr; i++)
		if (old[i])
			ursa_buf_node_put(old[i]);
	free(old);
out:
	unlock_src(ring, src);
	return ret;
}

/*
 * IORING_REGISTER_CLONE_FILES (proposed, seed 004; the v6 shape with the
 * review points settled, see docs/ARCHITECTURE.md): like clone buffers,
 * but cloning a ring onto itself is -EINVAL, any thread of the process may
 * clone any ring's table (no submitter check), every cloned slot gets a
 * node private to the destination with its own dup of the file, tags are
 * copied, and the allocation range becomes the whole new table.
 */
int ursa_register_clone_files(struct ursa_ring *ring, void *arg, unsigned nr_args)
{
	struct io_uring_clone_files cf;
	struct ursa_file_node **nodes = NULL, **old = NULL;
	struct ursa_ring *src;
	unsigned nr, src_nr, new_nr, i, old_nr = 0, end;
	int ret = 0;

	if (!arg || nr_args != 1)
		return -EINVAL;
	if (ursa_copy_from_user(&cf, arg, sizeof(cf)))
		return -EFAULT;
	if (cf.flags & ~(IORING_REGISTER_SRC_REGISTERED | IORING_REGISTER_DST_REPLACE))
		return -EINVAL;
	if (cf.pad[0] || cf.pad[1] || cf.pad[2])
		return -EINVAL;
	src = clone_source(cf.src_fd, cf.flags, &ret);
	if (!src)
		return ret;
	if (src == ring)
		return -EINVAL;
	lock_src(ring, src);
	if (!cf.nr && (cf.src_off || cf.dst_off)) {
		ret = -EINVAL;
		goto out;
	}
	if (!(cf.flags & IORING_REGISTER_DST_REPLACE) && ring->files.nr) {
		ret = -EBUSY;
		goto out;
	}
	src_nr = src->files.nr;
	if (!src_nr) {
		ret = -ENXIO;
		goto out;
	}
	nr = cf.nr ? cf.nr : src_nr;
	if (nr > src_nr || nr > URSA_MAX_FIXED_FILES) {
		ret = -EINVAL;
		goto out;
	}
	if (__builtin_add_overflow(cf.src_off, nr, &end) || end > src_nr) {
		ret = -EOVERFLOW;
		goto out;
	}
	if (__builtin_add_overflow(cf.dst_off, nr, &end)) {
		ret = -EOVERFLOW;
		goto out;
	}
	new_nr = end > ring->files.nr ? end : ring->files.nr;
	if (new_nr > URSA_MAX_FIXED_FILES) {
		ret = -EINVAL;
		goto out;
	}
	nodes = calloc(new_nr, sizeof(*nodes));
	if (!nodes) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ring->files.nr; i++) {
		if (i >= cf.dst_off && i < cf.dst_off + nr)
			continue;
		nodes[i] = ring->files.nodes[i];
		if (nodes[i])
			atomic_fetch_add(&nodes[i]->refs, 1);
	}
	pthread_mutex_lock(&src->rsrc_lock);
	for (i = 0; i < nr && !ret; i++) {
		struct ursa_file_node *s = src->files.nodes[cf.src_off + i];

		if (s)
			ret = file_node_new(ring, s->fd, s->tag,
					    &nodes[cf.dst_off + i]);
	}
	pthread_mutex_unlock(&src->rsrc_lock);
	if (ret) {
		for (i = 0; i < new_nr; i++) {
			if (nodes[i]) {
				if (i >= cf.dst_off && i < cf.dst_off + nr)
					nodes[i]->tag = 0;
				ursa_file_node_put(nodes[i]);
			}
		}
		free(nodes);
		goto out;
	}
	pthread_mutex_lock(&ring->rsrc_lock);
	old = ring->files.nodes;
	old_nr = ring->files.nr;
	ring->files.nodes = nodes;
	ring->files.nr = new_nr;
	ring->files.alloc_start = 0;
	ring->files.alloc_end = new_nr;
	ring->files.alloc_hint = 0;
	pthread_mutex_unlock(&ring->rsrc_lock);
	for (i = 0; i < old_nr; i++)
		if (old[i])
			ursa_file_node_put(old[i]);
	free(old);
out:
	unlock_src(ring, src);
	return ret;
}

/* ------------------------------------------------------ IORING_OP_FILES_UPDATE */

struct files_update_op {
	uint64_t	arg;
	uint32_t	nr;
	uint32_t	offset;
};

int ursa_files_update_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct files_update_op *up = ursa_req_data(req, struct files_update_op);

	if (req->flags & (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT))
		return -EINVAL;
	if (sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	up->offset = (uint32_t)sqe->off;
	up->nr = sqe->len;
	if (!up->nr)
		return -EINVAL;
	up->arg = sqe->addr;
	return 0;
}

int ursa_files_update(struct ursa_req *req, unsigned issue_flags)
{
	struct files_update_op *up = ursa_req_data(req, struct files_update_op);
	struct ursa_ring *ring = req->ring;
	int32_t *ufds = (int32_t *)(uintptr_t)up->arg;
	unsigned done;
	int ret = 0;

	(void)issue_flags;
	if (up->offset != IORING_FILE_INDEX_ALLOC) {
		return files_update(ring, up->offset, ufds, NULL, up->nr);
	}
	if (!ring->files.nodes)
		return -ENXIO;
	for (done = 0; done < up->nr; done++) {
		struct ursa_file_node *node;
		int32_t fd, slot;

		if (ursa_copy_from_user(&fd, &ufds[done], sizeof(fd))) {
			ret = -EFAULT;
			break;
		}
		ret = file_node_new(ring, fd, 0, &node);
		if (ret)
			break;
		pthread_mutex_lock(&ring->rsrc_lock);
		slot = file_alloc_slot(ring);
		if (slot >= 0)
			ring->files.nodes[slot] = node;
		ret = slot;
		pthread_mutex_unlock(&ring->rsrc_lock);
		if (slot < 0) {
			ursa_file_node_put(node);
			break;
		}
		ret = 0;
		if (ursa_copy_to_user(&ufds[done], &slot, sizeof(slot))) {
			file_slot_set(ring, (unsigned)slot, NULL);
			ret = -EFAULT;
			break;
		}
	}
	return done ? (int)done : ret;
}

/* ------------------------------------------------- direct descriptors API */

/*
 * Install fd into the fixed file table (a direct descriptor): at slot, or
 * in a free slot of the allocation range with IORING_FILE_INDEX_ALLOC.
 * The table takes its own dup; the caller keeps fd (and usually closes
 * it).  Returns the slot, or -ENXIO (no table), -EINVAL (slot out of
 * range), -ENFILE (no free slot), -EBADF.  An occupied slot is replaced,
 * as the kernel does.
 */
int ursa_file_install(struct ursa_ring *ring, int fd, unsigned slot)
{
	struct ursa_file_node *node;
	int ret;

	ret = file_node_new(ring, fd, 0, &node);
	if (ret)
		return ret;
	if (slot == IORING_FILE_INDEX_ALLOC) {
		pthread_mutex_lock(&ring->rsrc_lock);
		ret = file_alloc_slot(ring);
		if (ret >= 0)
			ring->files.nodes[ret] = node;
		pthread_mutex_unlock(&ring->rsrc_lock);
		if (ret < 0)
			ursa_file_node_put(node);
		return ret;
	}
	if (!ring->files.nodes) {
		ursa_file_node_put(node);
		return -ENXIO;
	}
	if (slot >= ring->files.nr) {
		ursa_file_node_put(node);
		return -EINVAL;
	}
	ret = file_slot_set(ring, slot, node);
	return ret ? ret : (int)slot;
}

/* Empty a fixed file slot (IORING_OP_CLOSE with file_index).  -ENXIO
 * without a table, -EINVAL out of range, -EBADF if the slot is empty. */
int ursa_file_remove(struct ursa_ring *ring, unsigned slot)
{
	struct ursa_file_node *old;

	pthread_mutex_lock(&ring->rsrc_lock);
	if (!ring->files.nodes) {
		pthread_mutex_unlock(&ring->rsrc_lock);
		return -ENXIO;
	}
	if (slot >= ring->files.nr) {
		pthread_mutex_unlock(&ring->rsrc_lock);
		return -EINVAL;
	}
	old = ring->files.nodes[slot];
	ring->files.nodes[slot] = NULL;
	if (old)
		ring->files.alloc_hint = slot;
	pthread_mutex_unlock(&ring->rsrc_lock);
	if (!old)
		return -EBADF;
	ursa_file_node_put(old);
	return 0;
}

void ursa_rsrc_exit(struct ursa_ring *ring)
{
	if (ring->files.nodes)
		files_free(ring);
	if (ring->bufs.nodes)
		bufs_free(ring);
}
