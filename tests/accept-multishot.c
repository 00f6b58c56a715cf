/* SPDX-License-Identifier: MIT */
/*
 * Description: multishot IORING_OP_ACCEPT.  One request accepts every
 * connection, each posted with IORING_CQE_F_MORE (plus SOCK_NONEMPTY for
 * TCP when more are queued), on blocking and nonblocking listeners over
 * 127.0.0.1, ::1 and Unix sockets, until cancelled (a final -ECANCELED
 * without F_MORE).  When the CQ cannot take a CQE the request ends: that
 * connection comes in a final CQE without F_MORE and later connections stay
 * queued.  Direct descriptors with IORING_FILE_INDEX_ALLOC: each CQE is a
 * slot, a full table ends it with -ENFILE.  DONTWAIT on an empty queue ends
 * it with -EAGAIN.
 */
#include "net-util.h"

#define NCONN 5

static void cancel_and_check(struct io_uring *ring, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int i, got_cancel = 0, got_final = 0;

	io_uring_prep_cancel64(sqe, ud, 0);
	sqe->user_data = 999;
	t_submit(ring, 1);
	for (i = 0; i < 2; i++) {
		cqe = t_wait_cqe(ring);
		if (cqe->user_data == 999) {
			t_eq(cqe->res, 0);
			got_cancel = 1;
		} else {
			t_check_cqe(cqe, ud, -ECANCELED, 0);
			got_final = 1;
		}
		io_uring_cqe_seen(ring, cqe);
	}
	t_assert(got_cancel && got_final);
}

static void test_basic(int family, int nonblock)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct sockaddr_storage ss;
	socklen_t len;
	int l, i, c[NCONN], fds[NCONN];

	t_ring_init(&ring, 16, 0);
	l = t_listener(family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), &ss, &len);
	sqe = t_get_sqe(&ring);
	io_uring_prep_multishot_accept(sqe, l, NULL, NULL, SOCK_CLOEXEC);
	sqe->user_data = 7;
	t_submit(&ring, 1);
	usleep(10000);
	t_expect_no_cqe(&ring);

	for (i = 0; i < NCONN; i++) {
		c[i] = t_connect_to(&ss, len, SOCK_STREAM);
		/* one at a time: each gets its own CQE */
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 7);
		t_assert(cqe->res >= 0);
		t_eq(cqe->flags, IORING_CQE_F_MORE);
		fds[i] = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		t_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
		t_eq(write(c[i], "x", 1), 1);
		{
			char b;

			t_eq(read(fds[i], &b, 1), 1);
		}
	}
	/* a burst: all of them arrive, TCP may say more are queued */
	for (i = 0; i < NCONN; i++)
		close(c[i]), close(fds[i]);
	for (i = 0; i < NCONN; i++)
		c[i] = t_connect_to(&ss, len, SOCK_STREAM);
	for (i = 0; i < NCONN; i++) {
		unsigned allowed = IORING_CQE_F_MORE |
			(family != AF_UNIX ? IORING_CQE_F_SOCK_NONEMPTY : 0);

		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 7);
		t_assert(cqe->res >= 0);
		t_assert(cqe->flags & IORING_CQE_F_MORE);
		t_eq(cqe->flags & ~allowed, 0);
		close(cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	/* the last of a burst knows the queue is empty */
	t_expect_no_cqe(&ring);
	cancel_and_check(&ring, 7);
	for (i = 0; i < NCONN; i++)
		close(c[i]);
	close(l);
	io_uring_queue_exit(&ring);
}

/* The CQ holds 2: the third connection ends the multishot. */
static void test_cq_full(int nonblock)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct sockaddr_storage ss;
	socklen_t len;
	int l, i, c[4], res[3];
	unsigned flags[3];

	t_ring_init(&ring, 1, 0);	/* 1 SQE, 2 CQEs */
	l = t_listener(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), &ss, &len);
	for (i = 0; i < 4; i++)
		c[i] = t_connect_to(&ss, len, SOCK_STREAM);
	usleep(10000);
	sqe = t_get_sqe(&ring);
	io_uring_prep_multishot_accept(sqe, l, NULL, NULL, 0);
	sqe->user_data = 9;
	t_submit(&ring, 1);
	usleep(50000);
	for (i = 0; i < 3; i++) {
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 9);
		res[i] = cqe->res;
		flags[i] = cqe->flags;
		io_uring_cqe_seen(&ring, cqe);
	}
	for (i = 0; i < 3; i++) {
		t_assert(res[i] >= 0);
		close(res[i]);
	}
	t_assert(flags[0] & IORING_CQE_F_MORE);
	t_assert(flags[1] & IORING_CQE_F_MORE);
	t_eq(flags[2] & IORING_CQE_F_MORE, 0);
	usleep(10000);
	t_expect_no_cqe(&ring);
	/* the fourth connection is still queued */
	t_assert(t_readable(l, 0));
	{
		int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		t_assert(fd >= 0);
		close(fd);
	}
	for (i = 0; i < 4; i++)
		close(c[i]);
	close(l);
	io_uring_queue_exit(&ring);
}

static void test_direct_alloc(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct sockaddr_storage ss;
	socklen_t len;
	int files[2] = { -1, -1 };
	int l, i, c[3], seen = 0;

	t_ring_init(&ring, 8, 0);
	t_eq(io_uring_register_files(&ring, files, 2), 0);
	l = t_listener(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &ss, &len);
	sqe = t_get_sqe(&ring);
	io_uring_prep_multishot_accept_direct(sqe, l, NULL, NULL, 0);
	sqe->user_data = 11;
	t_submit(&ring, 1);
	for (i = 0; i < 3; i++) {
		c[i] = t_connect_to(&ss, len, SOCK_STREAM);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 11);
		if (i < 2) {
			t_assert(cqe->res == 0 || cqe->res == 1);
			t_assert(!(seen & (1 << cqe->res)));
			seen |= 1 << cqe->res;
			t_eq(cqe->flags, IORING_CQE_F_MORE);
		} else {
			/* the table is full: the end */
			t_check_cqe(cqe, 11, -ENFILE, 0);
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	for (i = 0; i < 3; i++)
		close(c[i]);
	close(l);
	io_uring_queue_exit(&ring);
}

static void test_dontwait(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct sockaddr_storage ss;
	socklen_t len;
	int l;

	t_ring_init(&ring, 8, 0);
	l = t_listener(AF_INET, SOCK_STREAM, &ss, &len);
	sqe = t_get_sqe(&ring);
	io_uring_prep_multishot_accept(sqe, l, NULL, NULL, 0);
	sqe->ioprio |= IORING_ACCEPT_DONTWAIT;
	sqe->user_data = 12;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 12, -EAGAIN, 0);
	close(l);
	io_uring_queue_exit(&ring);
}

int main(void)
{
	int fam, nb;

	for (fam = 0; fam < 3; fam++) {
		int family = fam == 0 ? AF_INET : fam == 1 ? AF_INET6 : AF_UNIX;

		if (family == AF_INET6 && !t_have_ipv6()) {
			printf("no ::1 here; IPv6 part skipped\n");
			continue;
		}
		for (nb = 0; nb < 2; nb++)
			test_basic(family, nb);
	}
	test_cq_full(1);
	test_cq_full(0);
	test_direct_alloc();
	test_dontwait();
	return T_EXIT_PASS;
}
