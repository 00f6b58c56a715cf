/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_REGISTER_MEM_REGION and registered wait arguments
 * (IORING_ENTER_EXT_ARG_REG): a user-memory region registered on a
 * disabled ring; waits with a timeout, with min_wait, by index; the errors
 * (enabled ring, second region, bad flags, bad offsets); a ring-provided
 * region mapped through the ring fd.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "helpers/helpers.h"

int main(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	struct io_uring_region_desc rd;
	struct io_uring_mem_region_reg mr;
	struct io_uring_reg_wait *rw;
	struct io_uring_cqe *cqe;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t start;
	long el;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_R_DISABLED;
	ret = io_uring_queue_init_params(8, &ring, &p);
	if (ret == -ENOSYS || ret == -EPERM)
		t_skip("kernel refuses io_uring");
	t_eq(ret, 0);
	rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	t_assert(rw != MAP_FAILED);
	memset(&rd, 0, sizeof(rd));
	rd.user_addr = (uint64_t)(uintptr_t)rw;
	rd.size = page;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)&rd;
	mr.flags = IORING_MEM_REGION_REG_WAIT_ARG;
	mr.__resv[0] = 1;
	t_eq(io_uring_register_region(&ring, &mr), -EINVAL);
	mr.__resv[0] = 0;
	mr.flags = 1u << 5;
	t_eq(io_uring_register_region(&ring, &mr), -EINVAL);
	mr.flags = IORING_MEM_REGION_REG_WAIT_ARG;
	rd.id = 1;
	t_eq(io_uring_register_region(&ring, &mr), -EINVAL);
	rd.id = 0;
	t_eq(io_uring_register_region(&ring, &mr), 0);
	t_eq(io_uring_register_region(&ring, &mr), -EBUSY);
	t_eq(io_uring_enable_rings(&ring), 0);

	/* Index 0: a 20 ms timeout. */
	memset(rw, 0, page);
	rw[0].ts.tv_nsec = 20 * 1000 * 1000;
	rw[0].flags = IORING_REG_WAIT_TS;
	start = t_now_usec();
	ret = io_uring_submit_and_wait_reg(&ring, &cqe, 1, 0);
	el = (long)(t_now_usec() - start) / 1000;
	t_eq(ret, -ETIME);
	if (el < 15 || el > 2000)
		t_fail("20 ms registered wait took %ld ms", el);
	/* Index 1 with a NOP queued: returns with its CQE. */
	rw[1].ts.tv_sec = 1;
	rw[1].flags = IORING_REG_WAIT_TS;
	io_uring_prep_nop(io_uring_get_sqe(&ring));
	ret = io_uring_submit_and_wait_reg(&ring, &cqe, 1, 1);
	t_eq(ret, 1);
	t_expect_cqe(&ring, 0, 0, 0);
	/* Bad flags in the entry: -EINVAL; outside the region: -EFAULT. */
	rw[2].flags = 1u << 7;
	t_eq(io_uring_submit_and_wait_reg(&ring, &cqe, 1, 2), -EINVAL);
	t_eq(io_uring_submit_and_wait_reg(&ring, &cqe, 1,
					  (int)(page / sizeof(*rw))), -EFAULT);
	/* A misaligned offset, by hand. */
	t_eq(io_uring_enter2((unsigned)ring.ring_fd, 0, 1,
			     IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG |
			     IORING_ENTER_EXT_ARG_REG, (void *)3,
			     sizeof(struct io_uring_reg_wait)), -EFAULT);
	/* Wrong size: -EINVAL. */
	t_eq(io_uring_enter2((unsigned)ring.ring_fd, 0, 1,
			     IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG |
			     IORING_ENTER_EXT_ARG_REG, (void *)0, 8), -EINVAL);
	io_uring_queue_exit(&ring);

	/* WAIT_ARG on an enabled ring: -EINVAL. */
	t_ring_init(&ring, 8, 0);
	memset(&rd, 0, sizeof(rd));
	rd.user_addr = (uint64_t)(uintptr_t)rw;
	rd.size = page;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	mr.flags = IORING_MEM_REGION_REG_WAIT_ARG;
	t_eq(io_uring_register_region(&ring, &mr), -EINVAL);
	/* Without WAIT_ARG it registers; enter through it is -EFAULT. */
	mr.flags = 0;
	t_eq(io_uring_register_region(&ring, &mr), 0);
	t_eq(io_uring_submit_and_wait_reg(&ring, &cqe, 1, 0), -EFAULT);
	io_uring_queue_exit(&ring);

	/* A region the ring provides, mapped through the ring fd. */
	t_ring_init(&ring, 8, 0);
	memset(&rd, 0, sizeof(rd));
	rd.size = page;
	mr.flags = 0;
	t_eq(io_uring_register_region(&ring, &mr), 0);
	t_assert(rd.mmap_offset != 0);
	{
		void *m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
			       ring.ring_fd, (off_t)rd.mmap_offset);

		t_assert(m != MAP_FAILED);
		memset(m, 0x5a, 64);
		munmap(m, page);
	}
	io_uring_queue_exit(&ring);
	munmap(rw, page);
	return 0;
}
