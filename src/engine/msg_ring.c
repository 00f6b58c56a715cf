/* SPDX-License-Identifier: MIT */
/*
 * IORING_OP_MSG_RING: post a CQE on another ring (IORING_MSG_DATA) or copy
 * one of our direct descriptors into its file table (IORING_MSG_SEND_FD);
 * and IORING_REGISTER_SEND_MSG_RING, the same data message with no source
 * ring.  The target is an ursa ring of this process named by its fd; a data
 * message to a kernel ring is handed to the kernel's own SEND_MSG_RING.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "msg_ring.h"
#include "rsrc.h"

#define MSG_RING_FLAGS	(IORING_MSG_RING_CQE_SKIP | IORING_MSG_RING_FLAGS_PASS)

/*
 * The kernel keeps these fields 32 bits wide (addr and addr3 are truncated),
 * so an upper half set in the SQE is ignored there and must be here too.
 */
struct msg_op {
	uint64_t		user_data;	/* sqe->off: the target CQE's user_data */
	uint32_t		len;		/* DATA: the target CQE's res */
	uint32_t		cmd;		/* sqe->addr: IORING_MSG_* */
	uint32_t		src_fd;		/* sqe->addr3: SEND_FD source slot */
	uint32_t		dst_fd;		/* sqe->file_index: slot + 1, or the
						 * CQE flags with FLAGS_PASS */
	uint32_t		flags;		/* sqe->msg_ring_flags */
	struct ursa_file_node	*src_node;	/* SEND_FD: source file, held from
						 * the first attempt to install */
};

static int msg_prep(struct msg_op *m, const struct io_uring_sqe *sqe)
{
	if (sqe->buf_index || sqe->personality)
		return -EINVAL;
	m->src_node = NULL;
	m->user_data = sqe->off;
	m->len = sqe->len;
	m->cmd = (uint32_t)sqe->addr;
	m->src_fd = (uint32_t)sqe->addr3;
	m->dst_fd = sqe->file_index;
	m->flags = sqe->msg_ring_flags;
	if (m->flags & ~MSG_RING_FLAGS)
		return -EINVAL;
	return 0;
}

int ursa_msg_ring_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return msg_prep(ursa_req_data(req, struct msg_op), sqe);
}

void ursa_msg_ring_cleanup(struct ursa_req *req)
{
	struct msg_op *m = ursa_req_data(req, struct msg_op);

	if (m->src_node) {
		ursa_file_node_put(m->src_node);
		m->src_node = NULL;
	}
}

/* ------------------------------------------------------------ the target */

/* A kernel io_uring (one made with the kernel backend, or by the program
 * itself): the only kind of fd besides ours that can take a message. */
static bool is_kernel_ring(int fd)
{
	char path[40], link[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[io_uring]");
}

/*
 * The ring behind fd, with a reference the caller drops; NULL with *err
 * set otherwise: -EBADF for an fd that is not open, -EBADFD for a file that
 * is not an ursa ring (*kernel_ring tells whether it is a kernel one).
 */
static struct ursa_ring *target_get(int fd, int *err, bool *kernel_ring)
{
	struct ursa_ring *target = ursa_ring_lookup(fd);

	*kernel_ring = false;
	if (target) {
		ursa_ring_get(target);
		return target;
	}
	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		*err = -EBADF;
		return NULL;
	}
	*kernel_ring = is_kernel_ring(fd);
	*err = -EBADFD;
	return NULL;
}

/* The field rules of a data message (checked before the target's state). */
static int msg_data_check(const struct msg_op *m)
{
	if (m->src_fd || (m->flags & ~IORING_MSG_RING_FLAGS_PASS))
		return -EINVAL;
	if (!(m->flags & IORING_MSG_RING_FLAGS_PASS) && m->dst_fd)
		return -EINVAL;
	return 0;
}

/*
 * A data message for a kernel ring goes through the kernel's blind
 * IORING_REGISTER_SEND_MSG_RING, which makes the rest of the kernel's
 * checks.  With our field checks made first, -EINVAL from it can only mean
 * a kernel without that call (before 6.13): it cannot take the message, so
 * as for any file that is not a ring, -EBADFD.
 */
static int kernel_msg_data(int fd, const struct msg_op *m)
{
	struct io_uring_sqe sqe;
	long ret;

	ret = msg_data_check(m);
	if (ret)
		return (int)ret;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_MSG_RING;
	sqe.fd = fd;
	sqe.off = m->user_data;
	sqe.len = m->len;
	sqe.addr = IORING_MSG_DATA;
	sqe.file_index = m->dst_fd;
	sqe.msg_ring_flags = m->flags;
	ret = syscall(__NR_io_uring_register, -1, IORING_REGISTER_SEND_MSG_RING,
		      &sqe, 1);
	if (ret >= 0)
		return (int)ret;
	if (errno == EINVAL)
		return -EBADFD;
	return -errno;
}

/*
 * IORING_MSG_DATA, in the kernel's order: no source slot and no flag but
 * FLAGS_PASS, a slot number only as CQE flags, an enabled target.  The CQE
 * takes the target's shape: 32 bytes with zero extra on a CQE32 ring, and on
 * a CQE_MIXED ring 32 bytes exactly when the passed flags say IORING_CQE_F_32
 * (the kernel sizes an aux CQE by that flag), else 16.
 */
static int msg_data(struct ursa_ring *target, const struct msg_op *m)
{
	static const uint64_t zero_big[2];
	uint32_t cflags = 0;
	int ret = msg_data_check(m);

	if (ret)
		return ret;
	if (!__atomic_load_n(&target->enabled, __ATOMIC_ACQUIRE))
		return -EBADFD;
	if (m->flags & IORING_MSG_RING_FLAGS_PASS)
		cflags = m->dst_fd;
	ursa_post_cqe(target, m->user_data, (int32_t)m->len, cflags,
		      (target->cqe_mixed && (cflags & IORING_CQE_F_32)) ?
		      zero_big : NULL);
	return 0;
}

/*
 * The target's uring_lock orders our install with its own registrations, as
 * the kernel's double lock does.  The submitter may hold its own ring's
 * lock, so it only tries: a busy target sends the request to a worker,
 * which holds no ring lock and may wait.  The worker waits in slices and
 * gives up when cancelled: the lock's holder may be tearing down our ring
 * and waiting for this very worker (the kernel defers ring release; we
 * cannot).
 */
static int target_lock(struct ursa_req *req, struct ursa_ring *target,
		       unsigned issue_flags)
{
	struct timespec ts;

	if (!ursa_ring_lock_needed(target))
		return 0;
	if (!(issue_flags & URSA_ISSUE_WORKER))
		return pthread_mutex_trylock(&target->uring_lock) ?
		       URSA_ISSUE_PUNT : 0;
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!pthread_mutex_timedlock(&target->uring_lock, &ts))
			return 0;
		if (atomic_load(&req->cancel))
			return -ECANCELED;
	}
}

static void target_unlock(struct ursa_ring *target)
{
	if (ursa_ring_lock_needed(target))
		pthread_mutex_unlock(&target->uring_lock);
}

/*
 * Put the file in the target's table.  dst_fd is the slot + 1 or
 * IORING_FILE_INDEX_ALLOC; the kernel decides "alloc" on the raw value, so
 * a raw 0 is slot -1: out of range (or no table at all).  Returns the slot
 * allocated, 0 for a chosen slot, or -errno.
 */
static int install(struct ursa_ring *target, int fd, uint32_t dst_fd)
{
	int ret;

	if (dst_fd == IORING_FILE_INDEX_ALLOC) {
		ret = ursa_file_install(target, fd, IORING_FILE_INDEX_ALLOC);
		/* no table to allocate from is "no free slot" */
		return ret == -ENXIO ? -ENFILE : ret;
	}
	if (!dst_fd)
		return target->files.nodes ? -EINVAL : -ENXIO;
	/* a slot the sender chose is not news: the result is 0 */
	ret = ursa_file_install(target, fd, dst_fd - 1);
	return ret < 0 ? ret : 0;
}

/*
 * IORING_MSG_SEND_FD: the source slot's file goes into the target's table
 * (a new reference: the source keeps its own), and the target is told with
 * a CQE {user_data, res = slot or 0} unless IORING_MSG_RING_CQE_SKIP.  The
 * sender's result is the same value.  FLAGS_PASS has no effect here: the
 * field it would take the flags from names the slot.
 */
static int msg_send_fd(struct ursa_req *req, struct ursa_ring *target,
		       struct msg_op *m, unsigned issue_flags)
{
	int ret;

	if (m->len)
		return -EINVAL;
	if (target == req->ring)
		return -EINVAL;
	if (!__atomic_load_n(&target->enabled, __ATOMIC_ACQUIRE))
		return -EBADFD;
	if (!m->src_node) {
		m->src_node = ursa_file_get(req->ring, m->src_fd);
		if (!m->src_node)
			return -EBADF;
	}
	ret = target_lock(req, target, issue_flags);
	if (ret)
		return ret;
	ret = install(target, m->src_node->fd, m->dst_fd);
	if (ret >= 0) {
		ursa_file_node_put(m->src_node);
		m->src_node = NULL;
		if (!(m->flags & IORING_MSG_RING_CQE_SKIP))
			ursa_post_cqe(target, m->user_data, ret, 0, NULL);
	}
	target_unlock(target);
	return ret;
}

int ursa_msg_ring(struct ursa_req *req, unsigned issue_flags)
{
	struct msg_op *m = ursa_req_data(req, struct msg_op);
	struct ursa_ring *target;
	bool kernel_ring;
	int ret;

	/* Not a ring comes first, before the command is looked at. */
	target = target_get(req->fd, &ret, &kernel_ring);
	if (!target) {
		/* A kernel ring can take data; our direct descriptors live
		 * in our tables only, so a file cannot be sent there. */
		if (kernel_ring && m->cmd == IORING_MSG_DATA)
			return kernel_msg_data(req->fd, m);
		if (kernel_ring && m->cmd != IORING_MSG_SEND_FD)
			return -EINVAL;
		return ret;
	}
	switch (m->cmd) {
	case IORING_MSG_DATA:
		ret = msg_data(target, m);
		break;
	case IORING_MSG_SEND_FD:
		ret = msg_send_fd(req, target, m, issue_flags);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	ursa_ring_put(target);
	return ret;
}

/* ------------------------------------------------- without a source ring */

/*
 * IORING_REGISTER_SEND_MSG_RING (fd -1): one MSG_RING SQE run at once, data
 * messages only (there is no source table to send a file from).  Checks in
 * the kernel's order: the call, the SQE's flags and opcode, the fields as
 * prep checks them, the command, then the target and the data rules.
 */
int ursa_register_send_msg_ring(void *arg, unsigned nr)
{
	struct io_uring_sqe sqe;
	struct ursa_ring *target;
	struct msg_op m;
	bool kernel_ring;
	int ret;

	if (!arg || nr != 1)
		return -EINVAL;
	if (ursa_copy_from_user(&sqe, arg, sizeof(sqe)))
		return -EFAULT;
	if (sqe.flags)
		return -EINVAL;
	if (sqe.opcode != IORING_OP_MSG_RING)
		return -EINVAL;
	ret = msg_prep(&m, &sqe);
	if (ret)
		return ret;
	if (m.cmd != IORING_MSG_DATA)
		return -EINVAL;
	target = target_get(sqe.fd, &ret, &kernel_ring);
	if (!target)
		return kernel_ring ? kernel_msg_data(sqe.fd, &m) : ret;
	ret = msg_data(target, &m);
	ursa_ring_put(target);
	return ret;
}
