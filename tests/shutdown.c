/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_SHUTDOWN.  SHUT_WR ends the stream for the peer
 * (its waiting receive completes with 0) while data still flows the other
 * way; SHUT_RD makes our own receives end (0); SHUT_RDWR both; over TCP
 * (127.0.0.1, ::1) and Unix sockets, also through a fixed file; linked
 * after a SEND.  Errors: a bad `how` -EINVAL, not connected -ENOTCONN, a
 * pipe -ENOTSOCK, a bad fd -EBADF, reserved fields (off, addr, rw_flags,
 * buf_index, splice_fd_in, ioprio) -EINVAL.
 */
#include "net-util.h"

static struct io_uring ring;

static int shut(int fd, int how, void (*tweak)(struct io_uring_sqe *))
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_shutdown(sqe, fd, how);
	if (tweak)
		tweak(sqe);
	sqe->user_data = 77;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 77);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void t_off(struct io_uring_sqe *sqe) { sqe->off = 1; }
static void t_addr(struct io_uring_sqe *sqe) { sqe->addr = 1; }
static void t_rwf(struct io_uring_sqe *sqe) { sqe->rw_flags = 1; }
static void t_bi(struct io_uring_sqe *sqe) { sqe->buf_index = 1; }
static void t_sfi(struct io_uring_sqe *sqe) { sqe->splice_fd_in = 1; }
static void t_prio(struct io_uring_sqe *sqe) { sqe->ioprio = 1; }
static void t_fixed(struct io_uring_sqe *sqe) { sqe->flags |= IOSQE_FIXED_FILE; }

static void test_family(int family)
{
	int s[2];
	char buf[16];
	struct io_uring_sqe *sqe;
	unsigned eof = family == AF_UNIX ? 0 : IORING_CQE_F_SOCK_NONEMPTY;

	if (family == AF_UNIX)
		t_unix_pair(SOCK_STREAM, s);
	else
		t_stream_pair(family, s);

	/* the peer's waiting receive sees the end */
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, sizeof(buf), 0);
	sqe->user_data = 1;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	sqe = t_get_sqe(&ring);
	io_uring_prep_shutdown(sqe, s[0], SHUT_WR);
	sqe->user_data = 77;
	t_submit(&ring, 1);
	{
		/* two threads of events: either CQE may come first */
		struct t_cqe_want w[2] = { { 77, 0, 0, -1 }, { 1, 0, eof, -1 } };

		t_reap_cqes(&ring, w, 2);
	}
	/* the other direction still works */
	t_eq(send(s[1], "back", 4, 0), 4);
	t_eq(recv(s[0], buf, sizeof(buf), 0), 4);
	/* writing after SHUT_WR */
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], "x", 1, 0);
	sqe->user_data = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, -EPIPE, 0);

	/* SHUT_RD: our own receive ends */
	t_eq(shut(s[0], SHUT_RD, NULL), 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[0], buf, sizeof(buf), 0);
	sqe->user_data = 3;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, 0, 0);
	close(s[0]);
	close(s[1]);

	/* SHUT_RDWR through a fixed file, linked after a send */
	if (family == AF_UNIX)
		t_unix_pair(SOCK_STREAM, s);
	else
		t_stream_pair(family, s);
	t_eq(io_uring_register_files(&ring, s, 2), 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, 0, "last", 4, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	sqe->user_data = 4;
	sqe = t_get_sqe(&ring);
	io_uring_prep_shutdown(sqe, 0, SHUT_RDWR);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 5;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 4, 4, 0);
	t_expect_cqe(&ring, 5, 0, 0);
	t_eq(recv(s[1], buf, sizeof(buf), 0), 4);
	t_eq(recv(s[1], buf, sizeof(buf), 0), 0);
	t_eq(shut(1, SHUT_WR, t_fixed), 0);
	t_eq(io_uring_unregister_files(&ring), 0);
	close(s[0]);
	close(s[1]);
}

static void test_errors(void)
{
	int s[2], p[2], u;

	t_stream_pair(AF_INET, s);
	t_eq(shut(s[0], 7, NULL), -EINVAL);
	t_eq(shut(s[0], -1, NULL), -EINVAL);
	t_eq(shut(s[0], SHUT_RD, t_off), -EINVAL);
	t_eq(shut(s[0], SHUT_RD, t_addr), -EINVAL);
	t_eq(shut(s[0], SHUT_RD, t_rwf), -EINVAL);
	t_eq(shut(s[0], SHUT_RD, t_bi), -EINVAL);
	t_eq(shut(s[0], SHUT_RD, t_sfi), -EINVAL);
	t_eq(shut(s[0], SHUT_RD, t_prio), -EINVAL);
	u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	t_eq(shut(u, SHUT_RD, NULL), -ENOTCONN);
	close(u);
	t_pipe(p);
	t_eq(shut(p[0], SHUT_RD, NULL), -ENOTSOCK);
	t_eq(shut(9999, SHUT_RD, NULL), -EBADF);
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
}

int main(void)
{
	t_ring_init(&ring, 16, 0);
	test_family(AF_INET);
	if (t_have_ipv6())
		test_family(AF_INET6);
	else
		printf("no ::1 here; IPv6 part skipped\n");
	test_family(AF_UNIX);
	test_errors();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
