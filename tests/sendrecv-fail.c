/* SPDX-License-Identifier: MIT */
/*
 * Description: send and receive requests that fail from outside (the
 * kernel's ->fail hook, io_sendrecv_fail): a MSG_WAITALL receive cancelled
 * after part of its data completes with the bytes received (and still
 * breaks its link), from a provided buffer too (the CQE names it: the
 * receive held it while it waited for the rest); a MSG_WAITALL send cancelled after part went out says
 * how much; a zero-copy send cancelled while it waits, or failed as a link
 * head, posts its result with IORING_CQE_F_MORE and then the notification;
 * one cancelled because an earlier link failed posts -ECANCELED (no
 * F_MORE, as the kernel) and still its notification; so does one whose
 * own prep failed inside a chain.
 */
#include <signal.h>

#include "net-util.h"

static struct io_uring ring;

static void cancel_ud(uint64_t target, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_cancel64(sqe, target, 0);
	sqe->user_data = ud;
	t_submit(&ring, 1);
}

/* Read until want bytes came (or nothing more does for a while). */
static size_t drain_all(int fd, size_t want)
{
	static char junk[65536];
	size_t total = 0;

	while (total < want && t_readable(fd, 2000)) {
		ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (n <= 0)
			break;
		total += (size_t)n;
	}
	return total;
}

/* The notification of a zero-copy send must come after its own CQE. */
static void notif_after(const struct t_cqe_want *w, unsigned n,
			uint64_t ud)
{
	int own = -1, notif = -1;

	for (unsigned i = 0; i < n; i++) {
		if (w[i].ud != ud)
			continue;
		if (w[i].flags & IORING_CQE_F_NOTIF)
			notif = w[i].pos;
		else
			own = w[i].pos;
	}
	t_assert(own >= 0 && notif > own);
}

static void test_recv_waitall(void)
{
	static char buf[1000], data[500];
	struct io_uring_sqe *sqe;
	int fds[2];

	t_stream_pair(AF_INET, fds);
	memset(data, 'w', sizeof(data));
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, fds[0], buf, sizeof(buf), MSG_WAITALL);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	t_prep_nop(&ring, 2);
	t_submit(&ring, 2);
	t_eq(send(fds[1], data, sizeof(data), 0), (ssize_t)sizeof(data));
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	cancel_ud(1, 3);
	{
		struct t_cqe_want w[] = {
			{ 1, 500, 0, 0 },		/* what arrived */
			{ 2, -ECANCELED, 0, 0 },	/* still a failure */
			{ 3, 0, 0, 0 },
		};

		t_reap_cqes(&ring, w, 3);
		t_in_order(w, 3, 1, 2);
	}
	t_eq(memcmp(buf, data, sizeof(data)), 0);

	/* RECVMSG the same way */
	{
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct t_cqe_want w[] = {
			{ 4, 300, 0, 0 },
			{ 5, 0, 0, 0 },
		};

		sqe = t_get_sqe(&ring);
		io_uring_prep_recvmsg(sqe, fds[0], &m, MSG_WAITALL);
		sqe->user_data = 4;
		t_submit(&ring, 1);
		t_eq(send(fds[1], data, 300, 0), 300);
		usleep(50 * 1000);
		t_expect_no_cqe(&ring);
		cancel_ud(4, 5);
		t_reap_cqes(&ring, w, 2);
	}
	close(fds[0]);
	close(fds[1]);
}

/*
 * The same from a provided buffer: the receive keeps its buffer (taken
 * from the ring once data arrived) and goes on into the rest of it;
 * cancelled, its CQE has the bytes and the buffer.  RECV and RECVMSG.
 */
static void test_recv_waitall_select(void)
{
	static char bufs[2][64];
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	int fds[2], err;

	t_stream_pair(AF_INET, fds);
	br = io_uring_setup_buf_ring(&ring, 4, 6, 0, &err);
	t_assert(br);
	for (int op = 0; op < 2; op++) {
		struct iovec iov = { NULL, 0 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct io_uring_sqe *sqe;
		uint64_t ud = 40 + (uint64_t)op * 10;
		unsigned bid = (unsigned)op * 2;

		io_uring_buf_ring_add(br, bufs[0], 64, (unsigned short)bid,
				      io_uring_buf_ring_mask(4), 0);
		io_uring_buf_ring_add(br, bufs[1], 64, (unsigned short)(bid + 1),
				      io_uring_buf_ring_mask(4), 1);
		io_uring_buf_ring_advance(br, 2);
		sqe = t_get_sqe(&ring);
		if (op)
			io_uring_prep_recvmsg(sqe, fds[0], &m, MSG_WAITALL);
		else
			io_uring_prep_recv(sqe, fds[0], NULL, 0, MSG_WAITALL);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = 6;
		sqe->user_data = ud;
		t_submit(&ring, 1);
		t_eq(send(fds[1], "0123456789", 10, 0), 10);
		usleep(30 * 1000);
		t_eq(send(fds[1], "abcdefghij", 10, 0), 10);
		usleep(30 * 1000);
		t_expect_no_cqe(&ring);
		cancel_ud(ud, ud + 1);
		{
			struct t_cqe_want w[] = {
				{ ud, 20, IORING_CQE_F_BUFFER |
					  (bid << IORING_CQE_BUFFER_SHIFT), 0 },
				{ ud + 1, 0, 0, 0 },
			};

			t_reap_cqes(&ring, w, 2);
		}
		t_eq(memcmp(bufs[0], "0123456789abcdefghij", 20), 0);

		/* and one that gets all 64 bytes */
		sqe = t_get_sqe(&ring);
		if (op)
			io_uring_prep_recvmsg(sqe, fds[0], &m, MSG_WAITALL);
		else
			io_uring_prep_recv(sqe, fds[0], NULL, 0, MSG_WAITALL);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = 6;
		sqe->user_data = ud + 2;
		t_submit(&ring, 1);
		t_eq(send(fds[1], "0123456789", 10, 0), 10);
		usleep(30 * 1000);
		t_expect_no_cqe(&ring);
		t_eq(send(fds[1], bufs[0], 54, 0), 54);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, ud + 2);
		t_eq(cqe->res, 64);
		t_eq(cqe->flags & ~IORING_CQE_F_SOCK_NONEMPTY,
		     IORING_CQE_F_BUFFER | ((bid + 1) << IORING_CQE_BUFFER_SHIFT));
		io_uring_cqe_seen(&ring, cqe);
	}
	t_eq(io_uring_free_buf_ring(&ring, br, 4, 6), 0);
	close(fds[0]);
	close(fds[1]);
}

/* A MSG_WAITALL send cancelled after part of it went out. */
static void test_send_waitall(void)
{
	static char big[1 << 20];
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int fds[2], v = 4096;

	t_stream_pair(AF_INET, fds);
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	sqe = t_get_sqe(&ring);
	io_uring_prep_send(sqe, fds[0], big, sizeof(big), MSG_WAITALL);
	sqe->user_data = 10;
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	cancel_ud(10, 11);
	for (int i = 0; i < 2; i++) {
		cqe = t_wait_cqe(&ring);
		if (cqe->user_data == 10) {
			size_t got;

			/* part went out: that is the result */
			t_assert(cqe->res > 0 && cqe->res < (int)sizeof(big));
			t_eq(cqe->flags, 0);
			got = drain_all(fds[1], (size_t)cqe->res);
			t_assert(!t_readable(fds[1], 100));
			t_eq(got, (size_t)cqe->res);
		} else {
			t_check_cqe(cqe, 11, 0, 0);
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	close(fds[0]);
	close(fds[1]);
}

static void test_zc(void)
{
	static char data[64];
	struct io_uring_sqe *sqe;
	int fds[2], v = 4096;

	t_stream_pair(AF_INET, fds);

	/* linked after a failing request: -ECANCELED without F_MORE, then
	 * the notification all the same */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, -1, data, sizeof(data), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 20;
	sqe = t_get_sqe(&ring);
	io_uring_prep_send_zc(sqe, fds[0], data, sizeof(data), 0, 0);
	sqe->user_data = 21;
	t_submit(&ring, 2);
	{
		struct t_cqe_want w[] = {
			{ 20, -EBADF, 0, 0 },
			{ 21, -ECANCELED, 0, 0 },
			{ 21, 0, IORING_CQE_F_NOTIF, 0 },
		};

		t_reap_cqes(&ring, w, 3);
		t_in_order(w, 3, 20, 21);
		notif_after(w, 3, 21);
	}
	/* SENDMSG_ZC the same */
	{
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct t_cqe_want w[] = {
			{ 22, -EBADF, 0, 0 },
			{ 23, -ECANCELED, 0, 0 },
			{ 23, 0, IORING_CQE_F_NOTIF, 0 },
		};

		sqe = t_get_sqe(&ring);
		io_uring_prep_read(sqe, -1, data, sizeof(data), 0);
		sqe->flags |= IOSQE_IO_LINK;
		sqe->user_data = 22;
		sqe = t_get_sqe(&ring);
		io_uring_prep_sendmsg_zc(sqe, fds[0], &m, 0);
		sqe->user_data = 23;
		t_submit(&ring, 2);
		t_reap_cqes(&ring, w, 3);
		notif_after(w, 3, 23);
	}

	/* the head of a chain whose next member fails prep: the head fails
	 * as a whole (-ECANCELED) with F_MORE, then its notification */
	{
		struct t_cqe_want w[] = {
			{ 24, -ECANCELED, IORING_CQE_F_MORE, 0 },
			{ 25, -EINVAL, 0, 0 },
			{ 24, 0, IORING_CQE_F_NOTIF, 0 },
		};

		sqe = t_get_sqe(&ring);
		io_uring_prep_send_zc(sqe, fds[0], data, sizeof(data), 0, 0);
		sqe->flags |= IOSQE_IO_LINK;
		sqe->user_data = 24;
		sqe = t_prep_nop(&ring, 25);
		sqe->ioprio = 1;	/* NOP takes no ioprio */
		io_uring_submit(&ring);
		t_reap_cqes(&ring, w, 3);
		notif_after(w, 3, 24);
	}

	/* a zero-copy send failing its own prep inside a chain: its error
	 * without F_MORE (the chain is cancelled), then notifications */
	{
		struct t_cqe_want w[] = {
			{ 26, -ECANCELED, 0, 0 },
			{ 27, -EINVAL, 0, 0 },
			{ 28, -ECANCELED, 0, 0 },
			{ 27, 0, IORING_CQE_F_NOTIF, 0 },
			{ 28, 0, IORING_CQE_F_NOTIF, 0 },
		};

		sqe = t_prep_nop(&ring, 26);
		sqe->flags |= IOSQE_IO_LINK;
		sqe = t_get_sqe(&ring);
		io_uring_prep_send_zc(sqe, fds[0], data, sizeof(data), 0, 0);
		sqe->ioprio = 0x8000;	/* no such zero-copy flag */
		sqe->flags |= IOSQE_IO_LINK;
		sqe->user_data = 27;
		sqe = t_get_sqe(&ring);
		io_uring_prep_send_zc(sqe, fds[0], data, sizeof(data), 0, 0);
		sqe->user_data = 28;
		io_uring_submit(&ring);
		t_reap_cqes(&ring, w, 5);
		t_in_order(w, 5, 26, 27, 28);
		notif_after(w, 5, 27);
		notif_after(w, 5, 28);
	}

	/* cancelled while it waits for room: F_MORE, then the notification */
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	t_fill_sndbuf(fds[0]);
	sqe = t_get_sqe(&ring);
	io_uring_prep_send_zc(sqe, fds[0], data, sizeof(data), 0, 0);
	sqe->user_data = 29;
	t_submit(&ring, 1);
	usleep(50 * 1000);
	t_expect_no_cqe(&ring);
	cancel_ud(29, 30);
	{
		struct t_cqe_want w[] = {
			{ 29, -ECANCELED, IORING_CQE_F_MORE, 0 },
			{ 29, 0, IORING_CQE_F_NOTIF, 0 },
			{ 30, 0, 0, 0 },
		};

		t_reap_cqes(&ring, w, 3);
		notif_after(w, 3, 29);
	}
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	t_ring_init(&ring, 32, 0);
	test_recv_waitall();
	test_recv_waitall_select();
	test_send_waitall();
	test_zc();
	io_uring_queue_exit(&ring);
	return 0;
}
