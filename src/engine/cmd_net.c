/* SPDX-License-Identifier: MIT */
/*
 * IORING_OP_URING_CMD.  The only files with commands here are sockets
 * (SOCKET_URING_OP_*, the kernel's io_uring/cmd_net.c); any other file
 * answers -EOPNOTSUPP, as a kernel file without a ->uring_cmd does.  Driver
 * commands (the seeds' driver API) will hang off the same entry point.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/sockios.h>

#include "cmd_net.h"

struct cmd_op {
	uint64_t	optval;		/* sqe->optval; GETSOCKNAME: socklen_t * */
	uint64_t	addr;		/* GETSOCKNAME: struct sockaddr * */
	uint32_t	cmd_op;		/* sqe->cmd_op */
	uint32_t	cmd_flags;	/* sqe->uring_cmd_flags */
	uint32_t	level;
	uint32_t	optname;
	uint32_t	optlen;		/* GETSOCKNAME: 1 for the peer's name */
	uint32_t	len;
};

/*
 * Read everything a command may use now: the kernel copies the whole SQE at
 * prep, and the application may reuse the slot once submit returns.
 */
int ursa_uring_cmd_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	struct cmd_op *c = ursa_req_data(req, struct cmd_op);

	if (sqe->__pad1)
		return -EINVAL;
	c->cmd_flags = sqe->uring_cmd_flags;
	if (c->cmd_flags & ~IORING_URING_CMD_MASK)
		return -EINVAL;
	if ((c->cmd_flags & IORING_URING_CMD_FIXED) &&
	    (c->cmd_flags & IORING_URING_CMD_MULTISHOT))
		return -EINVAL;
	/* A multishot command takes its buffers from a group, and only it. */
	if (!(c->cmd_flags & IORING_URING_CMD_MULTISHOT) !=
	    !(req->flags & IOSQE_BUFFER_SELECT))
		return -EINVAL;
	c->cmd_op = sqe->cmd_op;
	c->optval = sqe->optval;
	c->addr = sqe->addr;
	c->level = sqe->level;
	c->optname = sqe->optname;
	c->optlen = sqe->optlen;
	c->len = sqe->len;
	return 0;
}

/*
 * SIOCINQ/SIOCOUTQ go to the protocol's own ioctl in the kernel; protocols
 * without one (Unix, packet, netlink, ping sockets) answer -EOPNOTSUPP.
 * user space ioctl(2) reaches the same protocol handler for the rest.
 */
static bool proto_has_ioctl(int fd)
{
	int dom, type, proto;
	socklen_t l = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0 ||
	    (dom != AF_INET && dom != AF_INET6))
		return false;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return false;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) < 0)
		return false;
	return !(type == SOCK_DGRAM &&
		 (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6));
}

static int sock_cmd(struct ursa_req *req, struct cmd_op *c)
{
	int fd = req->fd, arg = 0;
	socklen_t len;

	switch (c->cmd_op) {
	case SOCKET_URING_OP_SIOCINQ:
	case SOCKET_URING_OP_SIOCOUTQ:
		if (!proto_has_ioctl(fd))
			return -EOPNOTSUPP;
		if (ioctl(fd, c->cmd_op == SOCKET_URING_OP_SIOCINQ ? SIOCINQ
								    : SIOCOUTQ,
			  &arg) < 0)
			return -errno;
		return arg;
	case SOCKET_URING_OP_GETSOCKOPT:
		if (c->level != SOL_SOCKET)
			return -EOPNOTSUPP;
		len = c->optlen;
		if (getsockopt(fd, SOL_SOCKET, (int)c->optname,
			       (void *)(uintptr_t)c->optval, &len) < 0)
			return -errno;
		return (int)len;	/* the length written, as the kernel */
	case SOCKET_URING_OP_SETSOCKOPT:
		if (setsockopt(fd, (int)c->level, (int)c->optname,
			       (const void *)(uintptr_t)c->optval, c->optlen) < 0)
			return -errno;
		return 0;
	case SOCKET_URING_OP_GETSOCKNAME:
		/* (ioprio and __pad1 were refused before.) */
		if (c->len || c->cmd_flags)
			return -EINVAL;
		if (c->optlen > 1)
			return -EINVAL;
		/* The raw call: a sanitizer's wrapper would read the
		 * length through a pointer the kernel is to judge. */
		if (syscall(c->optlen ? SYS_getpeername : SYS_getsockname, fd,
			    (uintptr_t)c->addr, (uintptr_t)c->optval) < 0)
			return -errno;
		return 0;
	case SOCKET_URING_OP_TX_TIMESTAMP:
		/*
		 * Not offered.  The kernel's command is multishot: it takes
		 * only the payload-free timestamp records off the socket's
		 * error queue, leaving the rest, and posts each as a 32-byte
		 * CQE.  recvmsg(MSG_ERRQUEUE) in user space cannot leave
		 * records behind, so it would steal the application's other
		 * error-queue messages.  -EOPNOTSUPP is what a kernel without
		 * the command answers.
		 */
		return -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;
	}
}

int ursa_uring_cmd(struct ursa_req *req, unsigned issue_flags)
{
	struct cmd_op *c = ursa_req_data(req, struct cmd_op);
	struct stat st;

	(void)issue_flags;
	if (fstat(req->fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EOPNOTSUPP;
	/*
	 * No socket command is multishot here (the kernel's only one is
	 * TX_TIMESTAMP, above); the kernel would keep such a request armed
	 * with nothing to post.
	 */
	if (c->cmd_flags & IORING_URING_CMD_MULTISHOT)
		return -EOPNOTSUPP;
	return sock_cmd(req, c);
}
