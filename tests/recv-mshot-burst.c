/* SPDX-License-Identifier: MIT */
/*
 * Description: a parked multishot RECV on a UDP socket receives every
 * datagram of a burst that arrives at once (several datagrams, one
 * readiness edge): one CQE with IORING_CQE_F_MORE per datagram, none lost.
 * Guards the readiness machinery against losing the rest of a burst.
 */
#include <netinet/in.h>
#include <unistd.h>

#include "helpers/helpers.h"
#include "net-util.h"

int main(void)
{
	static char bufs[16][64];
	struct io_uring_buf_ring *br;
	struct io_uring ring;
	int fds[2], err;

	t_ring_init(&ring, 32, 0);
	t_udp_pair(AF_INET, fds);
	br = io_uring_setup_buf_ring(&ring, 16, 1, 0, &err);
	t_assert(br);
	for (int i = 0; i < 16; i++)
		io_uring_buf_ring_add(br, bufs[i], 64, (unsigned short)i,
				      io_uring_buf_ring_mask(16), i);
	io_uring_buf_ring_advance(br, 16);

	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_recv_multishot(sqe, fds[0], NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = 1;
		sqe->user_data = 1;
		t_submit(&ring, 1);
	}
	for (int round = 0; round < 3; round++) {
		usleep(20 * 1000);	/* the receive is parked now */
		for (int i = 0; i < 3; i++)
			t_eq(send(fds[1], "dgram", 5, 0), 5);
		for (int i = 0; i < 3; i++) {
			struct io_uring_cqe *cqe = t_wait_cqe(&ring);

			t_eq(cqe->user_data, 1);
			t_eq(cqe->res, 5);
			t_assert(cqe->flags & IORING_CQE_F_MORE);
			t_assert(cqe->flags & IORING_CQE_F_BUFFER);
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
