/* SPDX-License-Identifier: MIT */
/*
 * Socket opcodes: SOCKET, BIND, LISTEN, ACCEPT, CONNECT, SHUTDOWN, SEND,
 * RECV, SENDMSG, RECVMSG, SEND_ZC and SENDMSG_ZC.
 *
 * Transfers make one attempt with MSG_DONTWAIT on the issuing thread; a
 * socket that is not ready parks the request on the ring's epoll set, as
 * the kernel arms a poll and retries.  accept(2) and connect(2) have no
 * per-call "don't wait" flag, and ursa never changes the application's file
 * flags: on a socket left blocking (no O_NONBLOCK), accept waits for
 * readiness and then accepts on a worker, connect runs on a worker; a
 * cancellation interrupts the worker.  Neither can stall the submitter or
 * the reactor, whoever else uses the socket.
 *
 * The kernel decides some things by the socket's protocol (MSG_WAITALL
 * retries only streams, IORING_CQE_F_SOCK_NONEMPTY only where the protocol
 * reports its queue, zero copy only TCP and UDP); ursa asks getsockopt()
 * the first time a request needs to know, and keeps the answer.
 *
 * Zero copy: SEND_ZC and SENDMSG_ZC send by copying, which is what the
 * kernel itself does on loopback.  They keep the two-CQE protocol: the
 * result carries IORING_CQE_F_MORE and an IORING_CQE_F_NOTIF CQE follows
 * once the buffer may be reused (at once, since it was copied); with
 * IORING_SEND_ZC_REPORT_USAGE that notification says the data was copied.
 *
 * Provided buffers: receives take them when data is there (a would-block
 * gives them back); sends take them from the group at selection and hold
 * them while they wait for room (send_select), as the kernel does; a
 * MSG_WAITALL receive that got part of its data holds its buffer likewise.
 * Whatever ends such a request, its CQE names the buffer (ursa_sr_fail for
 * the ends decided outside the issue function).
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "net.h"
#include "kbuf.h"
#include "rsrc.h"

#define UIO_MAXIOV_	1024
#define MAX_RW_COUNT	(INT_MAX & ~4095L)
#define NET_FASTIOV	8

/* What the kernel decides by protocol, learnt with getsockopt(). */
enum sock_kind {
	SK_UNKNOWN = 0,
	SK_TCP,			/* SOCK_STREAM, IPPROTO_TCP */
	SK_UDP,			/* SOCK_DGRAM, IPPROTO_UDP(LITE) */
	SK_UNIX_STREAM,
	SK_STREAM,		/* another stream protocol */
	SK_SEQPACKET,
	SK_OTHER,		/* datagrams, raw */
};

static int getsockopt_int(int fd, int name, int *v)
{
	socklen_t len = sizeof(*v);

	return getsockopt(fd, SOL_SOCKET, name, v, &len) < 0 ? -errno : 0;
}

/* SK_* of fd, or -errno (-ENOTSOCK, -EBADF). */
static int sock_kind_of(int fd)
{
	int type, proto, dom, ret;

	ret = getsockopt_int(fd, SO_TYPE, &type);
	if (ret)
		return ret;
	if (type == SOCK_SEQPACKET)
		return SK_SEQPACKET;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return SK_OTHER;
	ret = getsockopt_int(fd, SO_PROTOCOL, &proto);
	if (ret)
		return ret;
	if (type == SOCK_STREAM && proto == IPPROTO_TCP)
		return SK_TCP;
	if (type == SOCK_DGRAM)
		return proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ? SK_UDP
								       : SK_OTHER;
	ret = getsockopt_int(fd, SO_DOMAIN, &dom);
	if (ret)
		return ret;
	return dom == AF_UNIX ? SK_UNIX_STREAM : SK_STREAM;
}

/* Readable right now (data queued, or for TCP a FIN as well)? */
static bool sock_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/*
 * The end of a TCP stream: did the peer's FIN arrive (the kernel then
 * reports something left to read), or did we only stop reading (SHUT_RD)?
 * The connection's state tells.
 */
static bool tcp_fin_received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return false;
	switch (ti.tcpi_state) {
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
	case TCP_TIME_WAIT:
		return true;
	default:
		return false;
	}
}

static bool canceled(struct ursa_req *req)
{
	return atomic_load(&req->cancel) != 0;
}

/*
 * The kernel's move_addr_to_kernel(): a length outside [0, sizeof(struct
 * sockaddr_storage)] is -EINVAL, 0 copies nothing, a bad pointer -EFAULT.
 */
static int copy_addr_in(struct sockaddr_storage *dst, uint64_t uaddr, int len)
{
	if (len < 0 || len > (int)sizeof(*dst))
		return -EINVAL;
	if (!len)
		return 0;
	return ursa_copy_from_user(dst, (const void *)(uintptr_t)uaddr,
				   (size_t)len);
}

/* ------------------------------------------------------------------ SOCKET */

struct net_socket {
	int32_t		domain;
	int32_t		type;		/* with SOCK_CLOEXEC / SOCK_NONBLOCK */
	int32_t		protocol;
	uint32_t	file_slot;	/* sqe->file_index: slot + 1, or ALLOC */
};

int ursa_socket_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_socket *s = ursa_req_data(req, struct net_socket);
	int flags;

	if (sqe->addr || sqe->rw_flags || sqe->buf_index)
		return -EINVAL;
	s->domain = sqe->fd;
	s->type = (int32_t)sqe->off;
	s->protocol = (int32_t)sqe->len;
	s->file_slot = sqe->file_index;
	flags = s->type & ~0xf;		/* ~SOCK_TYPE_MASK */
	if (s->file_slot && (flags & SOCK_CLOEXEC))
		return -EINVAL;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	return 0;
}

/* Put a new fd in the slot file_slot names and close ours (the table holds
 * its own dup).  The slot for ALLOC, 0 for a given slot, or -errno. */
static int net_install_direct(struct ursa_ring *ring, int fd, uint32_t file_slot)
{
	int ret;

	if (file_slot == IORING_FILE_INDEX_ALLOC) {
		ret = ursa_file_install(ring, fd, IORING_FILE_INDEX_ALLOC);
		if (ret == -ENXIO)
			ret = -ENFILE;	/* no table: no free slot */
	} else {
		ret = ursa_file_install(ring, fd, file_slot - 1);
		if (ret >= 0)
			ret = 0;
	}
	close(fd);
	return ret;
}

int ursa_socket(struct ursa_req *req, unsigned issue_flags)
{
	struct net_socket *s = ursa_req_data(req, struct net_socket);
	int type = s->type, fd;

	(void)issue_flags;
	/* Our temporary fd for a direct descriptor must not leak into a fork. */
	if (s->file_slot)
		type |= SOCK_CLOEXEC;
	fd = socket(s->domain, type, s->protocol);
	if (fd < 0)
		return -errno;
	if (!s->file_slot)
		return fd;
	return net_install_direct(req->ring, fd, s->file_slot);
}

/* ------------------------------------------------------- BIND and CONNECT */

struct net_addr_op {
	struct sockaddr_storage	*addr;		/* copied at prep */
	int32_t			addr_len;
	int8_t			blocking;	/* -1: not known yet */
	bool			in_progress;	/* connect said EINPROGRESS */
	bool			seen_econnaborted;
};

static int addr_op_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_addr_op *a = ursa_req_data(req, struct net_addr_op);

	memset(a, 0, sizeof(*a));
	a->blocking = -1;
	if (sqe->len || sqe->buf_index || sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	a->addr_len = (int32_t)sqe->addr2;
	a->addr = calloc(1, sizeof(*a->addr));
	if (!a->addr)
		return -ENOMEM;
	return copy_addr_in(a->addr, sqe->addr, a->addr_len);
}

void ursa_net_addr_cleanup(struct ursa_req *req)
{
	struct net_addr_op *a = ursa_req_data(req, struct net_addr_op);

	free(a->addr);
	a->addr = NULL;
}

int ursa_bind_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return addr_op_prep(req, sqe);
}

int ursa_bind(struct ursa_req *req, unsigned issue_flags)
{
	struct net_addr_op *a = ursa_req_data(req, struct net_addr_op);

	(void)issue_flags;
	if (bind(req->fd, (struct sockaddr *)a->addr, (socklen_t)a->addr_len) < 0)
		return -errno;
	return 0;
}

int ursa_connect_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	return addr_op_prep(req, sqe);
}

/*
 * The kernel's rules: a nonblocking attempt that says EAGAIN, EINPROGRESS
 * or (once) ECONNABORTED waits for writability and connects again; the
 * second connect(2) gives the outcome (0, or the error), and EISCONN after
 * EINPROGRESS means "done", whose result is the socket's pending error.
 * EALREADY (someone else's connect in flight) is a result, not a retry.
 */
int ursa_connect(struct ursa_req *req, unsigned issue_flags)
{
	struct net_addr_op *a = ursa_req_data(req, struct net_addr_op);
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	int ret;

	if (a->blocking < 0) {
		int fl = fcntl(req->fd, F_GETFL);

		if (fl < 0)
			return -errno;
		a->blocking = !(fl & O_NONBLOCK);
	}
	/* A blocking socket would block right here: that is a worker's job. */
	if (a->blocking && nonblock)
		return URSA_ISSUE_PUNT;
	for (;;) {
		ret = connect(req->fd, (struct sockaddr *)a->addr,
			      (socklen_t)a->addr_len) < 0 ? -errno : 0;
		if (!a->blocking && nonblock &&
		    (ret == -EAGAIN || ret == -EINPROGRESS || ret == -ECONNABORTED)) {
			if (ret == -EINPROGRESS) {
				a->in_progress = true;
			} else if (ret == -ECONNABORTED) {
				if (a->seen_econnaborted)
					break;
				a->seen_econnaborted = true;
			}
			return URSA_ISSUE_RETRY;
		}
		if (ret == -EINTR && a->blocking) {
			/* Cancelled, as a poll-armed connect would be; a stray
			 * signal leaves the connection going: connect(2) again
			 * waits for it. */
			if (canceled(req))
				return -ECANCELED;
			a->in_progress = true;
			continue;
		}
		break;
	}
	if (a->in_progress && (ret == -EBADFD || ret == -EISCONN)) {
		int err = 0;

		ret = getsockopt_int(req->fd, SO_ERROR, &err);
		if (!ret)
			ret = -err;
	}
	return ret;
}

/* ------------------------------------------------------------------ LISTEN */

struct net_listen {
	int32_t		backlog;
};

int ursa_listen_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_listen *l = ursa_req_data(req, struct net_listen);

	if (sqe->addr || sqe->buf_index || sqe->rw_flags || sqe->splice_fd_in ||
	    sqe->addr2)
		return -EINVAL;
	l->backlog = (int32_t)sqe->len;
	return 0;
}

int ursa_listen(struct ursa_req *req, unsigned issue_flags)
{
	struct net_listen *l = ursa_req_data(req, struct net_listen);

	(void)issue_flags;
	return listen(req->fd, l->backlog) < 0 ? -errno : 0;
}

/* ---------------------------------------------------------------- SHUTDOWN */

struct net_shutdown {
	int32_t		how;
};

int ursa_shutdown_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_shutdown *s = ursa_req_data(req, struct net_shutdown);

	if (sqe->off || sqe->addr || sqe->rw_flags || sqe->buf_index ||
	    sqe->splice_fd_in)
		return -EINVAL;
	s->how = (int32_t)sqe->len;
	return 0;
}

/* The kernel hands shutdown to io-wq; shutdown(2) never waits, so ursa
 * runs it inline. */
int ursa_shutdown(struct ursa_req *req, unsigned issue_flags)
{
	struct net_shutdown *s = ursa_req_data(req, struct net_shutdown);

	(void)issue_flags;
	return shutdown(req->fd, s->how) < 0 ? -errno : 0;
}

/* ------------------------------------------------------------------ ACCEPT */

#define ACCEPT_FLAGS (IORING_ACCEPT_MULTISHOT | IORING_ACCEPT_DONTWAIT |	\
		      IORING_ACCEPT_POLL_FIRST)

struct net_accept {
	uint64_t	addr;		/* struct sockaddr * for the peer, or 0 */
	uint64_t	addr_len;	/* socklen_t * */
	int32_t		flags;		/* SOCK_CLOEXEC | SOCK_NONBLOCK */
	uint32_t	file_slot;	/* sqe->file_index */
	uint16_t	iou_flags;	/* IORING_ACCEPT_* */
	int8_t		blocking;	/* -1: not known yet */
	int8_t		kind;		/* SK_*, once needed */
};

int ursa_accept_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_accept *a = ursa_req_data(req, struct net_accept);

	if (sqe->len || sqe->buf_index)
		return -EINVAL;
	a->addr = sqe->addr;
	a->addr_len = sqe->addr2;
	a->flags = (int32_t)sqe->accept_flags;
	a->iou_flags = sqe->ioprio;
	a->blocking = -1;
	a->kind = SK_UNKNOWN;
	if (a->iou_flags & ~ACCEPT_FLAGS)
		return -EINVAL;
	a->file_slot = sqe->file_index;
	if (a->file_slot) {
		if (a->flags & SOCK_CLOEXEC)
			return -EINVAL;
		if ((a->iou_flags & IORING_ACCEPT_MULTISHOT) &&
		    a->file_slot != IORING_FILE_INDEX_ALLOC)
			return -EINVAL;
	}
	if (a->flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	return 0;
}

/*
 * Once per request: is accept(2) on this fd able to block?  Only on a
 * listening socket without O_NONBLOCK; anything else (not a socket, not
 * listening, nonblocking) fails or returns at once.
 */
static int accept_probe(struct ursa_req *req, struct net_accept *a)
{
	int listening, fl, ret;

	if (a->blocking >= 0)
		return 0;
	ret = getsockopt_int(req->fd, SO_ACCEPTCONN, &listening);
	if (ret)
		return ret;
	if (!listening) {
		a->blocking = 0;
		return 0;
	}
	fl = fcntl(req->fd, F_GETFL);
	if (fl < 0)
		return -errno;
	a->blocking = !(fl & O_NONBLOCK);
	return 0;
}

/* The kernel reports a non-empty accept queue for TCP listeners only. */
static bool accept_is_tcp(struct ursa_req *req, struct net_accept *a)
{
	if (a->kind == SK_UNKNOWN) {
		int k = sock_kind_of(req->fd);

		a->kind = (int8_t)(k < 0 ? SK_OTHER : k);
	}
	return a->kind == SK_TCP;
}

/*
 * A blocking listener (no O_NONBLOCK) cannot be asked not to wait, so
 * accept(2) is called only once poll(2) shows a queued connection, and only
 * on a worker: there, losing that connection to another acceptor just keeps
 * the worker waiting (a cancellation interrupts it).  Until then the request
 * waits for readiness like any other, where cancelling finds it.
 */
int ursa_accept(struct ursa_req *req, unsigned issue_flags)
{
	struct net_accept *a = ursa_req_data(req, struct net_accept);
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	bool dontwait = a->iou_flags & IORING_ACCEPT_DONTWAIT;
	bool multi = a->iou_flags & IORING_ACCEPT_MULTISHOT;
	bool on_worker, ready = false;
	int flags = a->flags, ret;

	if (!(req->flags & REQ_F_POLLED) &&
	    (a->iou_flags & IORING_ACCEPT_POLL_FIRST))
		return dontwait ? -EAGAIN : URSA_ISSUE_RETRY;
	ret = accept_probe(req, a);
	if (ret)
		return ret;
	on_worker = !nonblock ||
		    atomic_load(&req->worker_tid) == (int)ursa_gettid();
	if (a->file_slot)
		flags |= SOCK_CLOEXEC;	/* our temporary fd */
	for (;;) {
		uint32_t cflags = 0;
		bool more = false;
		int fd;

		if (a->blocking) {
			if (canceled(req))
				return -ECANCELED;
			if (!ready && !sock_readable(req->fd))
				return dontwait ? -EAGAIN : URSA_ISSUE_RETRY;
			if (!on_worker)
				return URSA_ISSUE_PUNT;
		}
		/* The raw call: a sanitizer's wrapper would read the
		 * length through a pointer the kernel is to judge. */
		fd = (int)syscall(SYS_accept4, req->fd, (uintptr_t)a->addr,
				  (uintptr_t)a->addr_len, flags);
		if (fd < 0) {
			ret = -errno;
			if (ret == -EAGAIN && !a->blocking && !dontwait)
				return URSA_ISSUE_RETRY;
			if (ret == -EINTR) {
				/* Only the cancel signal reaches a worker: a
				 * waiting accept is cancelled with this. */
				if (canceled(req))
					return -ECANCELED;
				ready = false;
				continue;
			}
		} else if (a->file_slot) {
			ret = net_install_direct(req->ring, fd, a->file_slot);
		} else {
			ret = fd;
		}
		if (ret >= 0) {
			more = sock_readable(req->fd);
			if (more && accept_is_tcp(req, a))
				cflags = IORING_CQE_F_SOCK_NONEMPTY;
		}
		/* Multishot: post this one and take the next; a CQ that
		 * cannot take it makes this the final CQE, as the kernel. */
		if (ret >= 0 && multi &&
		    ursa_post_cqe_more_flags(req->ring, req->user_data, ret,
					     cflags)) {
			/* The queue is empty: wait for the next connection
			 * rather than ask accept(2) again. */
			if (!more)
				return dontwait ? -EAGAIN : URSA_ISSUE_RETRY;
			ready = true;
			continue;
		}
		req->cflags = cflags;
		return ret;
	}
}

/* ------------------------------------------------------ send and receive */

/* The heap part of a message transfer (the kernel's io_async_msghdr). */
struct net_msg {
	struct msghdr		msg;		/* what the syscall gets */
	struct iovec		*iov;		/* start of our iovec array */
	uint64_t		umsg;		/* RECVMSG: the application's msghdr */
	uint64_t		uaddr;		/* RECVMSG: its msg_name */
	size_t			controllen;	/* RECVMSG: as given */
	int			mshot_namelen;	/* multishot RECVMSG: name area */
	struct sockaddr_storage	addr;		/* destination, or the name received */
	struct iovec		fast[NET_FASTIOV];
};

struct net_sr {
	uint64_t	buf;		/* plain SEND/RECV: next byte */
	uint32_t	len;		/* plain SEND/RECV: bytes left */
	uint32_t	done_io;	/* moved by earlier rounds (MSG_WAITALL) */
	uint32_t	msg_flags;	/* sqe->msg_flags (+ MSG_NOSIGNAL to send) */
	uint16_t	flags;		/* sqe->ioprio: IORING_RECVSEND_* */
	uint16_t	buf_group;	/* IOSQE_BUFFER_SELECT: the group */
	uint16_t	buf_index;	/* IORING_RECVSEND_FIXED_BUF: the buffer */
	int8_t		kind;		/* SK_*, once needed */
	bool		send;
	bool		is_msg;		/* SENDMSG/RECVMSG (their msghdr) */
	bool		zc;		/* SEND_ZC / SENDMSG_ZC */
	bool		notif;		/* a notification CQE follows ours */
	bool		report;		/* IORING_SEND_ZC_REPORT_USAGE */
	bool		fixed_ok;	/* registered buffer checked */
	/* Sends from provided buffers: what the request holds, for its CQE. */
	bool		sel_held;	/* selected buffer(s) are the request's */
	bool		bundle_more;	/* a bundle round done: pend_res to post */
	uint32_t	sel_len;	/* sqe->len: at most this much (0: all) */
	uint32_t	sel_cflags;	/* IORING_CQE_F_BUFFER | first bid */
	int32_t		pend_res;	/* that round's result */
	uint32_t	pend_cflags;
	struct net_msg	*m;		/* NULL for a plain SEND/RECV */
};

#define SENDMSG_FLAGS (IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_BUNDLE |	\
		       IORING_SEND_VECTORIZED)
#define RECVMSG_FLAGS (IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT |	\
		       IORING_RECVSEND_BUNDLE)
#define ZC_FLAGS_COMMON (IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_FIXED_BUF | \
			 IORING_SEND_VECTORIZED)
#define ZC_FLAGS_VALID	(ZC_FLAGS_COMMON | IORING_SEND_ZC_REPORT_USAGE)

static struct net_msg *sr_msg_alloc(struct net_sr *sr)
{
	struct net_msg *m = calloc(1, sizeof(*m));

	if (m) {
		m->iov = m->fast;
		m->msg.msg_iov = m->fast;
	}
	sr->m = m;
	return m;
}

/*
 * Copy an iovec array for a transfer, as the kernel's import: more than
 * UIO_MAXIOV entries is -EINVAL, a negative length -EINVAL, and the total
 * is clamped to MAX_RW_COUNT.
 */
static int import_iovec(struct net_msg *m, uint64_t uvec, uint64_t nr)
{
	uint64_t total = 0;
	size_t i;

	if (nr > UIO_MAXIOV_)
		return -EINVAL;
	if (nr > NET_FASTIOV) {
		m->iov = malloc(sizeof(struct iovec) * nr);
		if (!m->iov) {
			m->iov = m->fast;
			return -ENOMEM;
		}
	}
	m->msg.msg_iov = m->iov;
	m->msg.msg_iovlen = 0;
	if (nr && ursa_copy_from_user(m->iov, (const void *)(uintptr_t)uvec,
				      sizeof(struct iovec) * nr))
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		if ((ssize_t)m->iov[i].iov_len < 0)
			return -EINVAL;
		if (m->iov[i].iov_len > (uint64_t)MAX_RW_COUNT - total)
			m->iov[i].iov_len = (size_t)((uint64_t)MAX_RW_COUNT - total);
		total += m->iov[i].iov_len;
	}
	m->msg.msg_iovlen = nr;
	return 0;
}

/*
 * The application's msghdr, read once at prep (IORING_FEAT_SUBMIT_STABLE),
 * with the kernel's checks (__copy_msghdr): a negative name length is
 * -EINVAL, a longer one is clamped to sockaddr_storage, more than
 * UIO_MAXIOV iovecs is -EMSGSIZE.  A send's destination is copied now; a
 * receive remembers where the name and the results go.
 */
static int msg_copy_hdr(struct ursa_req *req, struct net_sr *sr, uint64_t umsg)
{
	struct net_msg *m = sr->m;
	struct msghdr hdr;
	int namelen;

	/* Only the fields the kernel reads: msg_flags may lie past the end
	 * of the application's memory. */
	if (ursa_copy_from_user(&hdr, (const void *)(uintptr_t)umsg,
				offsetof(struct msghdr, msg_flags)))
		return -EFAULT;
	namelen = (int)hdr.msg_namelen;
	if (!hdr.msg_name)
		namelen = 0;
	if (namelen < 0)
		return -EINVAL;
	if (namelen > (int)sizeof(struct sockaddr_storage))
		namelen = sizeof(struct sockaddr_storage);
	m->umsg = umsg;
	m->msg.msg_control = hdr.msg_control;
	m->msg.msg_controllen = hdr.msg_controllen;
	m->controllen = hdr.msg_controllen;
	if (sr->send) {
		if (hdr.msg_name && namelen) {
			if (ursa_copy_from_user(&m->addr, hdr.msg_name,
						(size_t)namelen))
				return -EFAULT;
			m->msg.msg_name = &m->addr;
			m->msg.msg_namelen = (socklen_t)namelen;
		}
	} else {
		m->uaddr = (uint64_t)(uintptr_t)hdr.msg_name;
		/* A multishot RECVMSG sizes its name area from the raw
		 * length, even without a msg_name, as the kernel does. */
		m->mshot_namelen = (int)hdr.msg_namelen;
	}
	if (hdr.msg_iovlen > UIO_MAXIOV_)
		return -EMSGSIZE;
	if (req->flags & IOSQE_BUFFER_SELECT) {
		/* The buffer comes from the group: the iovec gives at most
		 * one length.  (Selection itself: net_select_buffer.) */
		struct iovec one = { 0 };

		if (hdr.msg_iovlen > 1)
			return -EINVAL;
		if (hdr.msg_iovlen &&
		    ursa_copy_from_user(&one, hdr.msg_iov, sizeof(one)))
			return -EFAULT;
		sr->len = (uint32_t)one.iov_len;
		return 0;
	}
	return import_iovec(m, (uint64_t)(uintptr_t)hdr.msg_iov, hdr.msg_iovlen);
}

/*
 * A SEND/SEND_ZC destination (sqe->addr2, sqe->addr_len), copied at prep.
 * A pointer with length 0 is kept with length 0: the protocol decides
 * (UDP says -EINVAL, a connected stream ignores it), as in the kernel.
 */
static int send_addr(struct net_sr *sr, uint64_t uaddr, uint16_t len)
{
	struct net_msg *m = sr->m;
	int ret;

	ret = copy_addr_in(&m->addr, uaddr, len);
	if (ret)
		return ret;
	m->msg.msg_name = &m->addr;
	m->msg.msg_namelen = len;
	return 0;
}

/* SEND / SEND_ZC: the buffer, or the iovecs with IORING_SEND_VECTORIZED. */
static int send_setup(struct ursa_req *req, struct net_sr *sr,
		      const struct io_uring_sqe *sqe)
{
	uint64_t len = sqe->len;

	if (sqe->__pad3[0])
		return -EINVAL;
	sr->buf = sqe->addr;
	if (sqe->addr2 || (sr->flags & IORING_SEND_VECTORIZED)) {
		if (!sr_msg_alloc(sr))
			return -ENOMEM;
		if (sqe->addr2) {
			int ret = send_addr(sr, sqe->addr2, sqe->addr_len);

			if (ret)
				return ret;
		}
	}
	if (req->flags & IOSQE_BUFFER_SELECT)
		return 0;
	if (sr->flags & IORING_SEND_VECTORIZED)
		return import_iovec(sr->m, sqe->addr, len);
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	sr->len = (uint32_t)len;
	if (sr->m) {
		sr->m->fast[0].iov_base = (void *)(uintptr_t)sr->buf;
		sr->m->fast[0].iov_len = sr->len;
		sr->m->msg.msg_iovlen = 1;
	}
	return 0;
}

static void sr_init(struct ursa_req *req, struct net_sr *sr, bool send)
{
	memset(sr, 0, sizeof(*sr));
	sr->send = send;
	sr->is_msg = req->opcode == IORING_OP_SENDMSG ||
		     req->opcode == IORING_OP_RECVMSG ||
		     req->opcode == IORING_OP_SENDMSG_ZC;
}

int ursa_send_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_sr *sr = ursa_req_data(req, struct net_sr);

	sr_init(req, sr, true);
	if (req->opcode != IORING_OP_SEND && (sqe->addr2 || sqe->file_index))
		return -EINVAL;
	sr->len = sqe->len;
	sr->flags = sqe->ioprio;
	if (sr->flags & ~SENDMSG_FLAGS)
		return -EINVAL;
	sr->msg_flags = sqe->msg_flags | MSG_NOSIGNAL;
	if (sr->flags & IORING_RECVSEND_BUNDLE) {
		/* Bundles are provided-buffer sends (kbuf.c). */
		if (req->opcode == IORING_OP_SENDMSG)
			return -EINVAL;
		sr->msg_flags |= MSG_WAITALL;
	}
	if (req->flags & IOSQE_BUFFER_SELECT) {
		sr->buf_group = sqe->buf_group;
		sr->sel_len = sqe->len;
	}
	if (!sr->is_msg)
		return send_setup(req, sr, sqe);
	if (!sr_msg_alloc(sr))
		return -ENOMEM;
	return msg_copy_hdr(req, sr, sqe->addr);
}

/*
 * From the point the kernel allocates the notification on, every outcome
 * (failures included) is the result with IORING_CQE_F_MORE, then the
 * notification: req->cflags carries F_MORE from here, and the cleanup
 * posts the notification after the request's CQE.
 */
int ursa_send_zc_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_sr *sr = ursa_req_data(req, struct net_sr);

	sr_init(req, sr, true);
	sr->zc = true;
	if (sqe->__pad2[0] || sqe->addr3)
		return -EINVAL;
	/* the kernel does not do IOSQE_CQE_SKIP_SUCCESS here (yet) */
	if (req->flags & IOSQE_CQE_SKIP_SUCCESS)
		return -EINVAL;
	sr->notif = true;
	req->cflags = IORING_CQE_F_MORE;
	sr->flags = sqe->ioprio;
	if (sr->flags & ~ZC_FLAGS_VALID)
		return -EINVAL;
	sr->report = sr->flags & IORING_SEND_ZC_REPORT_USAGE;
	if (req->opcode != IORING_OP_SEND_ZC && (sqe->addr2 || sqe->file_index))
		return -EINVAL;
	/* Registered buffers are imported one range at a time, not as a
	 * vector of them. */
	if ((sr->flags & (IORING_SEND_VECTORIZED | IORING_RECVSEND_FIXED_BUF)) ==
	    (IORING_SEND_VECTORIZED | IORING_RECVSEND_FIXED_BUF))
		return -EINVAL;
	sr->len = sqe->len;
	/* Never the socket's own MSG_ZEROCOPY: its completions would come
	 * through the error queue, after the notification we post. */
	sr->msg_flags = (sqe->msg_flags | MSG_NOSIGNAL) & ~MSG_ZEROCOPY;
	sr->buf_index = sqe->buf_index;
	if (!sr->is_msg)
		return send_setup(req, sr, sqe);
	if (!sr_msg_alloc(sr))
		return -ENOMEM;
	return msg_copy_hdr(req, sr, sqe->addr);
}

int ursa_recv_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct net_sr *sr = ursa_req_data(req, struct net_sr);
	uint64_t len;

	sr_init(req, sr, false);
	if (sqe->file_index || sqe->addr2)
		return -EINVAL;
	sr->buf = sqe->addr;
	len = sqe->len;
	sr->flags = sqe->ioprio;
	if (sr->flags & ~RECVMSG_FLAGS)
		return -EINVAL;
	sr->msg_flags = sqe->msg_flags;
	if (req->flags & IOSQE_BUFFER_SELECT)
		sr->buf_group = sqe->buf_group;
	if (sr->flags & IORING_RECV_MULTISHOT) {
		if (!(req->flags & IOSQE_BUFFER_SELECT))
			return -EINVAL;
		if (sr->msg_flags & MSG_WAITALL)
			return -EINVAL;
	}
	if ((sr->flags & IORING_RECVSEND_BUNDLE) &&
	    req->opcode == IORING_OP_RECVMSG)
		return -EINVAL;
	if (sr->is_msg) {
		int ret;

		if (!sr_msg_alloc(sr))
			return -ENOMEM;
		ret = msg_copy_hdr(req, sr, sqe->addr);
		if (ret || !(sr->flags & IORING_RECV_MULTISHOT))
			return ret;
		/* Each buffer starts with io_uring_recvmsg_out, the name and
		 * the control area: their sum must fit in an int. */
		if (sr->m->mshot_namelen < 0 ||
		    sizeof(struct io_uring_recvmsg_out) +
		    (uint64_t)sr->m->mshot_namelen > INT_MAX ||
		    sr->m->controllen > INT_MAX -
		    sizeof(struct io_uring_recvmsg_out) -
		    (uint64_t)sr->m->mshot_namelen)
			return -EOVERFLOW;
		return 0;
	}
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	sr->len = (uint32_t)len;
	/* MSG_WAITALL needs the returned msg_flags (MSG_TRUNC fails it). */
	if ((sr->msg_flags & MSG_WAITALL) && !(req->flags & IOSQE_BUFFER_SELECT)) {
		if (!sr_msg_alloc(sr))
			return -ENOMEM;
		sr->m->fast[0].iov_base = (void *)(uintptr_t)sr->buf;
		sr->m->fast[0].iov_len = sr->len;
		sr->m->msg.msg_iovlen = 1;
	}
	return 0;
}

void ursa_sr_cleanup(struct ursa_req *req)
{
	struct net_sr *sr = ursa_req_data(req, struct net_sr);
	struct ursa_ring *ring = req->ring;

	if (sr->notif) {
		/* The request's own CQE may still sit in the submitter's
		 * batch: post it first, the notification goes after it.
		 * Once prep got this far the kernel posts it whatever the
		 * outcome, a cancelled link included. */
		int32_t res = sr->report ? (int32_t)IORING_NOTIF_USAGE_ZC_COPIED : 0;

		if (ursa_in_submit(ring))
			ursa_flush_compl(ring);
		if (!ursa_batch_post(ring, req->user_data, res,
				     IORING_CQE_F_NOTIF, NULL))
			ursa_post_cqe(ring, req->user_data, res,
				      IORING_CQE_F_NOTIF, NULL);
		sr->notif = false;
	}
	if (sr->m) {
		if (sr->m->iov != sr->m->fast)
			free(sr->m->iov);
		free(sr->m);
		sr->m = NULL;
	}
}

/*
 * The kernel's ->fail for send and receive: a request that ends with an
 * error after moving data (a MSG_WAITALL transfer cancelled while it waits
 * for the rest) reports the bytes moved; buffers it selected go back to
 * the application in the CQE; a zero-copy send still announces its
 * notification.  Called for failures decided outside the issue function
 * (cancellation, a failed link head); the issue paths do the same already.
 */
void ursa_sr_fail(struct ursa_req *req)
{
	struct net_sr *sr = ursa_req_data(req, struct net_sr);

	if (sr->done_io)
		req->res = (int32_t)sr->done_io;
	if (sr->sel_held)
		req->cflags |= sr->sel_cflags;
	if (sr->notif)
		req->cflags |= IORING_CQE_F_MORE;
}

#define BUNDLE_MAX	256	/* entries per bundle, as the kernel's import cap */

/*
 * Sends from provided buffers (IOSQE_BUFFER_SELECT).  As in the kernel the
 * buffers leave the group when selected (a ring's head moves at once, a
 * legacy buffer leaves its list), not when the send completes: they are the
 * request's while it waits for room, and its CQE names the first whatever
 * the result, an error or a cancellation included.
 *
 * One buffer, cut to sqe->len for a ring (a legacy buffer is sent whole,
 * as the kernel ignores the length there).  A bundle takes ring entries from
 * the head while they fit in sqe->len (0: no limit; the first one is cut to
 * it, a later one that does not fit stays for the next round), at most
 * BUNDLE_MAX; a legacy group gives one buffer a round.  A missing group is
 * -ENOENT, an empty one (or a ring entry of length 0 at the head) -ENOBUFS.
 */
static int send_select(struct ursa_req *req, struct net_sr *sr)
{
	bool bundle = sr->flags & IORING_RECVSEND_BUNDLE;
	uint32_t left = sr->sel_len && sr->sel_len < INT_MAX ? sr->sel_len : INT_MAX;
	unsigned nr = 0, max = bundle ? BUNDLE_MAX : 1;
	struct iovec one, *iov = &one;

	if (bundle) {
		if (!sr->m && !sr_msg_alloc(sr))
			return -ENOMEM;
		if (sr->m->iov == sr->m->fast) {
			struct iovec *v = malloc(sizeof(*v) * BUNDLE_MAX);

			if (!v)
				return -ENOMEM;
			sr->m->iov = v;
		}
		iov = sr->m->iov;
	} else if (sr->m) {
		iov = sr->m->fast;
	}
	while (nr < max) {
		struct ursa_kbuf_sel sel;
		uint32_t len = left, cflags;
		bool legacy;
		int ret;

		/* Nonblocking selection keeps the list locked until the
		 * commit below, so a too-long entry can be left in place. */
		ret = ursa_kbuf_select(req, sr->buf_group, &len, &sel,
				       URSA_ISSUE_NONBLOCK);
		if (ret) {
			if (nr)
				break;	/* the ring ran dry: this round is all */
			if (!ursa_kbuf_group_exists(req->ring, sr->buf_group))
				return -ENOENT;
			return ret;
		}
		legacy = ursa_kbuf_is_legacy(&sel);
		if (legacy) {
			len = sel.len;
		} else if (!nr && !sel.len) {
			ursa_kbuf_finish(&sel, 0, true);
			return -ENOBUFS;
		} else if (nr && sel.len > left) {
			ursa_kbuf_finish(&sel, 0, true);
			break;
		}
		cflags = ursa_kbuf_finish(&sel, (int)len, false);
		if (!nr)
			sr->sel_cflags = cflags;
		iov[nr].iov_base = (void *)(uintptr_t)sel.addr;
		iov[nr].iov_len = len;
		nr++;
		left -= len;
		if (legacy || !left)
			break;
	}
	sr->sel_held = true;
	if (sr->m) {
		sr->m->msg.msg_iov = iov;
		sr->m->msg.msg_iovlen = nr;
	} else {
		sr->buf = (uint64_t)(uintptr_t)one.iov_base;
		sr->len = (uint32_t)one.iov_len;
	}
	return 0;
}

/*
 * A bundle sent in full goes on with the next buffers of the group while
 * there are any: its CQE (IORING_CQE_F_MORE) is posted when a next round
 * can start, else it is the final one (also when the CQ cannot take it).
 * Returns 0 to go on, or the final result.
 */
static int send_bundle_next(struct ursa_req *req, struct net_sr *sr)
{
	struct ursa_kbuf_sel sel;
	uint32_t len = 0;
	bool more;

	sr->bundle_more = false;
	more = !ursa_kbuf_select(req, sr->buf_group, &len, &sel,
				 URSA_ISSUE_NONBLOCK);
	if (more)
		ursa_kbuf_finish(&sel, 0, true);	/* only a look */
	if (!more || !ursa_post_cqe_more_flags(req->ring, req->user_data,
					       sr->pend_res, sr->pend_cflags)) {
		req->cflags |= sr->pend_cflags;
		return sr->pend_res;
	}
	return 0;
}

static uint32_t recv_nonempty(struct ursa_req *req, struct net_sr *sr,
			      ssize_t n, size_t asked);

static int recv_select_rest(struct ursa_req *req, struct net_sr *sr,
			    unsigned issue_flags);
static bool sr_retry_ok(struct ursa_req *req, struct net_sr *sr);
static void sr_advance(struct net_sr *sr, size_t n);

/*
 * A one-shot MSG_WAITALL receive into a selected buffer that got part of
 * its data: as the kernel, the buffer is taken from the group now (its
 * CQE will name it, a cancellation's too) and the receive goes on into
 * the rest of it.
 */
static int recv_select_hold(struct ursa_req *req, struct net_sr *sr,
			    struct ursa_kbuf_sel *sel, size_t n,
			    unsigned issue_flags)
{
	sr->sel_cflags = ursa_kbuf_finish(sel, (int)n, false) &
			 ~IORING_CQE_F_BUF_MORE;
	sr->sel_held = true;
	sr->done_io = (uint32_t)n;
	sr_advance(sr, n);
	return recv_select_rest(req, sr, issue_flags);
}

/*
 * RECV with IOSQE_BUFFER_SELECT: one-shot, IORING_RECV_MULTISHOT (a CQE with
 * IORING_CQE_F_MORE per receive, until EOF, an error, -ENOBUFS or a CQ that
 * cannot take more) and IORING_RECVSEND_BUNDLE (several ring buffers in one
 * receive; the CQE names the first, res says how many bytes).  A would-block
 * gives the buffers back and waits for readiness.
 */
static int recv_select(struct ursa_req *req, struct net_sr *sr,
		       unsigned issue_flags)
{
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	bool mshot = sr->flags & IORING_RECV_MULTISHOT;
	bool bundle = sr->flags & IORING_RECVSEND_BUNDLE;
	struct iovec iov[BUNDLE_MAX];

	for (;;) {
		struct ursa_kbuf_sel sel;
		unsigned nr = 1;
		uint32_t cflags;
		size_t asked;
		ssize_t n;
		int ret, flags = (int)sr->msg_flags | (nonblock ? MSG_DONTWAIT : 0);

		if (bundle) {
			ret = ursa_kbuf_select_bundle(req, sr->buf_group,
						      mshot ? 0 : sr->len, iov,
						      BUNDLE_MAX, &nr, &sel,
						      issue_flags);
		} else {
			uint32_t len = mshot ? 0 : sr->len;

			ret = ursa_kbuf_select(req, sr->buf_group, &len, &sel,
					       issue_flags);
			iov[0].iov_base = (void *)(uintptr_t)sel.addr;
			iov[0].iov_len = len;
		}
		if (ret) {
			/* -ENOBUFS: final, for multishot too.  A bundle peeks
			 * the ring as a send does: no group is -ENOENT. */
			if (bundle && !ursa_kbuf_group_exists(req->ring,
							      sr->buf_group))
				return -ENOENT;
			return ret;
		}
		asked = 0;
		for (unsigned i = 0; i < nr; i++)
			asked += iov[i].iov_len;
		if (nr == 1) {
			n = recv(req->fd, iov[0].iov_base, iov[0].iov_len, flags);
		} else {
			struct msghdr msg;

			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = iov;
			msg.msg_iovlen = nr;
			n = recvmsg(req->fd, &msg, flags);
		}
		if (n < 0) {
			int e = errno;

			ursa_kbuf_finish(&sel, 0, true);
			if (e == EAGAIN && nonblock && !(sr->msg_flags & MSG_DONTWAIT))
				return URSA_ISSUE_RETRY;
			return -e;
		}
		if (!n) {
			/* End of stream: the buffer goes back; final CQE 0. */
			ursa_kbuf_finish(&sel, 0, true);
			req->cflags = recv_nonempty(req, sr, 0, asked);
			return 0;
		}
		if (!mshot && !bundle && (sr->msg_flags & MSG_WAITALL) &&
		    (size_t)n < asked && sr_retry_ok(req, sr)) {
			sr->buf = (uint64_t)(uintptr_t)iov[0].iov_base;
			sr->len = (uint32_t)asked;
			return recv_select_hold(req, sr, &sel, (size_t)n,
						issue_flags);
		}
		cflags = ursa_kbuf_finish(&sel, (int)n, false);
		cflags |= recv_nonempty(req, sr, n, asked);
		if (!mshot) {
			req->cflags = cflags;
			return (int)n;
		}
		if (!ursa_post_cqe_more_flags(req->ring, req->user_data, (int32_t)n,
					      cflags)) {
			req->cflags = cflags;
			return (int)n;	/* the CQ is full: this is the last */
		}
		/* Nothing known to be left (a short receive, or a full one the
		 * SOCK_NONEMPTY look found the last): wait for readiness
		 * rather than ask again for an -EAGAIN.  The wait is level-
		 * triggered, so data that is still there wakes it at once. */
		if (!(cflags & IORING_CQE_F_SOCK_NONEMPTY))
			return URSA_ISSUE_RETRY;
		if (!nonblock)
			nonblock = true;	/* more only if it is already there */
		issue_flags |= URSA_ISSUE_NONBLOCK;
	}
}

static ssize_t sr_xfer(struct ursa_req *req, struct net_sr *sr, int flags,
		       int *mflags);

/*
 * One multishot RECVMSG receive into a selected buffer of len bytes laid
 * out as io_uring_recvmsg_out, the name area (the msghdr's msg_namelen),
 * the control area (its msg_controllen), then the payload.  Returns the
 * bytes the buffer now holds (header and areas included), or -errno;
 * *payload gets what the socket returned (0: the end of the stream).
 */
static ssize_t recvmsg_mshot_one(struct ursa_req *req, struct net_msg *m,
				 uint64_t buf, size_t hdr, size_t len,
				 int flags, ssize_t *payload)
{
	struct io_uring_recvmsg_out out;
	size_t namelen = (size_t)m->mshot_namelen, room = len - hdr, name_copy;
	ssize_t n;

	m->fast[0].iov_base = (void *)(uintptr_t)(buf + hdr);
	m->fast[0].iov_len = room;
	m->msg.msg_iov = m->fast;
	m->msg.msg_iovlen = 1;
	m->msg.msg_name = namelen ? &m->addr : NULL;
	m->msg.msg_namelen = namelen ? sizeof(m->addr) : 0;
	/* The control area sits right before the payload. */
	m->msg.msg_control = m->controllen ?
		(void *)(uintptr_t)(buf + hdr - m->controllen) : NULL;
	m->msg.msg_controllen = m->controllen;
	m->msg.msg_flags = 0;
	n = recvmsg(req->fd, &m->msg, flags);
	*payload = n;
	if (n < 0)
		return -errno;
	out.namelen = m->msg.msg_namelen;	/* before truncation */
	out.controllen = (uint32_t)m->msg.msg_controllen;
	out.payloadlen = (uint32_t)n;		/* MSG_TRUNC: the real size */
	out.flags = (uint32_t)m->msg.msg_flags;
	if ((size_t)n > room)
		n = (ssize_t)room;
	name_copy = m->msg.msg_namelen < namelen ? m->msg.msg_namelen : namelen;
	if (ursa_copy_to_user((void *)(uintptr_t)buf, &out, sizeof(out)) ||
	    (name_copy && ursa_copy_to_user((void *)(uintptr_t)(buf + sizeof(out)),
					    &m->addr, name_copy)))
		return -EFAULT;
	return (ssize_t)(hdr + (size_t)n);
}

/*
 * RECVMSG with IOSQE_BUFFER_SELECT.  One-shot: the payload lands in the
 * selected buffer (at most the msghdr's single iov_len, if given), name,
 * control and msg_flags go to the application's msghdr as for a plain
 * RECVMSG.  Multishot: every buffer holds header, name, control and
 * payload (recvmsg_mshot_one); a buffer too small for the header is
 * -EFAULT, an empty group -ENOBUFS, and the end of the stream (or an empty
 * datagram) ends it with a CQE still carrying its buffer (res = the header
 * size).  Only the first buffer is cut to iov_len, as in the kernel.
 */
static int recvmsg_select(struct ursa_req *req, struct net_sr *sr,
			  unsigned issue_flags)
{
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	bool mshot = sr->flags & IORING_RECV_MULTISHOT;
	struct net_msg *m = sr->m;

	for (;;) {
		struct ursa_kbuf_sel sel;
		uint32_t len = sr->len, cflags;
		size_t hdr = 0;
		ssize_t n, payload;
		int ret, mflags;
		int flags = (int)sr->msg_flags | (nonblock ? MSG_DONTWAIT : 0);

		ret = ursa_kbuf_select(req, sr->buf_group, &len, &sel,
				       issue_flags);
		if (ret)
			return ret;	/* -ENOBUFS: final, for multishot too */
		if (mshot) {
			hdr = sizeof(struct io_uring_recvmsg_out) +
			      (size_t)m->mshot_namelen + m->controllen;
			if (len < hdr) {
				ursa_kbuf_finish(&sel, 0, true);
				ursa_req_set_fail(req);
				return -EFAULT;
			}
			n = recvmsg_mshot_one(req, m, sel.addr, hdr, len, flags,
					      &payload);
		} else {
			m->fast[0].iov_base = (void *)(uintptr_t)sel.addr;
			m->fast[0].iov_len = len;
			m->msg.msg_iov = m->fast;
			m->msg.msg_iovlen = 1;
			n = sr_xfer(req, sr, flags, &mflags);
			payload = n;
			if (n < 0)
				n = -errno;
		}
		if (n < 0) {
			ursa_kbuf_finish(&sel, 0, true);
			if (n == -EAGAIN && nonblock &&
			    !(sr->msg_flags & MSG_DONTWAIT))
				return URSA_ISSUE_RETRY;
			ursa_req_set_fail(req);
			return (int)n;
		}
		if (!n) {
			/* One-shot end of stream: the buffer goes back. */
			ursa_kbuf_finish(&sel, 0, true);
			req->cflags = recv_nonempty(req, sr, 0, len);
			return 0;
		}
		if (!mshot && (sr->msg_flags & MSG_WAITALL) && !m->controllen &&
		    (size_t)n < len && sr_retry_ok(req, sr))
			return recv_select_hold(req, sr, &sel, (size_t)n,
						issue_flags);
		cflags = ursa_kbuf_finish(&sel, (int)n, false);
		cflags |= recv_nonempty(req, sr, payload, len - hdr);
		if (!mshot || payload == 0) {
			req->cflags = cflags;
			return (int)n;
		}
		if (!ursa_post_cqe_more_flags(req->ring, req->user_data, (int32_t)n,
					      cflags)) {
			req->cflags = cflags;
			return (int)n;	/* the CQ is full: this is the last */
		}
		sr->len = 0;	/* later buffers are used whole */
		if ((size_t)payload < len - hdr &&
		    !(cflags & IORING_CQE_F_SOCK_NONEMPTY))
			return URSA_ISSUE_RETRY;
		nonblock = true;	/* more only if it is already there */
		issue_flags |= URSA_ISSUE_NONBLOCK;
	}
}

static int sr_kind(struct ursa_req *req, struct net_sr *sr)
{
	if (sr->kind == SK_UNKNOWN) {
		int k = sock_kind_of(req->fd);

		if (k < 0)
			return k;
		sr->kind = (int8_t)k;
	}
	return sr->kind;
}

/* The kernel retries a short MSG_WAITALL transfer on streams only. */
static bool sr_retry_ok(struct ursa_req *req, struct net_sr *sr)
{
	int k = sr_kind(req, sr);

	return k == SK_TCP || k == SK_UNIX_STREAM || k == SK_STREAM ||
	       k == SK_SEQPACKET;
}

/* Every final result goes through here: a zero-copy send's CQE always
 * announces its notification. */
static int sr_done(struct ursa_req *req, struct net_sr *sr, int res)
{
	if (sr->notif)
		req->cflags |= IORING_CQE_F_MORE;
	if (sr->sel_held)
		req->cflags |= sr->sel_cflags;
	return res;
}

/* Not ready.  With MSG_DONTWAIT the kernel does not wait: -EAGAIN, or what
 * earlier rounds moved (the request then counts as failed). */
static int sr_would_block(struct ursa_req *req, struct net_sr *sr)
{
	if (!(sr->msg_flags & MSG_DONTWAIT))
		return URSA_ISSUE_RETRY;
	if (sr->done_io) {
		ursa_req_set_fail(req);
		return sr_done(req, sr, (int)sr->done_io);
	}
	return sr_done(req, sr, -EAGAIN);
}

static size_t sr_left(const struct net_sr *sr)
{
	size_t n = 0, i;

	if (!sr->m)
		return sr->len;
	for (i = 0; i < sr->m->msg.msg_iovlen; i++)
		n += sr->m->msg.msg_iov[i].iov_len;
	return n;
}

static void sr_advance(struct net_sr *sr, size_t n)
{
	struct msghdr *msg;

	if (!sr->m) {
		sr->buf += n;
		sr->len -= (uint32_t)n;
		return;
	}
	msg = &sr->m->msg;
	while (n && msg->msg_iovlen) {
		struct iovec *v = msg->msg_iov;

		if (n < v->iov_len) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= n;
			return;
		}
		n -= v->iov_len;
		msg->msg_iov++;
		msg->msg_iovlen--;
	}
}

/* A registered buffer (IORING_RECVSEND_FIXED_BUF): every byte to send
 * must lie in it, else -EFAULT, as the kernel's import. */
static int sr_import_fixed(struct ursa_req *req, struct net_sr *sr)
{
	size_t i;

	if (!req->buf_node) {
		req->buf_node = ursa_buf_get(req->ring, sr->buf_index);
		if (!req->buf_node)
			return -EFAULT;
	}
	if (!sr->m || !sr->is_msg)
		return ursa_buf_check_range(req->buf_node, sr->buf, sr->len);
	for (i = 0; i < sr->m->msg.msg_iovlen; i++) {
		const struct iovec *v = &sr->m->msg.msg_iov[i];

		if (ursa_buf_check_range(req->buf_node,
					 (uint64_t)(uintptr_t)v->iov_base,
					 v->iov_len))
			return -EFAULT;
	}
	return 0;
}

/*
 * RECVMSG's results go back into the application's msghdr as the kernel's
 * recvmsg writes them: the name (cut to the msg_namelen found there now,
 * the full length written back), then msg_flags and msg_controllen.
 */
static int recvmsg_copy_out(struct net_msg *m)
{
	struct msghdr *u = (struct msghdr *)(uintptr_t)m->umsg;
	struct {
		size_t	controllen;
		int	flags;
	} __attribute__((packed)) tail;
	int klen = (int)m->msg.msg_namelen;

	if (m->uaddr) {
		int ulen;

		if (ursa_copy_from_user(&ulen, &u->msg_namelen, sizeof(ulen)))
			return -EFAULT;
		if (ulen > klen)
			ulen = klen;
		if (ulen < 0)
			return -EINVAL;
		if (ulen && ursa_copy_to_user((void *)(uintptr_t)m->uaddr,
					      &m->addr, (size_t)ulen))
			return -EFAULT;
		if (ursa_copy_to_user(&u->msg_namelen, &klen, sizeof(klen)))
			return -EFAULT;
	}
	_Static_assert(offsetof(struct msghdr, msg_flags) ==
		       offsetof(struct msghdr, msg_controllen) + sizeof(size_t),
		       "msg_controllen and msg_flags are adjacent");
	tail.controllen = m->msg.msg_controllen;
	tail.flags = m->msg.msg_flags;
	if (ursa_copy_to_user(&u->msg_controllen, &tail, sizeof(tail)))
		return -EFAULT;
	return 0;
}

/* One transfer syscall; *mflags gets the received msg_flags. */
static ssize_t sr_xfer(struct ursa_req *req, struct net_sr *sr, int flags,
		       int *mflags)
{
	struct net_msg *m = sr->m;
	ssize_t n;

	*mflags = 0;
	if (!m) {
		if (sr->send)
			return send(req->fd, (void *)(uintptr_t)sr->buf, sr->len, flags);
		return recv(req->fd, (void *)(uintptr_t)sr->buf, sr->len, flags);
	}
	if (sr->send) {
		/* sendto(2) keeps an address of length 0 for the protocol to
		 * judge, as the kernel's SEND does; sendmsg(2) would drop it.
		 * (A vectored send with such an address is the one case that
		 * still drops it.) */
		if (!sr->is_msg && !(sr->flags & IORING_SEND_VECTORIZED) &&
		    m->msg.msg_iovlen == 1)
			return sendto(req->fd, m->msg.msg_iov[0].iov_base,
				      m->msg.msg_iov[0].iov_len, flags,
				      m->msg.msg_name, m->msg.msg_namelen);
		return sendmsg(req->fd, &m->msg, flags);
	}
	if (sr->is_msg) {
		/* The name lands in our storage; recvmsg_copy_out passes it on. */
		m->msg.msg_name = m->uaddr ? &m->addr : NULL;
		m->msg.msg_namelen = m->uaddr ? sizeof(m->addr) : 0;
		m->msg.msg_controllen = m->controllen;
	}
	m->msg.msg_flags = 0;
	n = recvmsg(req->fd, &m->msg, flags);
	if (n < 0)
		return n;
	*mflags = m->msg.msg_flags;
	if (sr->is_msg) {
		int ret = recvmsg_copy_out(m);

		if (ret) {
			errno = -ret;
			return -1;
		}
	}
	return n;
}

/*
 * IORING_CQE_F_SOCK_NONEMPTY, where the kernel's protocol reports what is
 * left after a receive: TCP (data, or a FIN still to be read) and Unix
 * streams (data).  A receive that did not fill its buffer drained the
 * queue; only a full one (or, for TCP, the end of the stream) needs a look.
 * Known gap: a FIN queued behind a short TCP read is not reported.
 */
static uint32_t recv_nonempty(struct ursa_req *req, struct net_sr *sr,
			      ssize_t n, size_t asked)
{
	int k, inq;

	if (n < 0 || (n && (size_t)n < asked))
		return 0;
	if (!n && asked) {
		/* end of stream */
		if (sr_kind(req, sr) == SK_TCP && tcp_fin_received(req->fd))
			return IORING_CQE_F_SOCK_NONEMPTY;
		return 0;
	}
	/* The buffer was filled: is anything left?  (Asking the protocol
	 * only then keeps the common case at one extra call.) */
	if (!sock_readable(req->fd))
		return 0;
	k = sr_kind(req, sr);
	if (k == SK_TCP)
		return IORING_CQE_F_SOCK_NONEMPTY;
	if (k == SK_UNIX_STREAM && ioctl(req->fd, FIONREAD, &inq) == 0 && inq > 0)
		return IORING_CQE_F_SOCK_NONEMPTY;
	return 0;
}

/* The rest of a MSG_WAITALL receive into a buffer it holds. */
static int recv_select_rest(struct ursa_req *req, struct net_sr *sr,
			    unsigned issue_flags)
{
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	int flags = (int)sr->msg_flags | (nonblock ? MSG_DONTWAIT : 0), mflags;

	for (;;) {
		size_t left = sr_left(sr);
		ssize_t n = sr_xfer(req, sr, flags, &mflags);

		if (n < 0) {
			int e = errno;

			if (e == EAGAIN && nonblock)
				return sr_would_block(req, sr);
			if (e == EINTR && !nonblock && !canceled(req))
				continue;
			ursa_req_set_fail(req);
			return sr_done(req, sr, (int)sr->done_io);
		}
		if (!n || (size_t)n >= left) {
			if (!n || (mflags & (MSG_TRUNC | MSG_CTRUNC)))
				ursa_req_set_fail(req);
			req->cflags = n ? recv_nonempty(req, sr, n, left) : 0;
			return sr_done(req, sr, (int)(sr->done_io + (size_t)n));
		}
		sr->done_io += (uint32_t)n;
		sr_advance(sr, (size_t)n);
	}
}

int ursa_send(struct ursa_req *req, unsigned issue_flags)
{
	struct net_sr *sr = ursa_req_data(req, struct net_sr);
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	bool poll_first = !(req->flags & REQ_F_POLLED) &&
			  (sr->flags & IORING_RECVSEND_POLL_FIRST);
	int flags, mflags, ret;
	ssize_t n;

	/* The kernel looks at the socket before POLL_FIRST. */
	if (sr->zc || poll_first) {
		int k = sr_kind(req, sr);

		if (k < 0)
			return sr_done(req, sr, k);
		if (sr->zc && k != SK_TCP && k != SK_UDP)
			return sr_done(req, sr, -EOPNOTSUPP);
	}
	if (poll_first)
		return sr_would_block(req, sr);
	if ((sr->flags & IORING_RECVSEND_BUNDLE) && !(req->flags & REQ_F_POLLED) &&
	    atomic_load(&req->worker_tid) == (int)ursa_gettid()) {
		/* The kernel runs no multishot request on io-wq: a bundle
		 * sent with IOSQE_ASYNC waits for room, and is cancelled if
		 * there is room already (its poll reports ready at once). */
		struct pollfd p = { .fd = req->fd, .events = POLLOUT };

		if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT))
			return sr_done(req, sr, -ECANCELED);
		return URSA_ISSUE_RETRY;
	}
	if ((sr->flags & IORING_RECVSEND_FIXED_BUF) && !sr->fixed_ok) {
		ret = sr_import_fixed(req, sr);
		if (ret)
			return sr_done(req, sr, ret);
		sr->fixed_ok = true;
	}
	flags = (int)sr->msg_flags;
	if (nonblock)
		flags |= MSG_DONTWAIT;
next_round:
	if ((req->flags & IOSQE_BUFFER_SELECT) && !sr->sel_held) {
		if (sr->bundle_more) {
			ret = send_bundle_next(req, sr);
			if (ret)
				return ret;
		}
		ret = send_select(req, sr);
		if (ret)
			return sr_done(req, sr, ret);
	}
	for (;;) {
		ssize_t min = (flags & MSG_WAITALL) ? (ssize_t)sr_left(sr) : 0;

		n = sr_xfer(req, sr, flags, &mflags);
		ret = n < 0 ? -errno : (int)n;
		if (n >= min)
			break;
		if (ret == -EAGAIN && nonblock)
			return sr_would_block(req, sr);
		if (ret > 0 && sr_retry_ok(req, sr)) {
			sr->done_io += (uint32_t)ret;
			sr_advance(sr, (size_t)ret);
			/* control data goes with the first part only */
			if (sr->is_msg) {
				sr->m->msg.msg_control = NULL;
				sr->m->msg.msg_controllen = 0;
			}
			if (nonblock)
				return sr_would_block(req, sr);
			continue;
		}
		if (ret == -EINTR && !nonblock && !canceled(req))
			continue;
		ursa_req_set_fail(req);
		break;
	}
	if (ret >= 0)
		ret += (int)sr->done_io;
	else if (sr->done_io)
		ret = (int)sr->done_io;
	if ((sr->flags & IORING_RECVSEND_BUNDLE) && sr->sel_held && ret > 0 &&
	    !(req->flags & REQ_F_FAIL)) {
		/* This round went out whole: the next one (sqe->len only
		 * limits the first) decides whether its CQE is the last. */
		sr->pend_res = ret;
		sr->pend_cflags = sr->sel_cflags;
		sr->bundle_more = true;
		sr->sel_held = false;
		sr->done_io = 0;
		sr->sel_len = 0;
		goto next_round;
	}
	return sr_done(req, sr, ret);
}

int ursa_recv(struct ursa_req *req, unsigned issue_flags)
{
	struct net_sr *sr = ursa_req_data(req, struct net_sr);
	bool nonblock = issue_flags & URSA_ISSUE_NONBLOCK;
	int flags, mflags, ret;
	size_t left;
	ssize_t n;

	/* RECV checks POLL_FIRST before the socket, RECVMSG after it. */
	if (!(req->flags & REQ_F_POLLED) &&
	    (sr->flags & IORING_RECVSEND_POLL_FIRST)) {
		if (sr->is_msg) {
			int k = sr_kind(req, sr);

			if (k < 0)
				return k;
		}
		return sr_would_block(req, sr);
	}
	if (req->flags & IOSQE_BUFFER_SELECT) {
		if (sr->sel_held)
			return recv_select_rest(req, sr, issue_flags);
		return sr->is_msg ? recvmsg_select(req, sr, issue_flags) :
				    recv_select(req, sr, issue_flags);
	}
	flags = (int)sr->msg_flags;
	if (nonblock)
		flags |= MSG_DONTWAIT;
	for (;;) {
		ssize_t min = 0;

		left = sr_left(sr);
		/* RECVMSG with control data does not retry partial reads */
		if ((flags & MSG_WAITALL) && !(sr->is_msg && sr->m->controllen))
			min = (ssize_t)left;
		n = sr_xfer(req, sr, flags, &mflags);
		ret = n < 0 ? -errno : (int)n;
		if (n >= min) {
			if ((flags & MSG_WAITALL) && (mflags & (MSG_TRUNC | MSG_CTRUNC)))
				ursa_req_set_fail(req);
			break;
		}
		if (ret == -EAGAIN && nonblock)
			return sr_would_block(req, sr);
		if (ret > 0 && sr_retry_ok(req, sr)) {
			sr->done_io += (uint32_t)ret;
			sr_advance(sr, (size_t)ret);
			if (nonblock)
				return sr_would_block(req, sr);
			continue;
		}
		if (ret == -EINTR && !nonblock && !canceled(req))
			continue;
		ursa_req_set_fail(req);
		break;
	}
	req->cflags = recv_nonempty(req, sr, n, left);
	if (ret > 0)
		ret += (int)sr->done_io;
	else if (sr->done_io)
		ret = (int)sr->done_io;
	return ret;
}
