/* SPDX-License-Identifier: MIT */
/*
 * Description: receives into provided buffers over loopback TCP: one-shot
 * RECV with a buffer ring, multishot RECV (IORING_CQE_F_MORE and a buffer
 * id per message), -ENOBUFS ending a multishot receive when the ring runs
 * dry, EOF ending it with res 0, a bundle (several buffers in one CQE: res
 * is the byte count, the CQE names the first buffer), and a legacy group.
 */
#include <netinet/in.h>
#include <unistd.h>

#include "helpers/helpers.h"
#include "net-util.h"

static struct io_uring ring;
static char bufs[8][64];

static void recv_sel(int fd, unsigned len, int bgid, unsigned ioprio,
		     bool mshot, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	if (mshot)
		io_uring_prep_recv_multishot(sqe, fd, NULL, len, 0);
	else
		io_uring_prep_recv(sqe, fd, NULL, len, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)bgid;
	sqe->ioprio |= (uint16_t)ioprio;
	sqe->user_data = ud;
}

static struct io_uring_buf_ring *ring_with(int bgid, int n)
{
	struct io_uring_buf_ring *br;
	int err;

	br = io_uring_setup_buf_ring(&ring, 8, bgid, 0, &err);
	t_assert(br);
	for (int i = 0; i < n; i++)
		io_uring_buf_ring_add(br, bufs[i], 64, (unsigned short)i,
				      io_uring_buf_ring_mask(8), i);
	io_uring_buf_ring_advance(br, n);
	return br;
}

int main(void)
{
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	char msg[200];
	int fds[2];

	t_ring_init(&ring, 32, 0);
	t_stream_pair(AF_INET, fds);
	memset(msg, 'x', sizeof(msg));

	/* One-shot: data already there. */
	br = ring_with(1, 4);
	t_eq(write(fds[1], "hello", 5), 5);
	recv_sel(fds[0], 0, 1, 0, false, 1);
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 1);
	t_eq(cqe->res, 5);
	t_eq(cqe->flags & (IORING_CQE_F_BUFFER | 0xffff0000u), IORING_CQE_F_BUFFER);
	t_assert(!memcmp(bufs[0], "hello", 5));
	io_uring_cqe_seen(&ring, cqe);

	/* Multishot: three messages, three CQEs with F_MORE, ids 1..3. */
	recv_sel(fds[0], 0, 1, 0, true, 2);
	t_submit(&ring, 1);
	for (int i = 0; i < 3; i++) {
		t_eq(write(fds[1], "abc", 3), 3);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 2);
		t_eq(cqe->res, 3);
		t_assert(cqe->flags & IORING_CQE_F_MORE);
		t_assert(cqe->flags & IORING_CQE_F_BUFFER);
		t_eq(cqe->flags >> IORING_CQE_BUFFER_SHIFT, (unsigned)(i + 1));
		io_uring_cqe_seen(&ring, cqe);
		usleep(5 * 1000);
	}
	/* Dry ring: the next message ends it with -ENOBUFS. */
	t_eq(write(fds[1], "z", 1), 1);
	t_expect_cqe(&ring, 2, -ENOBUFS, 0);
	{
		char c;

		t_eq(read(fds[0], &c, 1), 1);
	}
	t_eq(io_uring_free_buf_ring(&ring, br, 8, 1), 0);

	/* EOF ends a multishot receive with res 0. */
	br = ring_with(2, 4);
	recv_sel(fds[0], 0, 2, 0, true, 3);
	t_submit(&ring, 1);
	usleep(10 * 1000);
	shutdown(fds[1], SHUT_WR);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 3);
	t_eq(cqe->res, 0);
	t_eq(cqe->flags & IORING_CQE_F_MORE, 0);
	io_uring_cqe_seen(&ring, cqe);
	t_eq(io_uring_free_buf_ring(&ring, br, 8, 2), 0);
	close(fds[0]);
	close(fds[1]);

	/* Bundles: 150 bytes into 64-byte buffers.  Each CQE names its first
	 * buffer and says how many bytes; the buffers it used follow in ring
	 * order.  (How many a single receive takes is the kernel's choice: 6.18
	 * takes two here; ursa takes what is there.)  Every byte arrives, and
	 * each CQE starts where the previous one's buffers ended. */
	t_stream_pair(AF_INET, fds);
	br = ring_with(3, 8);
	t_eq(write(fds[1], msg, 150), 150);
	usleep(10 * 1000);
	{
		unsigned next_bid = 0, total = 0;

		while (total < 150) {
			recv_sel(fds[0], 0, 3, IORING_RECVSEND_BUNDLE, false, 4);
			t_submit(&ring, 1);
			cqe = t_wait_cqe(&ring);
			t_eq(cqe->user_data, 4);
			if (cqe->res == -EINVAL && t_backend_is_kernel()) {
				io_uring_cqe_seen(&ring, cqe);	/* no bundles */
				break;
			}
			t_assert(cqe->res > 0);
			t_assert(cqe->flags & IORING_CQE_F_BUFFER);
			t_eq(cqe->flags >> IORING_CQE_BUFFER_SHIFT, next_bid);
			next_bid += ((unsigned)cqe->res + 63) / 64;
			total += (unsigned)cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		t_assert(total == 150 || total == 0);
	}
	t_eq(io_uring_free_buf_ring(&ring, br, 8, 3), 0);

	/* A legacy group. */
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_provide_buffers(sqe, bufs, 64, 2, 9, 40);
		sqe->user_data = 6;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 6, 0, 0);
		t_eq(write(fds[1], "legacy", 6), 6);
		recv_sel(fds[0], 0, 9, 0, false, 7);
		t_submit(&ring, 1);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->res, 6);
		t_eq(cqe->flags >> IORING_CQE_BUFFER_SHIFT, 40);
		io_uring_cqe_seen(&ring, cqe);
	}
	/* No group: -ENOBUFS. */
	t_eq(write(fds[1], "n", 1), 1);
	recv_sel(fds[0], 0, 77, 0, false, 8);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 8, -ENOBUFS, 0);
	io_uring_queue_exit(&ring);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
