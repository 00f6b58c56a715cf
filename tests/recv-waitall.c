/* SPDX-License-Identifier: MIT */
/*
 * Description: MSG_WAITALL on RECV, RECVMSG, SEND and SENDMSG, as the
 * kernel retries short transfers: on streams (TCP, Unix) and seqpacket
 * sockets the request keeps going until everything moved, one CQE with the
 * total; data ending early (end of stream) completes with what arrived and
 * fails the request (its link is cancelled); MSG_DONTWAIT stops at the first
 * would-block with the partial count (failed); datagram sockets do not
 * retry (a short or cut datagram fails the request); a big MSG_WAITALL send
 * over a small socket buffer completes with the whole length.
 */
#include <pthread.h>

#include "net-util.h"

static struct io_uring ring;

struct feeder {
	int fd;
	const char *data;
	size_t len;
	size_t piece;
	int close_after;
};

/* Writes the data in pieces, 20 ms apart. */
static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0;

	while (off < f->len) {
		size_t n = f->len - off < f->piece ? f->len - off : f->piece;

		usleep(20000);
		if (send(f->fd, f->data + off, n, 0) != (ssize_t)n)
			break;
		off += n;
	}
	if (f->close_after)
		shutdown(f->fd, SHUT_WR);
	return NULL;
}

static void test_recv_stream(int family, int use_msg)
{
	static char data[3000], got[3000];
	struct feeder f;
	pthread_t th;
	struct io_uring_sqe *sqe;
	struct iovec iov[2] = { { got, 1000 }, { got + 1000, 2000 } };
	struct msghdr m;
	int s[2];

	if (family == AF_UNIX)
		t_unix_pair(SOCK_STREAM, s);
	else
		t_stream_pair(family, s);
	t_fill_pattern(data, sizeof(data), 0, 3);
	memset(got, 0, sizeof(got));
	sqe = t_get_sqe(&ring);
	if (use_msg) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = 2;
		io_uring_prep_recvmsg(sqe, s[1], &m, MSG_WAITALL);
	} else {
		io_uring_prep_recv(sqe, s[1], got, sizeof(got), MSG_WAITALL);
	}
	sqe->user_data = 1;
	t_submit(&ring, 1);
	f = (struct feeder){ s[0], data, sizeof(data), 700, 0 };
	pthread_create(&th, NULL, feed, &f);
	t_expect_cqe(&ring, 1, 3000, 0);
	pthread_join(th, NULL);
	t_eq(t_bufcmp(got, data, sizeof(data), "received"), 0);

	/* the stream ends after 100 bytes: 100, and the link is broken */
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], got, 500, MSG_WAITALL);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 2;
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 3;
	t_submit(&ring, 2);
	f = (struct feeder){ s[0], data, 100, 60, 1 };
	pthread_create(&th, NULL, feed, &f);
	t_expect_cqe(&ring, 2, 100, family == AF_UNIX ? 0 : IORING_CQE_F_SOCK_NONEMPTY);
	t_expect_cqe(&ring, 3, -ECANCELED, 0);
	pthread_join(th, NULL);
	close(s[0]);
	close(s[1]);
}

static void test_dontwait(void)
{
	char got[100];
	struct io_uring_sqe *sqe;
	int s[2];

	t_unix_pair(SOCK_STREAM, s);
	t_eq(send(s[0], "0123456789", 10, 0), 10);
	/* 10 there, 100 wanted, may not wait: 10, failed */
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], got, sizeof(got), MSG_WAITALL | MSG_DONTWAIT);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 10;
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 11;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 10, 10, 0);
	t_expect_cqe(&ring, 11, -ECANCELED, 0);
	close(s[0]);
	close(s[1]);
}

static void test_seqpacket(void)
{
	char got[8];
	struct io_uring_sqe *sqe;
	int s[2];

	t_unix_pair(SOCK_SEQPACKET, s);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, s[1], got, sizeof(got), MSG_WAITALL);
	sqe->user_data = 20;
	t_submit(&ring, 1);
	t_eq(send(s[0], "aaaa", 4, 0), 4);
	usleep(20000);
	t_expect_no_cqe(&ring);
	t_eq(send(s[0], "bbbb", 4, 0), 4);
	t_expect_cqe(&ring, 20, 8, 0);
	t_assert(!memcmp(got, "aaaabbbb", 8));
	close(s[0]);
	close(s[1]);
}

static void test_dgram(void)
{
	char got[16];
	struct io_uring_sqe *sqe;
	int u[2];

	t_udp_pair(AF_INET, u);
	/* short datagram: no retry, failed */
	t_eq(send(u[0], "short", 5, 0), 5);
	t_assert(t_readable(u[1], 1000));
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, u[1], got, sizeof(got), MSG_WAITALL);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 30;
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 31;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 30, 5, 0);
	t_expect_cqe(&ring, 31, -ECANCELED, 0);
	/* cut datagram: all the buffer, but MSG_TRUNC fails it */
	t_eq(send(u[0], "0123456789", 10, 0), 10);
	t_assert(t_readable(u[1], 1000));
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, u[1], got, 4, MSG_WAITALL);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 32;
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 33;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 32, 4, 0);
	t_expect_cqe(&ring, 33, -ECANCELED, 0);
	/* exact fit: fine */
	t_eq(send(u[0], "four", 4, 0), 4);
	t_assert(t_readable(u[1], 1000));
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, u[1], got, 4, MSG_WAITALL);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 34;
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 35;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 34, 4, 0);
	t_expect_cqe(&ring, 35, 0, 0);
	close(u[0]);
	close(u[1]);
}

struct drainer {
	int fd;
	char *buf;
	size_t len;
};

static void *drain(void *arg)
{
	struct drainer *d = arg;
	size_t off = 0;

	while (off < d->len) {
		ssize_t n;

		usleep(2000);
		n = recv(d->fd, d->buf + off, d->len - off > 8192 ? 8192 : d->len - off, 0);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	d->len = off;
	return NULL;
}

static void test_send_waitall(int use_msg)
{
	size_t len = 1 << 20;
	char *data = malloc(len), *got = malloc(len);
	int s[2], small = 8192;
	struct drainer d;
	pthread_t th;
	struct io_uring_sqe *sqe;
	struct iovec iov[2] = { { data, len / 2 }, { data + len / 2, len / 2 } };
	struct msghdr m;

	t_unix_pair(SOCK_STREAM, s);
	setsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	t_fill_pattern(data, len, 0, 9);
	sqe = t_get_sqe(&ring);
	if (use_msg) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = 2;
		io_uring_prep_sendmsg(sqe, s[0], &m, MSG_WAITALL);
	} else {
		io_uring_prep_send(sqe, s[0], data, len, MSG_WAITALL);
	}
	sqe->user_data = 40;
	t_submit(&ring, 1);
	d = (struct drainer){ s[1], got, len };
	pthread_create(&th, NULL, drain, &d);
	{
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = { 30, 0 };

		t_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), 0);
		t_check_cqe(cqe, 40, (int)len, 0);
		io_uring_cqe_seen(&ring, cqe);
	}
	pthread_join(th, NULL);
	t_eq(d.len, len);
	t_eq(t_bufcmp(got, data, len, "sent"), 0);
	close(s[0]);
	close(s[1]);
	free(data);
	free(got);
}

int main(void)
{
	t_ring_init(&ring, 16, 0);
	test_recv_stream(AF_INET, 0);
	test_recv_stream(AF_INET, 1);
	if (t_have_ipv6())
		test_recv_stream(AF_INET6, 0);
	test_recv_stream(AF_UNIX, 0);
	test_recv_stream(AF_UNIX, 1);
	test_dontwait();
	test_seqpacket();
	test_dgram();
	test_send_waitall(0);
	test_send_waitall(1);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
