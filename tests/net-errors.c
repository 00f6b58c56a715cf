/* SPDX-License-Identifier: MIT */
/*
 * Description: error paths of the socket opcodes.  A peer reset: the
 * waiting receive gets -ECONNRESET, a later send -EPIPE; an unconnected TCP
 * socket: send -EPIPE, receive -ENOTCONN; files that are not sockets
 * -ENOTSOCK; bad fds and empty fixed slots -EBADF for every opcode;
 * reserved fields and unknown flags -EINVAL (FIXED_BUF is for the zero-copy
 * sends only); provided-buffer forms without a group: RECV/RECVMSG
 * -ENOBUFS, SEND -ENOENT, multishot receive without IOSQE_BUFFER_SELECT or
 * with MSG_WAITALL -EINVAL; cancellation of waiting receives and sends (by
 * user_data and by fd); ring teardown with transfers still waiting.
 */
#include <sys/ioctl.h>

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
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void test_reset(void)
{
	int s[2];
	char buf[16];
	struct linger lg = { 1, 0 };
	struct io_uring_sqe *sqe;

	t_stream_pair(AF_INET, s);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, sizeof(buf), 0);
	sqe->user_data = 1;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	/* close with linger 0: an RST */
	t_eq(setsockopt(s[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(s[0]);
	t_expect_cqe(&ring, 1, -ECONNRESET, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[1], "x", 1, 0);
	t_eq(run1(sqe, 2), -EPIPE);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, sizeof(buf), 0);
	t_eq(run1(sqe, 3), 0);
	close(s[1]);

	/* the reset comes first to a send */
	t_stream_pair(AF_INET, s);
	t_eq(setsockopt(s[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(s[0]);
	usleep(10000);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[1], "x", 1, 0);
	t_eq(run1(sqe, 4), -ECONNRESET);
	close(s[1]);

	/* never connected */
	s[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], "x", 1, 0);
	t_eq(run1(sqe, 5), -EPIPE);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[0], buf, sizeof(buf), 0);
	t_eq(run1(sqe, 6), -ENOTCONN);
	close(s[0]);
}

static void test_not_socket(void)
{
	int p[2], f;
	char buf[8];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct io_uring_sqe *sqe;

	t_pipe(p);
	f = t_temp_fd(64, 2);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, p[1], "x", 1, 0);
	t_eq(run1(sqe, 10), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, f, "x", 1, 0);
	t_eq(run1(sqe, 11), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, f, buf, sizeof(buf), 0);
	t_eq(run1(sqe, 12), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recvmsg(sqe, f, &m, 0);
	t_eq(run1(sqe, 13), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_sendmsg(sqe, f, &m, 0);
	t_eq(run1(sqe, 14), -ENOTSOCK);
	/* POLL_FIRST: a send checks the socket first */
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, p[1], "x", 1, 0);
	sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	t_eq(run1(sqe, 15), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept(sqe, f, NULL, NULL, 0);
	t_eq(run1(sqe, 16), -ENOTSOCK);
	sqe = t_get_sqe(&ring);
	io_uring_prep_shutdown(sqe, f, SHUT_RDWR);
	t_eq(run1(sqe, 17), -ENOTSOCK);
	close(f);
	close(p[0]);
	close(p[1]);
}

static void test_bad_fds(void)
{
	char buf[8];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sockaddr_storage ss;
	socklen_t len;
	struct io_uring_sqe *sqe;
	int files[2] = { -1, -1 }, fixed, op;

	t_loopback_addr(AF_INET, &ss, &len);
	t_eq(io_uring_register_files(&ring, files, 2), 0);
	for (fixed = 0; fixed < 2; fixed++) {
		int fd = fixed ? 1 : 9999;

		for (op = 0; op < 10; op++) {
			sqe = t_get_sqe(&ring);
			switch (op) {
			case 0: io_uring_prep_send(sqe, fd, "x", 1, 0); break;
			case 1: io_uring_prep_recv(sqe, fd, buf, 1, 0); break;
			case 2: io_uring_prep_sendmsg(sqe, fd, &m, 0); break;
			case 3: io_uring_prep_recvmsg(sqe, fd, &m, 0); break;
			case 4: io_uring_prep_accept(sqe, fd, NULL, NULL, 0); break;
			case 5: io_uring_prep_connect(sqe, fd, (struct sockaddr *)&ss, len); break;
			case 6: io_uring_prep_bind(sqe, fd, (struct sockaddr *)&ss, len); break;
			case 7: io_uring_prep_listen(sqe, fd, 1); break;
			case 8: io_uring_prep_shutdown(sqe, fd, SHUT_RD); break;
			case 9: io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_SIOCINQ, fd, 0, 0, NULL, 0); break;
			}
			if (fixed)
				sqe->flags |= IOSQE_FIXED_FILE;
			t_eq(run1(sqe, 20 + op), -EBADF);
		}
	}
	t_eq(io_uring_unregister_files(&ring), 0);
}

static void test_fields(void)
{
	int s[2];
	char buf[8];
	struct io_uring_sqe *sqe;

	t_stream_pair(AF_INET, s);
	/* SEND: __pad3 (next to addr_len) must be 0; FIXED_BUF, unknown
	 * flags refused */
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], "x", 1, 0);
	sqe->__pad3[0] = 1;
	t_eq(run1(sqe, 40), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], "x", 1, 0);
	sqe->ioprio = IORING_RECVSEND_FIXED_BUF;
	t_eq(run1(sqe, 41), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], "x", 1, 0);
	sqe->ioprio = 1u << 6;
	t_eq(run1(sqe, 42), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], "x", 1, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	t_eq(run1(sqe, 43), -EINVAL);
	/* RECV: addr2 (== off) and file_index must be 0 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, 1, 0);
	sqe->off = 1;
	t_eq(run1(sqe, 44), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, 1, 0);
	sqe->file_index = 1;
	t_eq(run1(sqe, 45), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, 1, 0);
	sqe->ioprio = IORING_RECVSEND_FIXED_BUF;
	t_eq(run1(sqe, 46), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, 1, 0);
	sqe->ioprio = IORING_SEND_VECTORIZED;
	t_eq(run1(sqe, 47), -EINVAL);
	/* vectored send: more than UIO_MAXIOV */
	{
		static struct iovec many[1025];

		sqe = t_get_sqe(&ring);
		io_uring_prep_send(sqe, s[0], many, 1025, 0);
		sqe->ioprio = IORING_SEND_VECTORIZED;
		t_eq(run1(sqe, 48), -EINVAL);
		sqe = t_get_sqe(&ring);
		io_uring_prep_send(sqe, s[0], (void *)8, 2, 0);
		sqe->ioprio = IORING_SEND_VECTORIZED;
		t_eq(run1(sqe, 49), -EFAULT);
	}
	/* provided-buffer forms, no group registered */
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 5;
	t_eq(run1(sqe, 50), -ENOBUFS);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv_multishot(sqe, s[1], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 5;
	t_eq(run1(sqe, 51), -ENOBUFS);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv_multishot(sqe, s[1], buf, 0, 0);
	t_eq(run1(sqe, 52), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv_multishot(sqe, s[1], NULL, 0, MSG_WAITALL);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	t_eq(run1(sqe, 53), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], NULL, 1, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 5;
	t_eq(run1(sqe, 54), -ENOENT);
	t_eq(t_readable(s[1], 0), 0);
	close(s[0]);
	close(s[1]);
}

static void test_cancel(void)
{
	int s[2], p[2], i;
	char buf[8];
	static char big[65536];
	int small = 4096;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int res[4] = { 1, 1, 1, 1 };

	t_stream_pair(AF_INET, s);
	/* a waiting receive, cancelled by user_data */
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], buf, sizeof(buf), 0);
	sqe->user_data = 60;
	t_submit(&ring, 1);
	usleep(10000);
	sqe = t_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 60, 0);
	sqe->user_data = 61;
	t_submit(&ring, 1);
	for (i = 0; i < 2; i++) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->flags, 0);
		res[cqe->user_data - 60] = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	t_eq(res[0], -ECANCELED);
	t_eq(res[1], 0);

	/* a waiting send (full socket) and receive, cancelled by fd */
	setsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(s[0], F_SETFL, O_NONBLOCK);
	while (send(s[0], big, sizeof(big), 0) > 0)
		;
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, s[0], "x", 1, 0);
	sqe->user_data = 62;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);
	sqe = t_get_sqe(&ring);
	io_uring_prep_cancel_fd(sqe, s[0], 0);
	sqe->user_data = 63;
	t_submit(&ring, 1);
	for (i = 0; i < 2; i++) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->flags, 0);
		res[cqe->user_data - 60] = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	t_eq(res[2], -ECANCELED);
	t_eq(res[3], 0);
	close(s[0]);
	close(s[1]);

	/* teardown with transfers waiting */
	{
		struct io_uring r2;

		t_stream_pair(AF_INET, s);
		t_pipe(p);
		t_ring_init(&r2, 4, 0);
		sqe = io_uring_get_sqe(&r2);
		io_uring_prep_recv(sqe, s[1], buf, sizeof(buf), 0);
		sqe = io_uring_get_sqe(&r2);
		io_uring_prep_recv(sqe, s[0], buf, sizeof(buf), MSG_WAITALL);
		t_eq(io_uring_submit(&r2), 2);
		usleep(10000);
		io_uring_queue_exit(&r2);
		close(p[0]);
		close(p[1]);
		close(s[0]);
		close(s[1]);
	}
}

int main(void)
{
	t_ring_init(&ring, 16, 0);
	test_reset();
	test_not_socket();
	test_bad_fds();
	test_fields();
	test_cancel();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
