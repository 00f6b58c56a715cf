/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_SOCKET, BIND and LISTEN.  SOCKET makes a normal fd
 * (type flags SOCK_NONBLOCK/SOCK_CLOEXEC honoured) or a direct descriptor in
 * a given slot (CQE res 0) or in a free one (IORING_FILE_INDEX_ALLOC: res is
 * the slot); a direct socket is then bound, put to listen and accepted on
 * through IOSQE_FIXED_FILE.  Errors as the kernel: SOCK_CLOEXEC with a slot,
 * unknown type flags and reserved fields -EINVAL, no table -ENXIO (slot) or
 * -ENFILE (ALLOC), a bad family -EAFNOSUPPORT; BIND/LISTEN on a non-socket
 * -ENOTSOCK, on a bad fd -EBADF, address lengths outside [0, 128] -EINVAL,
 * a bad address pointer -EFAULT, reserved fields -EINVAL.
 */
#include "net-util.h"

static struct io_uring ring;

static int run1(struct io_uring_sqe *sqe, uint64_t ud)
{
	struct io_uring_cqe *cqe;
	int res;

	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	res = cqe->res;
	t_eq(cqe->flags, 0);
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void test_plain(void)
{
	struct io_uring_sqe *sqe;
	int fd, v;
	socklen_t l = sizeof(v);

	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	fd = run1(sqe, 1);
	t_assert(fd >= 0);
	t_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l), 0);
	t_eq(v, SOCK_STREAM);
	t_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	t_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);

	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			     0, 0);
	fd = run1(sqe, 2);
	if (fd == -EAFNOSUPPORT) {
		printf("no IPv6 sockets here; skipping that part\n");
	} else {
		t_assert(fd >= 0);
		t_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
		t_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		l = sizeof(v);
		t_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l), 0);
		t_eq(v, SOCK_DGRAM);
		close(fd);
	}

	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_UNIX, SOCK_SEQPACKET, 0, 0);
	fd = run1(sqe, 3);
	t_assert(fd >= 0);
	l = sizeof(v);
	t_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l), 0);
	t_eq(v, SOCK_SEQPACKET);
	close(fd);

	/* errors */
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, 12345, SOCK_STREAM, 0, 0);
	t_eq(run1(sqe, 4), -EAFNOSUPPORT);
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM | 0x100000, 0, 0);
	t_eq(run1(sqe, 5), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	sqe->addr = 1;
	t_eq(run1(sqe, 6), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	sqe->rw_flags = 1;
	t_eq(run1(sqe, 7), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	sqe->buf_index = 1;
	t_eq(run1(sqe, 8), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	sqe->ioprio = 1;
	t_eq(run1(sqe, 9), -EINVAL);
	/* direct with CLOEXEC: the table has no fd flags */
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket_direct(sqe, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0);
	t_eq(run1(sqe, 10), -EINVAL);
	/* no file table registered yet */
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket_direct(sqe, AF_INET, SOCK_STREAM, 0, 0, 0);
	t_eq(run1(sqe, 11), -ENXIO);
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket_direct_alloc(sqe, AF_INET, SOCK_STREAM, 0, 0);
	t_eq(run1(sqe, 12), -ENFILE);
}

static void test_direct(void)
{
	struct io_uring_sqe *sqe;
	struct sockaddr_storage ss;
	socklen_t len;
	int files[4] = { -1, -1, -1, -1 };
	int ret, c, port;

	t_eq(io_uring_register_files(&ring, files, 4), 0);

	sqe = t_get_sqe(&ring);
	io_uring_prep_socket_direct_alloc(sqe, AF_UNIX, SOCK_STREAM, 0, 0);
	t_eq(run1(sqe, 21), 0);		/* first free slot: 0 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket_direct_alloc(sqe, AF_UNIX, SOCK_DGRAM, 0, 0);
	t_eq(run1(sqe, 22), 1);
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket_direct(sqe, AF_INET, SOCK_STREAM, 0, 2, 0);
	t_eq(run1(sqe, 20), 0);		/* slot 2: res 0 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_socket_direct(sqe, AF_INET, SOCK_STREAM, 0, 9, 0);
	t_eq(run1(sqe, 23), -EINVAL);	/* slot out of range */

	/* slot 2: bind to 127.0.0.1:0, listen, then accept a client */
	t_loopback_addr(AF_INET, &ss, &len);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, 2, (struct sockaddr *)&ss, len);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(run1(sqe, 24), 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_listen(sqe, 2, 8);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(run1(sqe, 25), 0);

	/* Which port?  Bind again with a fixed address is not possible, so
	 * find it through a normal dup: install the slot as an fd. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fixed_fd_install(sqe, 2, 0);
	ret = run1(sqe, 26);
	t_assert(ret >= 0);
	len = sizeof(ss);
	t_eq(getsockname(ret, (struct sockaddr *)&ss, &len), 0);
	port = t_port(&ss);
	t_assert(port > 0);
	close(ret);

	c = t_connect_to(&ss, len, SOCK_STREAM);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept(sqe, 2, NULL, NULL, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	ret = run1(sqe, 27);
	t_assert(ret >= 0);
	t_eq(write(c, "hi", 2), 2);
	{
		char b[4];

		t_eq(read(ret, b, sizeof(b)), 2);
	}
	close(ret);
	close(c);
	t_eq(io_uring_unregister_files(&ring), 0);
}

static void test_bind_listen(void)
{
	struct io_uring_sqe *sqe;
	struct sockaddr_storage ss, got;
	socklen_t len, glen;
	int fd, p[2], i;

	for (i = 0; i < 3; i++) {
		int family = i == 0 ? AF_INET : i == 1 ? AF_INET6 : AF_UNIX;

		if (family == AF_INET6 && !t_have_ipv6())
			continue;
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		t_assert(fd >= 0);
		t_loopback_addr(family, &ss, &len);
		sqe = t_get_sqe(&ring);
		io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len);
		t_eq(run1(sqe, 30), 0);
		/* bound already */
		sqe = t_get_sqe(&ring);
		io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len);
		t_eq(run1(sqe, 31), -EINVAL);
		sqe = t_get_sqe(&ring);
		io_uring_prep_listen(sqe, fd, 4);
		t_eq(run1(sqe, 32), 0);
		glen = sizeof(got);
		t_eq(getsockname(fd, (struct sockaddr *)&got, &glen), 0);
		t_eq(got.ss_family, family);
		{
			int v;
			socklen_t l = sizeof(v);

			t_eq(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l), 0);
			t_eq(v, 1);
		}
		/* a client can connect */
		close(t_connect_to(&got, glen, SOCK_STREAM));
		close(fd);
	}

	/* The address is read at submission: clobbering it afterwards does
	 * not matter. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	t_loopback_addr(AF_INET, &ss, &len);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len);
	sqe->user_data = 33;
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 34;
	sqe->flags |= IOSQE_IO_DRAIN;
	t_submit(&ring, 2);
	memset(&ss, 0xff, sizeof(ss));
	t_expect_cqe(&ring, 33, 0, 0);
	t_expect_cqe(&ring, 34, 0, 0);
	glen = sizeof(got);
	t_eq(getsockname(fd, (struct sockaddr *)&got, &glen), 0);
	t_eq(((struct sockaddr_in *)&got)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	close(fd);

	/* errors */
	t_pipe(p);
	t_loopback_addr(AF_INET, &ss, &len);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, p[0], (struct sockaddr *)&ss, len);
	t_eq(run1(sqe, 40), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_listen(sqe, p[0], 4);
	t_eq(run1(sqe, 41), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, 9999, (struct sockaddr *)&ss, len);
	t_eq(run1(sqe, 42), -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_listen(sqe, 9999, 4);
	t_eq(run1(sqe, 43), -EBADF);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, 129);
	t_eq(run1(sqe, 44), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, (socklen_t)-1);
	t_eq(run1(sqe, 45), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, 0);
	t_eq(run1(sqe, 46), -EINVAL);	/* the protocol refuses length 0 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)8, len);
	t_eq(run1(sqe, 47), -EFAULT);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len);
	sqe->len = 1;
	t_eq(run1(sqe, 48), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len);
	sqe->rw_flags = 1;
	t_eq(run1(sqe, 49), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len);
	sqe->splice_fd_in = 1;
	t_eq(run1(sqe, 50), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len);
	sqe->ioprio = 1;
	t_eq(run1(sqe, 51), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_listen(sqe, fd, 4);
	sqe->addr2 = 1;
	t_eq(run1(sqe, 52), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_listen(sqe, fd, 4);
	sqe->addr = 1;
	t_eq(run1(sqe, 53), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_listen(sqe, fd, 4);
	sqe->buf_index = 1;
	t_eq(run1(sqe, 54), -EINVAL);
	/* listen on an unbound TCP socket binds it to a port */
	sqe = t_get_sqe(&ring);
	io_uring_prep_listen(sqe, fd, 4);
	t_eq(run1(sqe, 55), 0);
	close(fd);
	/* listen on a connected socket */
	{
		int sp[2];

		t_stream_pair(AF_INET, sp);
		sqe = t_get_sqe(&ring);
		io_uring_prep_listen(sqe, sp[0], 4);
		t_eq(run1(sqe, 56), -EINVAL);
		close(sp[0]);
		close(sp[1]);
	}
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	t_ring_init(&ring, 16, 0);
	test_plain();
	test_direct();
	test_bind_listen();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
