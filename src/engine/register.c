/* SPDX-License-Identifier: MIT */
/*
 * io_uring_register: argument checks in the kernel's order, and the
 * handlers that are not resources (rsrc.c) or workers (iowq.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "iowq.h"
#include "opdef.h"
#include "rsrc.h"
#include "msg_ring.h"
#include "query.h"
#include "cancel.h"
#include "kbuf.h"
#include "region.h"
#include "zcrx.h"

/* ------------------------------------------------------- registered rings */

/* Per thread, as the kernel's per-task table: 16 slots shared by all rings.
 * A slot names the ring and its fd, so a slot whose ring has gone is seen
 * as empty rather than followed. */
/* Each slot holds a reference on its ring, so a ring stays alive while a
 * slot names it even after its fd is closed (io_uring_close_ring_fd).  A
 * thread's slots are released when it exits. */
static __thread struct ursa_ring *tls_ring_fds[URSA_MAX_RING_FDS];
static pthread_key_t ring_fds_key;
static pthread_once_t ring_fds_once = PTHREAD_ONCE_INIT;

static void ring_fds_release(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < URSA_MAX_RING_FDS; i++) {
		if (tls_ring_fds[i]) {
			ursa_ring_put(tls_ring_fds[i]);
			tls_ring_fds[i] = NULL;
		}
	}
}

static void ring_fds_key_init(void)
{
	pthread_key_create(&ring_fds_key, ring_fds_release);
}

/* Whether this thread has used io_uring (the kernel's per-task context):
 * a registered index is -EINVAL for a thread without one, -EBADF for an
 * empty slot otherwise. */
static __thread bool tls_has_ctx;

void ursa_thread_mark_ctx(void)
{
	tls_has_ctx = true;
}

int ursa_registered_ring_error(unsigned index)
{
	return (index >= URSA_MAX_RING_FDS || !tls_has_ctx) ? -EINVAL : -EBADF;
}

/* fork() child: the inherited slots name rings it does not have. */
void ursa_forget_registered_rings(void)
{
	for (unsigned i = 0; i < URSA_MAX_RING_FDS; i++)
		tls_ring_fds[i] = NULL;
	tls_has_ctx = false;
}

struct ursa_ring *ursa_registered_ring(unsigned index)
{
	if (index >= URSA_MAX_RING_FDS)
		return NULL;
	return tls_ring_fds[index];
}

static void ring_slot_set(unsigned slot, struct ursa_ring *ring)
{
	struct ursa_ring *old = tls_ring_fds[slot];

	if (ring) {
		pthread_once(&ring_fds_once, ring_fds_key_init);
		pthread_setspecific(ring_fds_key, (void *)1);
		ursa_ring_get(ring);
	}
	tls_ring_fds[slot] = ring;
	if (old)
		ursa_ring_put(old);
}

int ursa_register_ring_fds(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_rsrc_update *uarg = arg, up;
	unsigned i;
	int ret = 0;

	(void)ring;
	if (!nr || nr > URSA_MAX_RING_FDS)
		return -EINVAL;
	tls_has_ctx = true;
	for (i = 0; i < nr; i++) {
		struct ursa_ring *target;
		unsigned slot;

		if (ursa_copy_from_user(&up, &uarg[i], sizeof(up))) {
			ret = -EFAULT;
			break;
		}
		if (up.resv) {
			ret = -EINVAL;
			break;
		}
		if (up.offset == -1U) {
			for (slot = 0; slot < URSA_MAX_RING_FDS; slot++)
				if (!ursa_registered_ring(slot))
					break;
			if (slot == URSA_MAX_RING_FDS) {
				ret = -EBUSY;
				break;
			}
		} else {
			slot = up.offset;
			if (slot >= URSA_MAX_RING_FDS) {
				ret = -EINVAL;
				break;
			}
			if (ursa_registered_ring(slot)) {
				ret = -EBUSY;
				break;
			}
		}
		target = ursa_ring_lookup((int)up.data);
		if (!target) {
			ret = fcntl((int)up.data, F_GETFD) < 0 ? -EBADF : -EOPNOTSUPP;
			break;
		}
		ring_slot_set(slot, target);
		up.offset = slot;
		if (ursa_copy_to_user(&uarg[i], &up, sizeof(up))) {
			ring_slot_set(slot, NULL);
			ret = -EFAULT;
			break;
		}
	}
	return i ? (int)i : ret;
}

int ursa_unregister_ring_fds(void *arg, unsigned nr)
{
	struct io_uring_rsrc_update *uarg = arg, up;
	unsigned i;
	int ret = 0;

	if (!nr || nr > URSA_MAX_RING_FDS)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (ursa_copy_from_user(&up, &uarg[i], sizeof(up))) {
			ret = -EFAULT;
			break;
		}
		if (up.resv || up.data || up.offset >= URSA_MAX_RING_FDS) {
			ret = -EINVAL;
			break;
		}
		ring_slot_set(up.offset, NULL);
	}
	return i ? (int)i : ret;
}

/* ------------------------------------------------------------------ probe */

static int register_probe(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_probe *p;
	size_t size;
	unsigned i;
	int ret = 0;

	(void)ring;
	if (!arg || nr > 256)
		return -EINVAL;
	if (nr > IORING_OP_LAST)
		nr = IORING_OP_LAST;
	size = sizeof(*p) + nr * sizeof(struct io_uring_probe_op);
	p = calloc(1, size);
	if (!p)
		return -ENOMEM;
	if (ursa_copy_from_user(p, arg, size)) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < size; i++) {
		if (((unsigned char *)p)[i]) {
			ret = -EINVAL;
			goto out;
		}
	}
	p->last_op = IORING_OP_LAST - 1;
	p->ops_len = (uint8_t)nr;
	for (i = 0; i < nr; i++) {
		p->ops[i].op = (uint8_t)i;
		if (ursa_opdefs[i].implemented)
			p->ops[i].flags = IO_URING_OP_SUPPORTED;
	}
	if (ursa_copy_to_user(arg, p, size))
		ret = -EFAULT;
out:
	free(p);
	return ret;
}

/* ---------------------------------------------------------------- eventfd */

static int register_eventfd(struct ursa_ring *ring, void *arg, unsigned nr,
			    bool async)
{
	int32_t fd;
	char path[64], link[64];
	ssize_t n;
	int dupfd;

	if (nr != 1)
		return -EINVAL;
	if (ring->evfd >= 0)
		return -EBUSY;
	if (ursa_copy_from_user(&fd, arg, sizeof(fd)))
		return -EFAULT;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n >= 0) {
		link[n] = 0;
		if (strcmp(link, "anon_inode:[eventfd]"))
			return -EINVAL;
	}
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return -errno;
	pthread_mutex_lock(&ring->completion_lock);
	ring->evfd = dupfd;
	ring->evfd_async_only = async;
	pthread_mutex_unlock(&ring->completion_lock);
	return 0;
}

static int unregister_eventfd(struct ursa_ring *ring, void *arg, unsigned nr)
{
	int fd;

	if (arg || nr)
		return -EINVAL;
	pthread_mutex_lock(&ring->completion_lock);
	fd = ring->evfd;
	ring->evfd = -1;
	pthread_mutex_unlock(&ring->completion_lock);
	if (fd < 0)
		return -ENXIO;
	close(fd);
	return 0;
}

/* ------------------------------------------------------------ personality */

/*
 * A personality is the credentials of the registering thread.  ursa runs
 * every operation with the process's current credentials, so a request
 * naming a personality runs only while those are still the current ones;
 * otherwise it fails with -EPERM (see rw/issue: ursa_personality_ok).
 */
static int register_personality(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct ursa_personality *p;
	unsigned id;

	if (arg || nr)
		return -EINVAL;
	for (id = 1; id < 64; id++)
		if (!ring->personalities[id])
			break;
	if (id == 64)
		return -EBUSY;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->uid = getuid();
	p->euid = geteuid();
	p->gid = getgid();
	p->egid = getegid();
	ring->personalities[id] = p;
	return (int)id;
}

static int unregister_personality(struct ursa_ring *ring, void *arg, unsigned id)
{
	if (arg)
		return -EINVAL;
	if (id >= 64 || !ring->personalities[id])
		return -EINVAL;
	free(ring->personalities[id]);
	ring->personalities[id] = NULL;
	return 0;
}

bool ursa_personality_ok(struct ursa_ring *ring, unsigned id)
{
	struct ursa_personality *p = ring->personalities[id];

	return p && p->euid == geteuid() && p->egid == getegid() &&
	       p->uid == getuid() && p->gid == getgid();
}

/* ----------------------------------------------------------- restrictions */

static int register_restrictions(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_restriction *res;
	unsigned i;
	int ret = 0;

	if (ring->enabled)
		return -EBADFD;
	if (ring->restrictions_registered)
		return -EBUSY;
	if (!arg || nr > IORING_RESTRICTION_LAST + IORING_REGISTER_LAST + IORING_OP_LAST)
		return -EINVAL;
	res = calloc(nr ? nr : 1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	if (ursa_copy_from_user(res, arg, nr * sizeof(*res))) {
		free(res);
		return -EFAULT;
	}
	memset(ring->restrict_register, 0, sizeof(ring->restrict_register));
	memset(ring->restrict_sqe_op, 0, sizeof(ring->restrict_sqe_op));
	ring->restrict_sqe_flags_allowed = 0;
	ring->restrict_sqe_flags_required = 0;
	for (i = 0; i < nr && !ret; i++) {
		switch (res[i].opcode) {
		case IORING_RESTRICTION_REGISTER_OP:
			if (res[i].register_op >= IORING_REGISTER_LAST)
				ret = -EINVAL;
			else
				ring->restrict_register[res[i].register_op / 64] |=
					1ull << (res[i].register_op % 64);
			break;
		case IORING_RESTRICTION_SQE_OP:
			if (res[i].sqe_op >= IORING_OP_LAST)
				ret = -EINVAL;
			else
				ring->restrict_sqe_op[res[i].sqe_op / 64] |=
					1ull << (res[i].sqe_op % 64);
			break;
		case IORING_RESTRICTION_SQE_FLAGS_ALLOWED:
			ring->restrict_sqe_flags_allowed = res[i].sqe_flags;
			break;
		case IORING_RESTRICTION_SQE_FLAGS_REQUIRED:
			ring->restrict_sqe_flags_required = res[i].sqe_flags;
			break;
		default:
			ret = -EINVAL;
		}
	}
	free(res);
	if (ret) {
		memset(ring->restrict_register, 0, sizeof(ring->restrict_register));
		memset(ring->restrict_sqe_op, 0, sizeof(ring->restrict_sqe_op));
		ring->restrict_sqe_flags_allowed = 0;
		ring->restrict_sqe_flags_required = 0;
		return ret;
	}
	ring->restrictions_registered = true;
	return 0;
}

static int register_enable_rings(struct ursa_ring *ring, void *arg, unsigned nr)
{
	if (arg || nr)
		return -EINVAL;
	if (ring->enabled)
		return -EBADFD;
	if (ring->setup_flags & IORING_SETUP_SINGLE_ISSUER)
		ring->submitter_tid = ursa_gettid();
	if (ring->restrictions_registered)
		ring->restricted = true;
	__atomic_store_n(&ring->enabled, true, __ATOMIC_RELEASE);
	return 0;
}

/* ----------------------------------------------------------------- io-wq */

static int register_iowq_aff(struct ursa_ring *ring, void *arg, unsigned len)
{
	cpu_set_t set;

	if (!arg || !len)
		return -EINVAL;
	CPU_ZERO(&set);
	if (len > sizeof(set))
		len = sizeof(set);
	if (ursa_copy_from_user(&set, arg, len))
		return -EFAULT;
	if (!CPU_COUNT(&set))
		return -EINVAL;
	return ursa_iowq_set_affinity(ring, &set, sizeof(set));
}

static int register_iowq_max_workers(struct ursa_ring *ring, void *arg,
				     unsigned nr)
{
	unsigned vals[2];
	int ret;

	if (!arg || nr != 2)
		return -EINVAL;
	if (ursa_copy_from_user(vals, arg, sizeof(vals)))
		return -EFAULT;
	ret = ursa_iowq_max_workers(ring, vals);
	if (ret)
		return ret;
	if (ursa_copy_to_user(arg, vals, sizeof(vals)))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------------ clock */

static int register_clock(struct ursa_ring *ring, void *arg, unsigned nr)
{
	struct io_uring_clock_register reg;

	if (!arg || nr)
		return -EINVAL;
	if (ursa_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (reg.__resv[0] || reg.__resv[1] || reg.__resv[2])
		return -EINVAL;
	if (reg.clockid != CLOCK_MONOTONIC && reg.clockid != CLOCK_BOOTTIME)
		return -EINVAL;
	ring->clockid = (int)reg.clockid;
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

int ursa_register_blind(unsigned opcode, void *arg, unsigned nr_args)
{
	if (opcode >= IORING_REGISTER_LAST)
		return -EINVAL;
	/* SEND_MSG_RING and QUERY are the blind opcodes. */
	if (opcode == IORING_REGISTER_SEND_MSG_RING)
		return ursa_register_send_msg_ring(arg, nr_args);
	if (opcode == IORING_REGISTER_QUERY)
		return ursa_register_query(arg, nr_args);
	return -EINVAL;
}

static int do_register(struct ursa_ring *ring, unsigned opcode, void *arg,
		       unsigned nr)
{
	switch (opcode) {
	case IORING_REGISTER_BUFFERS:
		return ursa_register_buffers(ring, arg, nr);
	case IORING_UNREGISTER_BUFFERS:
		return ursa_unregister_buffers(ring, arg, nr);
	case IORING_REGISTER_FILES:
		return ursa_register_files(ring, arg, nr);
	case IORING_UNREGISTER_FILES:
		return ursa_unregister_files(ring, arg, nr);
	case IORING_REGISTER_EVENTFD:
		return register_eventfd(ring, arg, nr, false);
	case IORING_REGISTER_EVENTFD_ASYNC:
		return register_eventfd(ring, arg, nr, true);
	case IORING_UNREGISTER_EVENTFD:
		return unregister_eventfd(ring, arg, nr);
	case IORING_REGISTER_FILES_UPDATE:
		return ursa_register_files_update(ring, arg, nr);
	case IORING_REGISTER_PROBE:
		return register_probe(ring, arg, nr);
	case IORING_REGISTER_PERSONALITY:
		return register_personality(ring, arg, nr);
	case IORING_UNREGISTER_PERSONALITY:
		return unregister_personality(ring, arg, nr);
	case IORING_REGISTER_RESTRICTIONS:
		return register_restrictions(ring, arg, nr);
	case IORING_REGISTER_ENABLE_RINGS:
		return register_enable_rings(ring, arg, nr);
	case IORING_REGISTER_FILES2:
		return ursa_register_files2(ring, arg, nr);
	case IORING_REGISTER_FILES_UPDATE2:
		return ursa_register_rsrc_update2(ring, arg, nr, true);
	case IORING_REGISTER_BUFFERS2:
		return ursa_register_buffers2(ring, arg, nr);
	case IORING_REGISTER_BUFFERS_UPDATE:
		return ursa_register_rsrc_update2(ring, arg, nr, false);
	case IORING_REGISTER_IOWQ_AFF:
		return register_iowq_aff(ring, arg, nr);
	case IORING_UNREGISTER_IOWQ_AFF:
		if (arg || nr)
			return -EINVAL;
		return ursa_iowq_set_affinity(ring, NULL, 0);
	case IORING_REGISTER_IOWQ_MAX_WORKERS:
		return register_iowq_max_workers(ring, arg, nr);
	case IORING_REGISTER_RING_FDS:
		return ursa_register_ring_fds(ring, arg, nr);
	case IORING_UNREGISTER_RING_FDS:
		return ursa_unregister_ring_fds(arg, nr);
	case IORING_REGISTER_FILE_ALLOC_RANGE:
		return ursa_register_file_alloc_range(ring, arg, nr);
	case IORING_REGISTER_CLONE_BUFFERS:
		return ursa_register_clone_buffers(ring, arg, nr);
	case IORING_REGISTER_PBUF_RING:
		return ursa_register_pbuf_ring(ring, arg, nr);
	case IORING_UNREGISTER_PBUF_RING:
		return ursa_unregister_pbuf_ring(ring, arg, nr);
	case IORING_REGISTER_PBUF_STATUS:
		return ursa_register_pbuf_status(ring, arg, nr);
	case IORING_REGISTER_SYNC_CANCEL:
		return ursa_register_sync_cancel(ring, arg, nr);
	case IORING_REGISTER_RESIZE_RINGS:
		return ursa_register_resize_rings(ring, arg, nr);
	case IORING_REGISTER_MEM_REGION:
		return ursa_register_mem_region(ring, arg, nr);
	case IORING_REGISTER_CLOCK:
		return register_clock(ring, arg, nr);
	case IORING_REGISTER_ZCRX_IFQ:
		return ursa_register_zcrx_ifq(ring, arg, nr);
	case IORING_REGISTER_ZCRX_CTRL:
		return ursa_register_zcrx_ctrl(ring, arg, nr);
	case IORING_REGISTER_CLONE_FILES:
		return ursa_register_clone_files(ring, arg, nr);
	case IORING_REGISTER_QUERY:
		return ursa_register_query(arg, nr);
	case IORING_REGISTER_SEND_MSG_RING:
		return -EINVAL;	/* blind only: fd -1 */
	default:
		/* Known to the ABI, not built yet (provided buffer rings,
		 * sync cancel, clock, resize, regions, zcrx, query, ...). */
		return -EOPNOTSUPP;
	}
}

int ursa_ring_register(struct ursa_ring *ring, unsigned opcode, void *arg,
		       unsigned nr_args)
{
	int ret;

	if (opcode >= IORING_REGISTER_LAST)
		return -EINVAL;
	/* Hold the ring across the call: unregistering its last ring-fd slot
	 * must not end it while we hold its lock. */
	ursa_ring_get(ring);
	pthread_mutex_lock(&ring->uring_lock);
	if (ring->submitter_tid && ring->submitter_tid != ursa_gettid()) {
		ret = -EEXIST;
	} else if (ring->restricted &&
		   !(ring->restrict_register[opcode / 64] & (1ull << (opcode % 64)))) {
		ret = -EACCES;
	} else {
		ret = do_register(ring, opcode, arg, nr_args);
	}
	pthread_mutex_unlock(&ring->uring_lock);
	ursa_ring_put(ring);
	return ret;
}
