/* SPDX-License-Identifier: MIT */
/*
 * OPENAT, OPENAT2, CLOSE, PIPE, FIXED_FD_INSTALL: creating and dropping
 * descriptors, normal ones or direct ones (fixed-file slots).
 *
 * Opening tries once on the submitter the way the kernel does: a lookup
 * that must be served from the dentry cache (RESOLVE_CACHED) and
 * O_NONBLOCK, which is taken off again when the caller did not ask for it.
 * Anything that would need I/O (-EAGAIN), and every create, truncate or
 * O_TMPFILE open, goes to a worker.
 *
 * Direct descriptors: sqe->file_index is the slot + 1 (0: a normal fd) or
 * IORING_FILE_INDEX_ALLOC.  The file is opened as a normal fd, the table
 * takes its own dup, and ours is closed.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "fs.h"
#include "openclose.h"
#include "rsrc.h"

/* The kernel's O_LARGEFILE: glibc defines it as 0 on 64-bit systems, but
 * an application may still pass the kernel's bit, which must survive. */
#if defined(__x86_64__) || defined(__i386__)
#define K_O_LARGEFILE	0100000
#elif defined(__aarch64__) || defined(__arm__)
#define K_O_LARGEFILE	0400000
#elif defined(__powerpc__)
#define K_O_LARGEFILE	0200000
#else
#define K_O_LARGEFILE	0100000
#endif

#define K_O_TMPFILE	(O_TMPFILE & ~O_DIRECTORY)	/* __O_TMPFILE */
#define VALID_OPEN_FLAGS_ (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | \
			   O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_ASYNC | \
			   O_DIRECT | K_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | \
			   O_NOATIME | O_CLOEXEC | O_PATH | K_O_TMPFILE)
#define O_PATH_FLAGS_	(O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define OPEN_HOW_SIZE_VER0_	24
#define O_NOTIFICATION_PIPE_	O_EXCL

/* ------------------------------------------------------------ direct slots */

/*
 * Put fd in the table at the slot sqe->file_index names.  Returns the slot
 * (the kernel reports it to the application only for ALLOC), or -errno.
 * Without a table, ALLOC finds no free slot: -ENFILE, as in the kernel.
 */
static int direct_install(struct ursa_ring *ring, int fd, uint32_t file_index)
{
	int ret;

	if (file_index == IORING_FILE_INDEX_ALLOC) {
		ret = ursa_file_install(ring, fd, IORING_FILE_INDEX_ALLOC);
		return ret == -ENXIO ? -ENFILE : ret;
	}
	return ursa_file_install(ring, fd, file_index - 1);
}

/* ------------------------------------------------------------ open */

struct open_op {
	struct open_how	how;
	char		*path;
	int		dfd;
	uint32_t	file_slot;	/* sqe->file_index */
};

static _Atomic bool no_openat2;	/* the syscall is filtered: plain openat */

static int open_prep_common(struct ursa_req *req,
			    const struct io_uring_sqe *sqe)
{
	struct open_op *o = ursa_req_data(req, struct open_op);
	int ret;

	if (sqe->buf_index)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	o->dfd = sqe->fd;
	ret = ursa_getname(sqe->addr, false, &o->path);
	if (ret)
		return ret;
	o->file_slot = sqe->file_index;
	/* a table slot has no close-on-exec flag to carry */
	if (o->file_slot && (o->how.flags & O_CLOEXEC))
		return -EINVAL;
	return 0;
}

int ursa_openat_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct open_op *o = ursa_req_data(req, struct open_op);
	uint64_t flags = sqe->open_flags & VALID_OPEN_FLAGS_;

	/* openat(2)'s leniency: unknown flags are dropped, O_PATH keeps only
	 * its own, and a mode means something only when creating. */
	memset(o, 0, sizeof(*o));
	if (flags & O_PATH)
		flags &= O_PATH_FLAGS_;
	o->how.flags = flags;
	if (flags & (O_CREAT | K_O_TMPFILE))
		o->how.mode = (uint16_t)sqe->len & 07777;
	return open_prep_common(req, sqe);
}

/* The kernel's copy_struct_from_user(): a larger struct is accepted when
 * its extra bytes are zero (-E2BIG otherwise). */
static int copy_open_how(struct open_how *how, uint64_t uaddr, uint32_t usize)
{
	long ps = sysconf(_SC_PAGESIZE);	/* no syscall: libc knows it */
	unsigned char chunk[4096];
	uint64_t at = uaddr + sizeof(*how), left = usize - sizeof(*how);

	/* page by page: each piece is readable as a whole or not at all */
	while (left) {
		size_t n = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);
		size_t in_page = (size_t)(ps - (long)(at & (uint64_t)(ps - 1)));

		if (n > in_page)
			n = in_page;
		if (ursa_copy_from_user(chunk, (const void *)(uintptr_t)at, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (chunk[i])
				return -E2BIG;
		at += n;
		left -= n;
	}
	return ursa_copy_from_user(how, (const void *)(uintptr_t)uaddr,
				   sizeof(*how));
}

int ursa_openat2_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct open_op *o = ursa_req_data(req, struct open_op);
	int ret;

	memset(o, 0, sizeof(*o));
	if (sqe->len < OPEN_HOW_SIZE_VER0_)
		return -EINVAL;
	ret = copy_open_how(&o->how, sqe->addr2, sqe->len);
	if (ret)
		return ret;
	return open_prep_common(req, sqe);
}

void ursa_open_cleanup(struct ursa_req *req)
{
	struct open_op *o = ursa_req_data(req, struct open_op);

	free(o->path);
	o->path = NULL;
}

/* Is openat2 refused by a filter (seccomp) rather than by the file?  The
 * real syscall answers a NULL how with -EFAULT. */
static bool openat2_filtered(void)
{
	return syscall(SYS_openat2, AT_FDCWD, NULL, NULL,
		       sizeof(struct open_how)) < 0 &&
	       (errno == EPERM || errno == ENOSYS);
}

static int sys_open(struct ursa_req *req, struct open_op *o,
		    struct open_how *how)
{
	int fd;

	if (!atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
		fd = URSA_SYSCALL_RESTART(req, syscall(SYS_openat2, o->dfd,
						       o->path, how, sizeof(*how)));
		if (fd != -ENOSYS && (fd != -EPERM || !openat2_filtered()))
			return fd;
		atomic_store(&no_openat2, true);
	}
	if (req->opcode == IORING_OP_OPENAT2)
		return -ENOSYS;
	return URSA_SYSCALL_RESTART(req, openat(o->dfd, o->path, (int)how->flags,
						(mode_t)how->mode));
}

static int open_issue(struct ursa_req *req, unsigned issue_flags)
{
	struct open_op *o = ursa_req_data(req, struct open_op);
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	struct open_how how = o->how;
	bool cleared = false;
	int fd, ret;

	if (nonblock) {
		/* creating or truncating always needs the disk, and without
		 * openat2 there is no cached-only lookup */
		if ((how.flags & (O_TRUNC | O_CREAT | K_O_TMPFILE)) ||
		    atomic_load_explicit(&no_openat2, memory_order_relaxed))
			return URSA_ISSUE_PUNT;
		how.resolve |= RESOLVE_CACHED;
		/* O_PATH allows no other flag, and opens nothing that blocks */
		if (!(how.flags & (O_PATH | O_NONBLOCK))) {
			how.flags |= O_NONBLOCK;
			cleared = true;
		}
	}
	if (o->file_slot)
		how.flags |= O_CLOEXEC;	/* our fd is only a carrier */

	fd = sys_open(req, o, &how);
	if (fd < 0) {
		/* RESOLVE_CACHED that the application asked for is final */
		if (fd == -EAGAIN && nonblock &&
		    !(o->how.resolve & RESOLVE_CACHED))
			return URSA_ISSUE_PUNT;
		return fd;
	}
	if (cleared && fcntl(fd, F_SETFL, (int)(o->how.flags & ~O_NONBLOCK)) < 0) {
		/* e.g. an append-only file opened for reading: open it again,
		 * blocking, without the detour */
		close(fd);
		return URSA_ISSUE_PUNT;
	}
	if (!o->file_slot)
		return fd;
	ret = direct_install(req->ring, fd, o->file_slot);
	close(fd);
	if (ret < 0)
		return ret;
	return o->file_slot == IORING_FILE_INDEX_ALLOC ? ret : 0;
}

int ursa_openat(struct ursa_req *req, unsigned issue_flags)
{
	return open_issue(req, issue_flags);
}

int ursa_openat2(struct ursa_req *req, unsigned issue_flags)
{
	return open_issue(req, issue_flags);
}

/* ------------------------------------------------------------ close */

struct close_op {
	int		fd;
	uint32_t	file_slot;
};

int ursa_close_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct close_op *c = ursa_req_data(req, struct close_op);

	if (sqe->off || sqe->addr || sqe->len || sqe->rw_flags || sqe->buf_index)
		return -EINVAL;
	if (req->flags & IOSQE_FIXED_FILE)
		return -EBADF;
	c->fd = sqe->fd;
	c->file_slot = sqe->file_index;
	if (c->file_slot && c->fd)
		return -EINVAL;
	return 0;
}

/*
 * A normal fd is closed inline: close() of a file without a flush method
 * does not wait.  The kernel refuses to close an io_uring fd this way
 * (-EBADF), so an ursa ring's fd is refused too.
 */
int ursa_close_op(struct ursa_req *req, unsigned issue_flags)
{
	struct close_op *c = ursa_req_data(req, struct close_op);

	(void)issue_flags;
	if (c->file_slot)
		return ursa_file_remove(req->ring, c->file_slot - 1);
	if (c->fd < 0 || ursa_ring_lookup(c->fd))
		return -EBADF;
	/* Linux releases the fd even when close() reports EINTR */
	return close(c->fd) < 0 ? -errno : 0;
}

/* ------------------------------------------------------------ pipe */

struct pipe_op {
	uint64_t	ufds;		/* int[2] in application memory */
	int		flags;
	uint32_t	file_slot;
};

int ursa_pipe_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct pipe_op *p = ursa_req_data(req, struct pipe_op);

	if (sqe->fd || sqe->off || sqe->addr3)
		return -EINVAL;
	p->ufds = sqe->addr;
	p->flags = (int)sqe->pipe_flags;
	if (p->flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE_))
		return -EINVAL;
	p->file_slot = sqe->file_index;
	return 0;
}

/* Both ends into the table: the read end at the slot named (or any free
 * one), the write end at the next (or any free one). */
static int pipe_direct(struct ursa_req *req, struct pipe_op *p, int fds[2])
{
	bool alloc = p->file_slot == IORING_FILE_INDEX_ALLOC;
	int slots[2], ret;

	slots[0] = direct_install(req->ring, fds[0], p->file_slot);
	if (slots[0] < 0)
		return slots[0];
	slots[1] = direct_install(req->ring, fds[1],
				  alloc ? p->file_slot : p->file_slot + 1);
	if (slots[1] < 0) {
		ursa_file_remove(req->ring, (unsigned)slots[0]);
		return slots[1];
	}
	ret = ursa_copy_to_user((void *)(uintptr_t)p->ufds, slots, sizeof(slots));
	if (ret) {
		ursa_file_remove(req->ring, (unsigned)slots[0]);
		ursa_file_remove(req->ring, (unsigned)slots[1]);
	}
	return ret;
}

int ursa_pipe(struct ursa_req *req, unsigned issue_flags)
{
	struct pipe_op *p = ursa_req_data(req, struct pipe_op);
	int fds[2], ret;

	(void)issue_flags;
	if (pipe2(fds, p->file_slot ? (p->flags | O_CLOEXEC) : p->flags) < 0)
		return -errno;
	if (p->file_slot) {
		ret = (p->flags & O_CLOEXEC) ? -EINVAL : pipe_direct(req, p, fds);
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	/* The kernel installs the fds only once the application has them. */
	ret = ursa_copy_to_user((void *)(uintptr_t)p->ufds, fds, sizeof(fds));
	if (ret) {
		close(fds[0]);
		close(fds[1]);
	}
	return ret;
}

/* ------------------------------------------------------------ fixed fd install */

struct install_op {
	int	cmd;		/* F_DUPFD_CLOEXEC or F_DUPFD */
};

int ursa_fixed_fd_install_prep(struct ursa_req *req,
			       const struct io_uring_sqe *sqe)
{
	struct install_op *in = ursa_req_data(req, struct install_op);
	uint32_t flags;

	if (sqe->off || sqe->addr || sqe->len || sqe->buf_index ||
	    sqe->splice_fd_in || sqe->addr3)
		return -EINVAL;
	/* only a direct descriptor can be turned into a normal one */
	if (!(req->flags & IOSQE_FIXED_FILE))
		return -EBADF;
	flags = sqe->install_fd_flags;
	if (flags & ~IORING_FIXED_FD_NO_CLOEXEC)
		return -EINVAL;
	/* the new fd is the submitter's own: no borrowed credentials */
	if (req->flags & REQ_F_PERSONALITY)
		return -EPERM;
	in->cmd = (flags & IORING_FIXED_FD_NO_CLOEXEC) ? F_DUPFD : F_DUPFD_CLOEXEC;
	return 0;
}

int ursa_fixed_fd_install(struct ursa_req *req, unsigned issue_flags)
{
	struct install_op *in = ursa_req_data(req, struct install_op);
	int fd;

	(void)issue_flags;
	/* req->fd is the table's own dup; the new fd shares its file */
	fd = fcntl(req->fd, in->cmd, 0);
	return fd < 0 ? -errno : fd;
}
