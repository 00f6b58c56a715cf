/* SPDX-License-Identifier: MIT */
/*
 * IORING_OP_RECV_ZC's errors and endings: prep checks (addr/addr2/addr3,
 * unknown zcrx id, len UINT_MAX, msg_flags, ioprio bits, no MULTISHOT: all
 * -EINVAL), files (-EBADF, -ENOTSOCK; a socket that is not TCP
 * -EPROTONOSUPPORT), none with F_MORE; cancellation (-ECANCELED) and a
 * ring that exits with receives in flight (inline-armed and on a worker,
 * with the queue also held by a box).
 */
#include <sys/un.h>

#include "zcrx-common.h"

static struct io_uring ring;
static struct zc z;

static void expect_prep(int res, void (*tweak)(struct io_uring_sqe *), int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	zc_prep_recv(sqe, fd, z.reg.zcrx_id, 0, 9);
	if (tweak)
		tweak(sqe);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 9, res, 0);
}

static void t_addr(struct io_uring_sqe *s) { s->addr = 4096; }
static void t_addr2(struct io_uring_sqe *s) { s->addr2 = 1; }
static void t_addr3(struct io_uring_sqe *s) { s->addr3 = 1; }
static void t_id(struct io_uring_sqe *s) { s->zcrx_ifq_idx = 99; }
static void t_len(struct io_uring_sqe *s) { s->len = ~0u; }
static void t_msgf(struct io_uring_sqe *s) { s->msg_flags = MSG_WAITALL; }
static void t_prio(struct io_uring_sqe *s) { s->ioprio |= IORING_RECVSEND_BUNDLE; }
static void t_oneshot(struct io_uring_sqe *s) { s->ioprio = 0; }

static void test_exit_inflight(bool async, bool boxed)
{
	struct io_uring r;
	struct zc z2;
	int fds[2], box = -1;

	zc_ring_init(&r, 8, IORING_SETUP_CQE32);
	zc_init(&z2, 8, 4);
	zc_register_or_skip(&r, &z2);
	zc_tcp_pair(fds);
	if (boxed) {
		struct zcrx_ctrl c;

		t_eq(zc_ctrl(&r, z2.reg.zcrx_id, ZCRX_CTRL_EXPORT, &c), 0);
		box = (int)c.zc_export.zcrx_fd;
	}
	if (async)
		zc_send_all(fds[1], "data", 4);
	zc_prep_recv(io_uring_get_sqe(&r), fds[0], z2.reg.zcrx_id, 0, 1);
	if (async)
		io_uring_sqe_set_flags(r.sq.sqes, IOSQE_ASYNC);
	t_submit(&r, 1);
	if (!async)
		zc_send_all(fds[1], "data", 4);
	if (box >= 0)
		close(box);
	io_uring_queue_exit(&r);
	usleep(1000);
	close(fds[0]);
	close(fds[1]);
	zc_free(&z2);
}

int main(void)
{
	int fds[2], u[2], udp;
	struct io_uring_cqe *cqe;

	zc_ring_init(&ring, 16, IORING_SETUP_CQE32);
	zc_init(&z, 16, 8);
	zc_register_or_skip(&ring, &z);
	zc_tcp_pair(fds);

	expect_prep(-EINVAL, t_addr, fds[0]);
	expect_prep(-EINVAL, t_addr2, fds[0]);
	expect_prep(-EINVAL, t_addr3, fds[0]);
	expect_prep(-EINVAL, t_id, fds[0]);
	expect_prep(-EINVAL, t_len, fds[0]);
	expect_prep(-EINVAL, t_msgf, fds[0]);
	expect_prep(-EINVAL, t_prio, fds[0]);
	expect_prep(-EINVAL, t_oneshot, fds[0]);

	expect_prep(-EBADF, NULL, -1);
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		zc_prep_recv(sqe, ring.ring_fd, z.reg.zcrx_id, 0, 9);
		t_submit(&ring, 1);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->flags, 0);
		t_assert(cqe->res == -ENOTSOCK || cqe->res == -EBADF);
		io_uring_cqe_seen(&ring, cqe);
	}
	t_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, u), 0);
	t_eq(send(u[1], "x", 1, 0), 1);
	expect_prep(-EPROTONOSUPPORT, NULL, u[0]);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	expect_prep(-EPROTONOSUPPORT, NULL, udp);
	close(udp);
	close(u[0]);
	close(u[1]);

	/* a waiting receive is cancelled like any multishot receive */
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, 10);
	t_submit(&ring, 1);
	t_expect_no_cqe(&ring);
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_cancel64(sqe, 10, 0);
		sqe->user_data = 11;
		t_submit(&ring, 1);
	}
	{
		struct t_cqe_want w[] = { { 10, -ECANCELED, 0, 0 }, { 11, 0, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
	/* ... also after delivering some data */
	zc_prep_recv(io_uring_get_sqe(&ring), fds[0], z.reg.zcrx_id, 0, 12);
	t_submit(&ring, 1);
	zc_send_all(fds[1], "abc", 3);
	cqe = t_wait_cqe(&ring);
	t_check_cqe(cqe, 12, 3, IORING_CQE_F_MORE);
	io_uring_cqe_seen(&ring, cqe);
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct t_cqe_want w[] = { { 12, -ECANCELED, 0, 0 }, { 13, 0, 0, 0 } };

		io_uring_prep_cancel64(sqe, 12, 0);
		sqe->user_data = 13;
		t_submit(&ring, 1);
		t_reap_cqes(&ring, w, 2);
	}
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	zc_free(&z);

	for (int i = 0; i < 4; i++)
		test_exit_inflight(i & 1, i & 2);
	return T_EXIT_PASS;
}
