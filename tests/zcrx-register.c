/* SPDX-License-Identifier: MIT */
/*
 * IORING_REGISTER_ZCRX_IFQ with ZCRX_REG_NODEV: what is written back, and
 * every parameter error in the kernel's order (ring flags, reserved
 * fields, rq_entries, the refill region, the area, rx_buf_len, a
 * device-bound registration, read-only parameters).
 */
#include "zcrx-common.h"

static struct io_uring ring;

static int try_reg(struct zc *z)
{
	return io_uring_register_ifq(&ring, &z->reg);
}

/* Expect err from a registration built by tweak(). */
#define EXPECT(err, ...)						\
	do {								\
		struct zc z_;						\
		zc_init(&z_, 128, 16);					\
		{ struct zc *z = &z_; (void)z; __VA_ARGS__; }		\
		t_eq(try_reg(&z_), err);				\
		zc_free(&z_);						\
	} while (0)

static void test_ring_flags(void)
{
	static const unsigned bad[] = {
		0,				/* neither */
		IORING_SETUP_CQE32,		/* no DEFER_TASKRUN */
		IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
	};
	struct io_uring r;
	struct zc z;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_ring_init(&r, 8, bad[i]);
		zc_init(&z, 128, 16);
		t_eq(io_uring_register_ifq(&r, &z.reg), -EINVAL);
		zc_free(&z);
		io_uring_queue_exit(&r);
	}
	/* CQE_MIXED is enough instead of CQE32 */
	zc_ring_init(&r, 8, IORING_SETUP_CQE_MIXED);
	zc_init(&z, 128, 16);
	t_eq(io_uring_register_ifq(&r, &z.reg), 0);
	zc_free(&z);
	io_uring_queue_exit(&r);
}

static void test_writeback(void)
{
	struct zc z, z2;

	zc_init(&z, 100, 16);		/* rounded up to 128 */
	z.reg.rx_buf_len = 0;
	t_eq(try_reg(&z), 0);
	t_eq(z.reg.zcrx_id, 0);
	t_eq(z.reg.rq_entries, 128);
	t_eq(z.reg.offsets.head, 0);
	t_eq(z.reg.offsets.tail, 4);
	t_assert(z.reg.offsets.rqes >= 8 && z.reg.offsets.rqes % 8 == 0);
	t_assert(z.reg.offsets.rqes + 128 * 16 <= z.rq_len);
	t_eq(z.reg.rx_buf_len, ZC_PAGE);
	t_eq(z.area.rq_area_token, 0);
	t_eq(z.rd.mmap_offset, 0);

	/* the next one gets the next id; an explicit page size is fine */
	zc_init(&z2, 16, 4);
	z2.reg.rx_buf_len = ZC_PAGE;
	t_eq(try_reg(&z2), 0);
	t_eq(z2.reg.zcrx_id, 1);
	t_eq(z2.reg.rq_entries, 16);
	/* kept registered until the ring goes: memory freed after */
}

/* The RQ in memory the ring provides, mapped through the ring fd. */
static void test_engine_region(void)
{
	struct io_uring r;
	struct zc z;
	void *rq;
	int fds[2];
	char msg[100];
	struct io_uring_cqe *cqe;

	zc_ring_init(&r, 8, IORING_SETUP_CQE32);
	zc_init(&z, 64, 16);
	z.rd.user_addr = 0;
	z.rd.flags = 0;
	z.rd.size = ZC_PAGE * 2;
	t_eq(io_uring_register_ifq(&r, &z.reg), 0);
	t_eq(z.rd.mmap_offset, 0x30000000ULL + ((uint64_t)z.reg.zcrx_id << 16));
	rq = mmap(NULL, z.rd.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		  r.ring_fd, (off_t)z.rd.mmap_offset);
	t_assert(rq != MAP_FAILED);
	zc_map_rq(&z, rq);
	t_eq(*z.khead, 0);
	t_eq(*z.ktail, 0);

	/* the data path works with it: receive, return, flush */
	zc_tcp_pair(fds);
	memset(msg, 'x', sizeof(msg));
	zc_send_all(fds[1], msg, sizeof(msg));
	zc_prep_recv(io_uring_get_sqe(&r), fds[0], z.reg.zcrx_id, sizeof(msg), 1);
	t_submit(&r, 1);
	cqe = t_wait_cqe(&r);
	t_check_cqe(cqe, 1, 100, IORING_CQE_F_MORE);
	t_assert(!memcmp(z.area_mem + zc_cqe_off(cqe), msg, sizeof(msg)));
	zc_return(&z, cqe);
	io_uring_cqe_seen(&r, cqe);
	t_expect_cqe(&r, 1, 0, 0);
	zc_flush(&r, z.reg.zcrx_id);
	t_eq(__atomic_load_n(z.khead, __ATOMIC_ACQUIRE), 1);

	munmap(rq, z.rd.size);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&r);
	zc_free(&z);
}

static void test_errors(void)
{
	void *ro;

	/* reserved fields, id, flags */
	EXPECT(-EINVAL, z->reg.__resv[1] = 1);
	EXPECT(-EINVAL, z->reg.zcrx_id = 1);
	EXPECT(-EINVAL, z->reg.flags |= 1u << 7);
	/* NODEV takes no interface */
	EXPECT(-EINVAL, z->reg.if_idx = 1);
	EXPECT(-EINVAL, z->reg.if_rxq = 1);
	EXPECT(-EINVAL, z->reg.if_rxq = ~0u);
	/* rq_entries */
	EXPECT(-EINVAL, z->reg.rq_entries = 0);
	EXPECT(-EINVAL, z->reg.rq_entries = 32769);
	EXPECT(-EINVAL, z->reg.rq_entries = ~0u);
	/* region */
	EXPECT(-EFAULT, z->reg.region_ptr = 0);
	EXPECT(-EFAULT, z->reg.region_ptr = 8);
	EXPECT(-EFAULT, z->rd.user_addr = 0);
	EXPECT(-EINVAL, z->rd.size = 0);
	EXPECT(-EINVAL, z->rd.size = ZC_PAGE; z->reg.rq_entries = 512);
	EXPECT(-EINVAL, z->rd.size += 1);
	EXPECT(-EINVAL, z->rd.user_addr += 64);
	EXPECT(-EINVAL, z->rd.id = 1);
	EXPECT(-EINVAL, z->rd.mmap_offset = ZC_PAGE);
	EXPECT(-EINVAL, z->rd.__resv[3] = 1);
	EXPECT(-EINVAL, z->rd.flags = 2 | IORING_MEM_REGION_TYPE_USER);
	EXPECT(-EFAULT, z->rd.flags = 0);	/* user_addr without USER */
	EXPECT(-EFAULT, mprotect(z->rq_mem, z->rq_len, PROT_READ));
	/* area */
	EXPECT(-EFAULT, z->reg.area_ptr = 0);
	EXPECT(-EFAULT, z->area.len = 0);
	EXPECT(-EFAULT, z->area.addr = 0);
	EXPECT(-EINVAL, z->area.addr += 64);
	EXPECT(-EINVAL, z->area.len -= 64);
	EXPECT(-EINVAL, z->area.rq_area_token = 1);
	EXPECT(-EINVAL, z->area.__resv2[0] = 1);
	EXPECT(-EINVAL, z->area.flags = 2);
	EXPECT(-EINVAL, z->area.dmabuf_fd = 3);
	/* one page past the end, or before the start, is not mapped */
	EXPECT(-EFAULT, munmap(z->area_mem + z->area_len - ZC_PAGE, ZC_PAGE));
	EXPECT(-EFAULT, munmap(z->area_mem, ZC_PAGE));
	EXPECT(-EFAULT, mprotect(z->area_mem, ZC_PAGE, PROT_READ));
	EXPECT(-EFAULT, z->area.len = 1ull << 31);
	/* rx_buf_len: not a power of two / too small, or not the page */
	EXPECT(-EINVAL, z->reg.rx_buf_len = ~0u);
	EXPECT(-EINVAL, z->reg.rx_buf_len = 512);
	EXPECT(-EOPNOTSUPP, z->reg.rx_buf_len = 1u << 31);
	EXPECT(-EOPNOTSUPP, z->reg.rx_buf_len = ZC_PAGE * 2);

	/* read-only parameters: nothing registered, -EFAULT */
	ro = mmap(NULL, ZC_PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_assert(ro != MAP_FAILED);
	{
		struct zc z;

		zc_init(&z, 128, 16);
		memcpy(ro, &z.reg, sizeof(z.reg));
		mprotect(ro, ZC_PAGE, PROT_READ);
		t_eq(io_uring_register_ifq(&ring, ro), -EFAULT);
		/* and the id it would have used is still free */
		t_eq(try_reg(&z), 0);
		t_eq(z.reg.zcrx_id, 0);
		zc_free(&z);
	}
	munmap(ro, ZC_PAGE);
}

/* Without NODEV the registration wants a NIC queue. */
static void test_device_bound(void)
{
	struct zc z;

	if (t_backend_is_kernel())
		return;		/* the kernel's answer depends on its NICs */
	zc_init(&z, 128, 16);
	z.reg.flags = 0;
	z.reg.if_idx = 1;
	t_eq(try_reg(&z), -ENODEV);
	zc_free(&z);
}

static void test_clamp(void)
{
	struct io_uring r;
	struct zc z;

	zc_ring_init(&r, 8, IORING_SETUP_CQE32 | IORING_SETUP_CLAMP);
	zc_init(&z, 32768, 16);
	z.reg.rq_entries = 100000;
	t_eq(io_uring_register_ifq(&r, &z.reg), 0);
	t_eq(z.reg.rq_entries, 32768);
	zc_free(&z);
	io_uring_queue_exit(&r);
}

int main(void)
{
	struct zc z;

	zc_ring_init(&ring, 8, IORING_SETUP_CQE32);
	zc_init(&z, 128, 16);
	zc_register_or_skip(&ring, &z);	/* skips on a kernel without NODEV */
	zc_free(&z);
	io_uring_queue_exit(&ring);

	zc_ring_init(&ring, 8, IORING_SETUP_CQE32);
	test_errors();
	io_uring_queue_exit(&ring);

	zc_ring_init(&ring, 8, IORING_SETUP_CQE32);
	test_writeback();
	io_uring_queue_exit(&ring);

	zc_ring_init(&ring, 8, IORING_SETUP_CQE32);
	test_device_bound();
	io_uring_queue_exit(&ring);

	test_ring_flags();
	test_engine_region();
	test_clamp();
	return T_EXIT_PASS;
}
