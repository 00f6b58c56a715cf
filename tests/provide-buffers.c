/* SPDX-License-Identifier: MIT */
/*
 * Description: provided buffers for reads (IOSQE_BUFFER_SELECT): legacy
 * groups (PROVIDE_BUFFERS / REMOVE_BUFFERS: FIFO order, -ENOBUFS when dry,
 * the prep errors), buffer rings in application memory and mapped through
 * the ring fd (IOU_PBUF_RING_MMAP), incremental consumption
 * (IORING_CQE_F_BUF_MORE), IORING_REGISTER_PBUF_STATUS, a pipe read that
 * waits keeps no buffer while it waits, and the registration errors.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void provide(void *addr, int len, int nbufs, int bgid, int bid,
		    uint64_t ud, int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_provide_buffers(sqe, addr, len, nbufs, bgid, bid);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static void read_sel(int fd, unsigned len, int bgid, uint64_t off, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_read(sqe, fd, NULL, len, off);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)bgid;
	sqe->user_data = ud;
}

static unsigned bid_of(unsigned flags)
{
	return flags >> IORING_CQE_BUFFER_SHIFT;
}

int main(void)
{
	static char pool[8][256], rbuf_mem[4][128];
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int fd, fds[2], ret;

	t_ring_init(&ring, 16, 0);
	fd = t_temp_fd(4096, 3);

	/* Legacy: 4 buffers, ids 10..13, consumed in order. */
	provide(pool, 256, 4, 7, 10, 1, 0);
	for (int i = 0; i < 4; i++) {
		read_sel(fd, 100, 7, (uint64_t)i * 100, 20 + (uint64_t)i);
		t_submit(&ring, 1);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 20 + (uint64_t)i);
		t_eq(cqe->res, 100);
		t_assert(cqe->flags & IORING_CQE_F_BUFFER);
		t_eq(bid_of(cqe->flags), 10 + (unsigned)i);
		io_uring_cqe_seen(&ring, cqe);
	}
	/* Dry: -ENOBUFS. */
	read_sel(fd, 100, 7, 0, 30);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 30, -ENOBUFS, 0);
	/* A group that does not exist: -ENOBUFS too. */
	read_sel(fd, 100, 99, 0, 31);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 31, -ENOBUFS, 0);
	/* len 0 = the whole buffer. */
	provide(pool, 256, 1, 7, 0, 32, 0);
	read_sel(fd, 0, 7, 0, 33);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 33, 256, IORING_CQE_F_BUFFER);

	/* REMOVE_BUFFERS: the count removed; no group: -ENOENT. */
	provide(pool, 256, 3, 8, 0, 34, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_remove_buffers(sqe, 5, 8);
	sqe->user_data = 35;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 35, 3, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_remove_buffers(sqe, 1, 4321);
	sqe->user_data = 36;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 36, -ENOENT, 0);

	/* Prep errors. */
	provide(pool, 256, 0, 9, 0, 37, -E2BIG);
	provide(pool, 0, 1, 9, 0, 38, -EINVAL);
	provide(pool, 256, 2, 9, 65535, 39, -EINVAL);
	provide(pool, 256, 1, 9, 65536, 40, -E2BIG);

	/* A ring in application memory. */
	{
		struct io_uring_buf_ring *br;
		struct io_uring_buf_status st;
		int err;

		br = io_uring_setup_buf_ring(&ring, 4, 3, 0, &err);
		t_assert(br);
		for (int i = 0; i < 4; i++)
			io_uring_buf_ring_add(br, rbuf_mem[i], 128, (unsigned short)(100 + i),
					      io_uring_buf_ring_mask(4), i);
		io_uring_buf_ring_advance(br, 4);
		for (int i = 0; i < 4; i++) {
			read_sel(fd, 64, 3, 0, 50 + (uint64_t)i);
			t_submit(&ring, 1);
			cqe = t_wait_cqe(&ring);
			t_eq(cqe->res, 64);
			t_eq(bid_of(cqe->flags), 100 + (unsigned)i);
			t_eq(cqe->flags & IORING_CQE_F_BUF_MORE, 0);
			io_uring_cqe_seen(&ring, cqe);
		}
		memset(&st, 0, sizeof(st));
		st.buf_group = 3;
		t_eq(io_uring_buf_ring_head(&ring, 3, (uint16_t *)&st.head), 0);
		t_eq((uint16_t)st.head, 4);
		read_sel(fd, 64, 3, 0, 54);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 54, -ENOBUFS, 0);
		/* A second ring on the same group: -EEXIST. */
		t_assert(!io_uring_setup_buf_ring(&ring, 4, 3, 0, &err));
		t_eq(err, -EEXIST);
		t_eq(io_uring_free_buf_ring(&ring, br, 4, 3), 0);
		/* Gone: unregister again -ENOENT. */
		t_eq(io_uring_unregister_buf_ring(&ring, 3), -ENOENT);
		/* A legacy group cannot be unregistered as a ring. */
		provide(pool, 256, 1, 11, 0, 55, 0);
		t_eq(io_uring_unregister_buf_ring(&ring, 11), -EINVAL);
	}

	/* Incremental consumption: one 128-byte buffer read 48 bytes at a
	 * time: BUF_MORE twice, then the last piece ends it. */
	{
		struct io_uring_buf_ring *br;
		int err;

		br = io_uring_setup_buf_ring(&ring, 2, 4, IOU_PBUF_RING_INC, &err);
		if (!br && err == -EINVAL && t_backend_is_kernel()) {
			/* kernel without INC: nothing to compare */
		} else {
			t_assert(br);
			io_uring_buf_ring_add(br, rbuf_mem[0], 128, 7,
					      io_uring_buf_ring_mask(2), 0);
			io_uring_buf_ring_advance(br, 1);
			read_sel(fd, 48, 4, 0, 60);
			t_submit(&ring, 1);
			t_expect_cqe(&ring, 60, 48, IORING_CQE_F_BUFFER |
				     IORING_CQE_F_BUF_MORE | (7u << 16));
			read_sel(fd, 48, 4, 0, 61);
			t_submit(&ring, 1);
			t_expect_cqe(&ring, 61, 48, IORING_CQE_F_BUFFER |
				     IORING_CQE_F_BUF_MORE | (7u << 16));
			read_sel(fd, 48, 4, 0, 62);
			t_submit(&ring, 1);
			t_expect_cqe(&ring, 62, 32, IORING_CQE_F_BUFFER | (7u << 16));
			read_sel(fd, 48, 4, 0, 63);
			t_submit(&ring, 1);
			t_expect_cqe(&ring, 63, -ENOBUFS, 0);
			t_eq(io_uring_free_buf_ring(&ring, br, 2, 4), 0);
		}
	}

	/* A ring the ring allocates, mapped through the ring fd. */
	{
		struct io_uring_buf_reg reg;
		struct io_uring_buf_ring *br;

		memset(&reg, 0, sizeof(reg));
		reg.ring_entries = 8;
		reg.bgid = 5;
		reg.flags = IOU_PBUF_RING_MMAP;
		t_eq(io_uring_register_buf_ring(&ring, &reg, 0), 0);
		br = mmap(NULL, 8 * sizeof(struct io_uring_buf),
			  PROT_READ | PROT_WRITE, MAP_SHARED, ring.ring_fd,
			  (off_t)(IORING_OFF_PBUF_RING | (5ull << IORING_OFF_PBUF_SHIFT)));
		t_assert(br != MAP_FAILED);
		io_uring_buf_ring_init(br);
		io_uring_buf_ring_add(br, rbuf_mem[1], 128, 42,
				      io_uring_buf_ring_mask(8), 0);
		io_uring_buf_ring_advance(br, 1);
		read_sel(fd, 16, 5, 0, 70);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 70, 16, IORING_CQE_F_BUFFER | (42u << 16));
		munmap(br, 8 * sizeof(struct io_uring_buf));
		t_eq(io_uring_unregister_buf_ring(&ring, 5), 0);
	}

	/* Registration errors. */
	{
		struct io_uring_buf_reg reg;

		memset(&reg, 0, sizeof(reg));
		reg.ring_entries = 3;		/* not a power of 2 */
		reg.bgid = 6;
		reg.flags = IOU_PBUF_RING_MMAP;
		t_eq(io_uring_register_buf_ring(&ring, &reg, 0), -EINVAL);
		reg.ring_entries = 8;
		reg.flags = 1u << 9;
		t_eq(io_uring_register_buf_ring(&ring, &reg, 0), -EINVAL);
		reg.flags = IOU_PBUF_RING_MMAP;
		reg.resv[0] = 1;
		t_eq(io_uring_register_buf_ring(&ring, &reg, 0), -EINVAL);
		reg.resv[0] = 0;
		reg.min_left = 4;		/* without INC */
		t_eq(io_uring_register_buf_ring(&ring, &reg, 0), -EINVAL);
	}

	/* A pipe read waiting with a legacy buffer keeps it (the kernel
	 * does): a second read finds the group dry. */
	t_pipe(fds);
	provide(pool[0], 256, 1, 12, 77, 80, 0);
	read_sel(fds[0], 100, 12, 0, 81);
	t_submit(&ring, 1);
	usleep(20 * 1000);
	read_sel(fd, 10, 12, 0, 82);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 82, -ENOBUFS, 0);
	ret = (int)write(fds[1], "hello", 5);
	t_eq(ret, 5);
	t_expect_cqe(&ring, 81, 5, IORING_CQE_F_BUFFER | (77u << 16));

	/* With a ring the waiting read holds nothing: the ring entry goes to
	 * the next read, and the waiting one takes the next entry. */
	{
		struct io_uring_buf_ring *br;
		int err;

		br = io_uring_setup_buf_ring(&ring, 4, 13, 0, &err);
		t_assert(br);
		io_uring_buf_ring_add(br, rbuf_mem[0], 128, 1, io_uring_buf_ring_mask(4), 0);
		io_uring_buf_ring_add(br, rbuf_mem[1], 128, 2, io_uring_buf_ring_mask(4), 1);
		io_uring_buf_ring_advance(br, 2);
		read_sel(fds[0], 100, 13, 0, 90);
		t_submit(&ring, 1);
		usleep(20 * 1000);
		read_sel(fd, 10, 13, 0, 91);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 91, 10, IORING_CQE_F_BUFFER | (1u << 16));
		ret = (int)write(fds[1], "hey", 3);
		t_eq(ret, 3);
		t_expect_cqe(&ring, 90, 3, IORING_CQE_F_BUFFER | (2u << 16));
		t_eq(io_uring_free_buf_ring(&ring, br, 4, 13), 0);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
