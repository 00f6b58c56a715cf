/* SPDX-License-Identifier: MIT */
/*
 * Socket commands of IORING_OP_URING_CMD (SOCKET_URING_OP_*, the kernel's
 * io_uring/cmd_net.c).  uring_cmd.c routes here whatever is not a driver's
 * device; a non-socket answers -EOPNOTSUPP, as a kernel file without a
 * ->uring_cmd does.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/sockios.h>

#include "cmd_net.h"

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

static int sock_cmd(struct ursa_req *req, const struct io_uring_sqe *sqe,
		    uint32_t cmd_op, uint32_t cmd_flags)
{
	int fd = req->fd, arg = 0;
	socklen_t len;

	switch (cmd_op) {
	case SOCKET_URING_OP_SIOCINQ:
	case SOCKET_URING_OP_SIOCOUTQ:
		if (!proto_has_ioctl(fd))
			return -EOPNOTSUPP;
		if (ioctl(fd, cmd_op == SOCKET_URING_OP_SIOCINQ ? SIOCINQ
								    : SIOCOUTQ,
			  &arg) < 0)
			return -errno;
		return arg;
	case SOCKET_URING_OP_GETSOCKOPT:
		if (sqe->level != SOL_SOCKET)
			return -EOPNOTSUPP;
		len = sqe->optlen;
		if (getsockopt(fd, SOL_SOCKET, (int)sqe->optname,
			       (void *)(uintptr_t)sqe->optval, &len) < 0)
			return -errno;
		return (int)len;	/* the length written, as the kernel */
	case SOCKET_URING_OP_SETSOCKOPT:
		if (setsockopt(fd, (int)sqe->level, (int)sqe->optname,
			       (const void *)(uintptr_t)sqe->optval, sqe->optlen) < 0)
			return -errno;
		return 0;
	case SOCKET_URING_OP_GETSOCKNAME:
		/* (ioprio and __pad1 were refused before.) */
		if (sqe->len || cmd_flags)
			return -EINVAL;
		if (sqe->optlen > 1)
			return -EINVAL;
		/* The raw call: a sanitizer's wrapper would read the
		 * length through a pointer the kernel is to judge. */
		if (syscall(sqe->optlen ? SYS_getpeername : SYS_getsockname, fd,
			    (uintptr_t)sqe->addr, (uintptr_t)sqe->optval) < 0)
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

int ursa_sock_uring_cmd(struct ursa_req *req, const struct io_uring_sqe *sqe,
			uint32_t cmd_op, uint32_t cmd_flags)
{
	struct stat st;

	if (fstat(req->fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EOPNOTSUPP;
	/*
	 * No socket command is multishot here (the kernel's only one is
	 * TX_TIMESTAMP, above); the kernel would keep such a request armed
	 * with nothing to post.
	 */
	if (cmd_flags & IORING_URING_CMD_MULTISHOT)
		return -EOPNOTSUPP;
	return sock_cmd(req, sqe, cmd_op, cmd_flags);
}
