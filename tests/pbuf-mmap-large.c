/* SPDX-License-Identifier: MIT */
/*
 * A large IOU_PBUF_RING_MMAP ring (32768 entries, 512 KiB) mapped through
 * the ring fd at its group's offset and used by a receive; then a group
 * whose offset falls inside that mapping: the kernel places it elsewhere,
 * ursa (whose ring fd is a memfd, one line of offsets) refuses it with
 * -ENOMEM rather than alias the first ring (docs/ARCHITECTURE.md, Buffers).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers/helpers.h"

#define ENTRIES 32768

int main(void)
{
	struct io_uring ring;
	struct io_uring_buf_reg reg;
	struct io_uring_buf_ring *br;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	static char data[64][64];
	int sv[2], ret;

	t_ring_init(&ring, 8, 0);
	memset(&reg, 0, sizeof(reg));
	reg.ring_entries = ENTRIES;
	reg.bgid = 4;
	reg.flags = IOU_PBUF_RING_MMAP;
	ret = io_uring_register_buf_ring(&ring, &reg, 0);
	t_eq(ret, 0);
	br = mmap(NULL, ENTRIES * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		  MAP_SHARED, ring.ring_fd,
		  IORING_OFF_PBUF_RING | (4ull << IORING_OFF_PBUF_SHIFT));
	t_assert(br != MAP_FAILED);
	io_uring_buf_ring_init(br);
	for (int i = 0; i < 64; i++)
		io_uring_buf_ring_add(br, data[i], 64, (uint16_t)(1000 + i),
				      ENTRIES - 1, i);
	io_uring_buf_ring_advance(br, 64);

	t_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t_eq(write(sv[1], "large ring", 10), 10);
	sqe = t_get_sqe(&ring);
	io_uring_prep_recv(sqe, sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 4;
	sqe->user_data = 1;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->res, 10);
	t_eq(cqe->flags >> IORING_CQE_BUFFER_SHIFT, 1000);
	io_uring_cqe_seen(&ring, cqe);
	t_assert(!memcmp(data[0], "large ring", 10));

	/* Group 5's offset is inside group 4's 512 KiB. */
	reg.ring_entries = 8;
	reg.bgid = 5;
	ret = io_uring_register_buf_ring(&ring, &reg, 0);
	if (t_backend_is_kernel())
		t_eq(ret, 0);
	else
		t_eq(ret, -ENOMEM);
	/* Far enough away: fine on both. */
	reg.bgid = 40;
	t_eq(io_uring_register_buf_ring(&ring, &reg, 0), 0);
	munmap(br, ENTRIES * sizeof(struct io_uring_buf));
	close(sv[0]);
	close(sv[1]);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
