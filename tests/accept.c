/* SPDX-License-Identifier: MIT */
/*
 * Description: one-shot IORING_OP_ACCEPT over 127.0.0.1, ::1 and Unix
 * sockets, on blocking and nonblocking listeners.  An accept waits for a
 * connection and completes with the new fd (peer address and length written
 * back, SOCK_NONBLOCK/SOCK_CLOEXEC applied); IORING_CQE_F_SOCK_NONEMPTY when
 * more TCP connections are queued (never for Unix); IORING_ACCEPT_DONTWAIT
 * gives -EAGAIN on an empty queue (and with POLL_FIRST, always);
 * IORING_ACCEPT_POLL_FIRST waits first; direct descriptors into a slot (res
 * 0) or a free slot (res = slot), -ENXIO/-ENFILE without a table;
 * cancellation of a waiting accept (-ECANCELED); IOSQE_ASYNC; and the
 * errors: not listening -EINVAL, a pipe -ENOTSOCK, a bad fd -EBADF, a bad
 * address pointer -EFAULT, reserved fields and bad flags -EINVAL.
 */
#include "net-util.h"

static struct io_uring ring;

static int wait_res(uint64_t ud, unsigned *flags)
{
	struct io_uring_cqe *cqe = t_wait_cqe(&ring);
	int res = cqe->res;

	t_eq(cqe->user_data, ud);
	if (flags)
		*flags = cqe->flags;
	else
		t_eq(cqe->flags, 0);
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void submit_accept(int lfd, struct sockaddr *addr, socklen_t *alen,
			  int flags, uint16_t ioprio, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_accept(sqe, lfd, addr, alen, flags);
	sqe->ioprio |= ioprio;
	sqe->user_data = ud;
	t_submit(&ring, 1);
}

/* Data goes through an accepted pair. */
static void check_pair(int a, int b)
{
	char buf[8];

	t_eq(write(a, "ping", 4), 4);
	t_eq(read(b, buf, sizeof(buf)), 4);
	t_assert(!memcmp(buf, "ping", 4));
}

static void test_family(int family, int nonblock_listener)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen;
	unsigned flags;
	int l, c, fd, c2;

	l = t_listener(family, SOCK_STREAM | (nonblock_listener ? SOCK_NONBLOCK : 0),
		       &ss, &len);

	/* Waits for a connection. */
	memset(&peer, 0, sizeof(peer));
	plen = sizeof(peer);
	submit_accept(l, (struct sockaddr *)&peer, &plen, 0, 0, 1);
	usleep(20000);
	t_expect_no_cqe(&ring);
	c = t_connect_to(&ss, len, SOCK_STREAM);
	fd = wait_res(1, NULL);
	t_assert(fd >= 0);
	t_eq(peer.ss_family, family);
	if (family == AF_INET)
		t_eq(plen, sizeof(struct sockaddr_in));
	else if (family == AF_INET6)
		t_eq(plen, sizeof(struct sockaddr_in6));
	t_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	t_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	check_pair(c, fd);
	check_pair(fd, c);
	close(fd);
	close(c);

	/* Flags for the new socket; a connection already queued. */
	c = t_connect_to(&ss, len, SOCK_STREAM);
	submit_accept(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 2);
	fd = wait_res(2, NULL);
	t_assert(fd >= 0);
	t_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	t_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(c);

	/* Two queued: TCP says the queue is not empty after the first. */
	c = t_connect_to(&ss, len, SOCK_STREAM);
	c2 = t_connect_to(&ss, len, SOCK_STREAM);
	usleep(10000);
	submit_accept(l, NULL, NULL, 0, 0, 3);
	fd = wait_res(3, &flags);
	t_assert(fd >= 0);
	t_eq(flags, family == AF_UNIX ? 0 : IORING_CQE_F_SOCK_NONEMPTY);
	close(fd);
	submit_accept(l, NULL, NULL, 0, 0, 4);
	fd = wait_res(4, &flags);
	t_assert(fd >= 0);
	t_eq(flags, 0);
	close(fd);
	close(c);
	close(c2);

	/* DONTWAIT: nothing queued -> -EAGAIN at once. */
	submit_accept(l, NULL, NULL, 0, IORING_ACCEPT_DONTWAIT, 5);
	t_eq(wait_res(5, NULL), -EAGAIN);
	c = t_connect_to(&ss, len, SOCK_STREAM);
	usleep(10000);
	submit_accept(l, NULL, NULL, 0, IORING_ACCEPT_DONTWAIT, 6);
	fd = wait_res(6, NULL);
	t_assert(fd >= 0);
	close(fd);
	close(c);

	/* POLL_FIRST waits for readiness first; a connection queued makes
	 * it ready at once.  With DONTWAIT it cannot wait: -EAGAIN. */
	c = t_connect_to(&ss, len, SOCK_STREAM);
	usleep(10000);
	submit_accept(l, NULL, NULL, 0,
		      IORING_ACCEPT_POLL_FIRST | IORING_ACCEPT_DONTWAIT, 7);
	t_eq(wait_res(7, NULL), -EAGAIN);
	submit_accept(l, NULL, NULL, 0, IORING_ACCEPT_POLL_FIRST, 8);
	fd = wait_res(8, NULL);
	t_assert(fd >= 0);
	close(fd);
	close(c);
	submit_accept(l, NULL, NULL, 0, IORING_ACCEPT_POLL_FIRST, 9);
	usleep(20000);
	t_expect_no_cqe(&ring);
	c = t_connect_to(&ss, len, SOCK_STREAM);
	fd = wait_res(9, NULL);
	t_assert(fd >= 0);
	close(fd);
	close(c);

	/* IOSQE_ASYNC */
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_accept(sqe, l, NULL, NULL, 0);
		sqe->flags |= IOSQE_ASYNC;
		sqe->user_data = 10;
		t_submit(&ring, 1);
		usleep(10000);
		t_expect_no_cqe(&ring);
		c = t_connect_to(&ss, len, SOCK_STREAM);
		fd = wait_res(10, NULL);
		t_assert(fd >= 0);
		close(fd);
		close(c);
	}

	/* A bad address pointer: the connection is taken, the result is
	 * -EFAULT. */
	c = t_connect_to(&ss, len, SOCK_STREAM);
	plen = sizeof(peer);
	submit_accept(l, (struct sockaddr *)8, &plen, 0, 0, 11);
	t_eq(wait_res(11, NULL), -EFAULT);
	close(c);

	close(l);
}

static void test_direct(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct io_uring_sqe *sqe;
	int files[3] = { -1, -1, -1 };
	int l, c, ret;
	char buf[8];

	l = t_listener(AF_INET, SOCK_STREAM, &ss, &len);

	/* no table: the error comes with the connection */
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept_direct(sqe, l, NULL, NULL, 0, 1);
	sqe->user_data = 20;
	t_submit(&ring, 1);
	c = t_connect_to(&ss, len, SOCK_STREAM);
	t_eq(wait_res(20, NULL), -ENXIO);
	close(c);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept_direct(sqe, l, NULL, NULL, 0, IORING_FILE_INDEX_ALLOC);
	sqe->user_data = 21;
	t_submit(&ring, 1);
	c = t_connect_to(&ss, len, SOCK_STREAM);
	t_eq(wait_res(21, NULL), -ENFILE);
	close(c);

	t_eq(io_uring_register_files(&ring, files, 3), 0);
	c = t_connect_to(&ss, len, SOCK_STREAM);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept_direct(sqe, l, NULL, NULL, 0, 1);
	sqe->user_data = 22;
	t_submit(&ring, 1);
	t_eq(wait_res(22, NULL), 0);
	/* receive through the slot */
	t_eq(write(c, "slot", 4), 4);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, 1, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 23;
	t_submit(&ring, 1);
	t_eq(wait_res(23, NULL), 4);
	t_assert(!memcmp(buf, "slot", 4));
	close(c);

	c = t_connect_to(&ss, len, SOCK_STREAM);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept_direct(sqe, l, NULL, NULL, 0, IORING_FILE_INDEX_ALLOC);
	sqe->user_data = 24;
	t_submit(&ring, 1);
	ret = wait_res(24, NULL);
	t_assert(ret == 0 || ret == 2);
	t_assert(ret != 1);
	close(c);
	/* slot out of range */
	c = t_connect_to(&ss, len, SOCK_STREAM);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept_direct(sqe, l, NULL, NULL, 0, 7);
	sqe->user_data = 25;
	t_submit(&ring, 1);
	t_eq(wait_res(25, NULL), -EINVAL);
	close(c);
	t_eq(io_uring_unregister_files(&ring), 0);
	close(l);
}

static void test_cancel(int nonblock_listener)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int l, i, cancel_res = 1, accept_res = 1;

	l = t_listener(AF_INET, SOCK_STREAM | (nonblock_listener ? SOCK_NONBLOCK : 0),
		       &ss, &len);
	submit_accept(l, NULL, NULL, 0, 0, 30);
	usleep(10000);
	sqe = t_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 30, 0);
	sqe->user_data = 31;
	t_submit(&ring, 1);
	for (i = 0; i < 2; i++) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->flags, 0);
		if (cqe->user_data == 30)
			accept_res = cqe->res;
		else if (cqe->user_data == 31)
			cancel_res = cqe->res;
		else
			t_fail("unexpected CQE %llu", (unsigned long long)cqe->user_data);
		io_uring_cqe_seen(&ring, cqe);
	}
	/* found waiting for a connection: removed */
	t_eq(accept_res, -ECANCELED);
	t_eq(cancel_res, 0);
	close(l);
}

static void test_errors(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct io_uring_sqe *sqe;
	int p[2], s, l;

	t_pipe(p);
	submit_accept(p[0], NULL, NULL, 0, 0, 40);
	t_eq(wait_res(40, NULL), -ENOTSOCK);
	submit_accept(9999, NULL, NULL, 0, 0, 41);
	t_eq(wait_res(41, NULL), -EBADF);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	submit_accept(s, NULL, NULL, 0, 0, 42);		/* not listening */
	t_eq(wait_res(42, NULL), -EINVAL);
	submit_accept(s, NULL, NULL, 0x4000000, 0, 43);
	t_eq(wait_res(43, NULL), -EINVAL);
	submit_accept(s, NULL, NULL, 0, 1u << 3, 44);	/* unknown ioprio flag */
	t_eq(wait_res(44, NULL), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept(sqe, s, NULL, NULL, 0);
	sqe->len = 1;
	sqe->user_data = 45;
	t_submit(&ring, 1);
	t_eq(wait_res(45, NULL), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept(sqe, s, NULL, NULL, 0);
	sqe->buf_index = 1;
	sqe->user_data = 46;
	t_submit(&ring, 1);
	t_eq(wait_res(46, NULL), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_accept_direct(sqe, s, NULL, NULL, SOCK_CLOEXEC, 0);
	sqe->user_data = 47;
	t_submit(&ring, 1);
	t_eq(wait_res(47, NULL), -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_multishot_accept_direct(sqe, s, NULL, NULL, 0);
	sqe->file_index = 1;		/* multishot needs ALLOC */
	sqe->user_data = 48;
	t_submit(&ring, 1);
	t_eq(wait_res(48, NULL), -EINVAL);
	close(s);
	close(p[0]);
	close(p[1]);

	/* A pending accept on a blocking listener at ring teardown. */
	{
		struct io_uring r2;

		l = t_listener(AF_INET, SOCK_STREAM, &ss, &len);
		t_ring_init(&r2, 4, 0);
		sqe = io_uring_get_sqe(&r2);
		io_uring_prep_accept(sqe, l, NULL, NULL, 0);
		t_eq(io_uring_submit(&r2), 1);
		usleep(10000);
		io_uring_queue_exit(&r2);
		close(l);
	}
}

int main(void)
{
	int fam, nb;

	t_ring_init(&ring, 16, 0);
	for (fam = 0; fam < 3; fam++) {
		int family = fam == 0 ? AF_INET : fam == 1 ? AF_INET6 : AF_UNIX;

		if (family == AF_INET6 && !t_have_ipv6()) {
			printf("no ::1 here; IPv6 part skipped\n");
			continue;
		}
		for (nb = 0; nb < 2; nb++)
			test_family(family, nb);
	}
	test_direct();
	test_cancel(1);
	test_cancel(0);
	test_errors();
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
