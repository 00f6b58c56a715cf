/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_SETUP_NO_MMAP through io_uring_queue_init_mem with
 * page-aligned memory from an anonymous mmap: NOPs, a read of a real file,
 * the SQ and CQ indexes wrapping many times; a buffer too small for the ring
 * (-ENOMEM from the library); raw io_uring_setup with NO_MMAP and no
 * addresses (user_addr 0) and with addresses that are not page aligned;
 * mmap() of such a ring's fd at the ring offsets fails as the kernel's does
 * (the memory is the application's: there is nothing to map); memory that
 * is not mapped, read-only, or mapped for only part of a region fails setup
 * with -EFAULT.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ursa/ursa.h>

#include "helpers/helpers.h"

#define MEM_SIZE (64 * 1024)

static size_t page;

static void *map_anon(size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		t_fail("mmap anonymous: %s", strerror(errno));
	return m;
}

/* io_uring_queue_init_mem, skipping where the kernel refuses io_uring or
 * predates NO_MMAP (6.5). */
static int init_mem(unsigned entries, struct io_uring *ring,
		    struct io_uring_params *p, void *buf, size_t size)
{
	int ret = io_uring_queue_init_mem(entries, ring, p, buf, size);

	if (t_backend_is_kernel() && (ret == -ENOSYS || ret == -EPERM))
		t_skip("kernel refuses io_uring (%s)", t_errname(ret));
	if (t_backend_is_kernel() && ret == -EINVAL)
		t_skip("kernel without IORING_SETUP_NO_MMAP (before 6.5)");
	return ret;
}

static void test_nops_and_read(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	void *mem = map_anon(MEM_SIZE);
	char buf[1000];
	int fd, ret;

	memset(&p, 0, sizeof(p));
	ret = init_mem(8, &ring, &p, mem, MEM_SIZE);
	if (ret < 0)
		t_fail("io_uring_queue_init_mem: %s", t_errname(ret));
	/* The return value is the bytes of the buffer the ring uses. */
	t_assert(ret > 0 && (size_t)ret <= MEM_SIZE);
	t_assert(p.flags & IORING_SETUP_NO_MMAP);
	t_eq(p.sq_entries, 8);
	t_eq(p.cq_entries, 16);

	/* Everything the library points at lies inside the buffer. */
	t_assert((char *)ring.sq.sqes >= (char *)mem &&
		 (char *)(ring.sq.sqes + 8) <= (char *)mem + ret);
	t_assert((char *)ring.cq.cqes >= (char *)mem &&
		 (char *)(ring.cq.cqes + 16) <= (char *)mem + ret);
	t_assert((char *)ring.sq.ktail >= (char *)mem &&
		 (char *)ring.sq.ktail < (char *)mem + ret);
	t_eq(*ring.sq.kring_entries, 8);
	t_eq(*ring.cq.kring_entries, 16);
	t_eq(*ring.sq.kring_mask, 7);
	t_eq(*ring.cq.kring_mask, 15);

	for (unsigned i = 0; i < 8; i++)
		t_prep_nop(&ring, 100 + i);
	t_submit(&ring, 8);
	for (unsigned i = 0; i < 8; i++)
		t_expect_cqe(&ring, 100 + i, 0, 0);

	fd = t_temp_fd(8192, 9);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 3000);
	sqe->user_data = 7;
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 8000);
	sqe->flags = IOSQE_IO_LINK;	/* ordered: the second read runs after */
	sqe->user_data = 8;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 7, sizeof(buf), 0);
	/* Both read into buf: what is left there is the second, short one. */
	t_expect_cqe(&ring, 8, 192, 0);
	if (t_check_pattern(buf, 192, 8000, 9) >= 0)
		t_fail("short read: wrong data");

	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 3000);
	sqe->user_data = 9;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 9, sizeof(buf), 0);
	if (t_check_pattern(buf, sizeof(buf), 3000, 9) >= 0)
		t_fail("read: wrong data");
	close(fd);

	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	/* The memory stays the application's: still mapped and writable. */
	memset(mem, 0xa5, MEM_SIZE);
	t_eq(munmap(mem, MEM_SIZE), 0);
}

/*
 * Small rings, many batches: the SQ (4 entries) and CQ (8) indexes pass
 * their masks dozens of times, with batches straddling the wrap point.
 */
static void test_wrap(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	void *mem = map_anon(MEM_SIZE);
	uint64_t ud = 1;
	unsigned sizes[] = { 1, 3, 4, 2, 3 };
	int ret;

	memset(&p, 0, sizeof(p));
	ret = init_mem(4, &ring, &p, mem, MEM_SIZE);
	if (ret < 0)
		t_fail("io_uring_queue_init_mem: %s", t_errname(ret));
	t_eq(p.sq_entries, 4);
	t_eq(p.cq_entries, 8);

	for (unsigned round = 0; round < 100; round++) {
		unsigned n = sizes[round % 5];
		uint64_t first = ud;

		for (unsigned i = 0; i < n; i++)
			t_prep_nop(&ring, ud++);
		t_submit(&ring, (int)n);
		for (unsigned i = 0; i < n; i++)
			t_expect_cqe(&ring, first + i, 0, 0);
	}
	/* Fill the CQ exactly (two submits of 4, reaped together). */
	for (unsigned round = 0; round < 20; round++) {
		struct io_uring_cqe *cqes[8];
		uint64_t first = ud;

		for (unsigned half = 0; half < 2; half++) {
			for (unsigned i = 0; i < 4; i++)
				t_prep_nop(&ring, ud++);
			t_submit(&ring, 4);
		}
		t_eq(io_uring_cq_ready(&ring), 8);
		t_eq(io_uring_peek_batch_cqe(&ring, cqes, 8), 8);
		for (unsigned i = 0; i < 8; i++)
			t_check_cqe(cqes[i], first + i, 0, 0);
		io_uring_cq_advance(&ring, 8);
	}
	/* 100 * avg 2.6 + 160 entries: both indexes wrapped many times. */
	t_assert(*ring.sq.khead > 40 * 4);
	t_assert(*ring.cq.khead > 40 * 8);
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	t_eq(munmap(mem, MEM_SIZE), 0);
}

/* A buffer too small for the ring: the library refuses before setup. */
static void test_small_buffer(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	void *mem = map_anon(page);
	int ret;

	memset(&p, 0, sizeof(p));
	/* 256 SQEs alone are 16 KiB. */
	ret = init_mem(256, &ring, &p, mem, page);
	t_eq(ret, -ENOMEM);
	t_eq(munmap(mem, page), 0);
}

static int raw_setup_p(unsigned entries, struct io_uring_params *p,
		       unsigned flags, void *sqes, void *rings)
{
	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->sq_off.user_addr = (unsigned long long)(uintptr_t)sqes;
	p->cq_off.user_addr = (unsigned long long)(uintptr_t)rings;
	return io_uring_setup(entries, p);
}

static int raw_setup(unsigned entries, unsigned flags, void *sqes,
		     void *rings)
{
	struct io_uring_params p;

	return raw_setup_p(entries, &p, flags, sqes, rings);
}

static void close_ring_fd(int fd)
{
	if (ursa_is_ring_fd(fd))
		t_eq(ursa_close(fd), 0);
	else
		t_eq(close(fd), 0);
}

static void test_raw_setup_errors(void)
{
	struct io_uring_params p;
	char *sqes = map_anon(4 * page);
	char *rings = map_anon(4 * page);
	int fd;

	/* Both addresses 0. */
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, NULL, NULL), -EFAULT);
	/* Only one of them given. */
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, sqes, NULL), -EFAULT);
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, NULL, rings), -EFAULT);

	/* Not page aligned (even if cacheline aligned): -EINVAL. */
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, sqes + 64, rings), -EINVAL);
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, sqes, rings + 64), -EINVAL);
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, sqes + 8, rings), -EINVAL);
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, sqes, rings + 1), -EINVAL);

	/* Well aligned: a ring.  A NOP through it with the raw calls, using
	 * the offsets setup returned (relative to the rings region). */
	fd = raw_setup_p(8, &p, IORING_SETUP_NO_MMAP, sqes, rings);
	if (fd < 0)
		t_fail("raw NO_MMAP setup: %s", t_errname(fd));
	{
		struct io_uring_sqe *sqe = (struct io_uring_sqe *)sqes;
		unsigned *sq_tail = (unsigned *)(rings + p.sq_off.tail);
		unsigned *sq_head = (unsigned *)(rings + p.sq_off.head);
		unsigned *array = (unsigned *)(rings + p.sq_off.array);
		unsigned *cq_tail = (unsigned *)(rings + p.cq_off.tail);
		unsigned *cq_head = (unsigned *)(rings + p.cq_off.head);
		struct io_uring_cqe *cqes =
			(struct io_uring_cqe *)(rings + p.cq_off.cqes);

		t_eq(p.sq_entries, 8);
		t_eq(p.cq_entries, 16);
		/* One region: the SQ array after the CQEs, all in a page. */
		t_assert(p.sq_off.array >= p.cq_off.cqes +
			 16 * sizeof(struct io_uring_cqe));
		t_assert(p.sq_off.array + 8 * sizeof(unsigned) <= page);
		t_eq(*(unsigned *)(rings + p.sq_off.ring_entries), 8);
		t_eq(*(unsigned *)(rings + p.cq_off.ring_entries), 16);

		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_NOP;
		sqe->user_data = 0x1234;
		array[0] = 0;
		__atomic_store_n(sq_tail, 1, __ATOMIC_RELEASE);
		t_eq(io_uring_enter((unsigned)fd, 1, 1, IORING_ENTER_GETEVENTS,
				    NULL), 1);
		t_eq(__atomic_load_n(sq_head, __ATOMIC_ACQUIRE), 1);
		t_eq(__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE), 1);
		t_check_cqe(&cqes[0], 0x1234, 0, 0);
		__atomic_store_n(cq_head, 1, __ATOMIC_RELEASE);
	}

	/*
	 * mmap() of a NO_MMAP ring's fd: the ring memory is the
	 * application's, there is no ring to map at any offset.  The kernel
	 * refuses while picking the address (its get_unmapped_area hook), so
	 * mmap fails with ENOMEM, not EINVAL.  ursa names such a ring with an
	 * eventfd, which mmap refuses with ENODEV (a plain mmap() call cannot
	 * be made to say ENOMEM without interposition; see ARCHITECTURE.md).
	 */
	{
		void *m;

		errno = 0;
		m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 IORING_OFF_SQ_RING);
		if (m != MAP_FAILED)
			t_fail("mmap(IORING_OFF_SQ_RING) of a NO_MMAP ring "
			       "succeeded");
		t_eq(-errno, t_backend_is_kernel() ? -ENOMEM : -ENODEV);
		errno = 0;
		m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 IORING_OFF_CQ_RING);
		if (m != MAP_FAILED)
			t_fail("mmap(IORING_OFF_CQ_RING) of a NO_MMAP ring "
			       "succeeded");
		t_eq(-errno, t_backend_is_kernel() ? -ENOMEM : -ENODEV);
		errno = 0;
		m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 IORING_OFF_SQES);
		if (m != MAP_FAILED)
			t_fail("mmap(IORING_OFF_SQES) of a NO_MMAP ring "
			       "succeeded");
		t_eq(-errno, t_backend_is_kernel() ? -ENOMEM : -ENODEV);
	}
	close_ring_fd(fd);
	t_eq(munmap(sqes, 4 * page), 0);
	t_eq(munmap(rings, 4 * page), 0);
}

/*
 * Page-aligned addresses that are not usable memory: the kernel pins the
 * pages at setup, so memory that is not mapped (or not writable) fails
 * setup with -EFAULT, instead of the ring faulting later.  Last, since an
 * engine that touched such memory would crash the test here.
 */
static void test_raw_setup_bad_memory(void)
{
	char *good = map_anon(4 * page);
	char *part = map_anon(4 * page);
	char *hole = map_anon(page);
	char *ro;

	t_eq(munmap(hole, page), 0);
	/* Only the first page of part stays mapped. */
	t_eq(munmap(part + page, 3 * page), 0);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_assert(ro != MAP_FAILED);

	/* SQEs: not mapped, read-only, mapped for only part of the array
	 * (256 SQEs are 4 pages). */
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, hole, good), -EFAULT);
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, ro, good), -EFAULT);
	t_eq(raw_setup(256, IORING_SETUP_NO_MMAP, part, good), -EFAULT);
	/* Rings: the same (256 entries need 3 pages of rings). */
	t_eq(raw_setup(256, IORING_SETUP_NO_MMAP, good, part), -EFAULT);
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, good, hole), -EFAULT);
	t_eq(raw_setup(8, IORING_SETUP_NO_MMAP, good, ro), -EFAULT);

	t_eq(munmap(ro, page), 0);
	t_eq(munmap(part, page), 0);
	t_eq(munmap(good, 4 * page), 0);
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	test_nops_and_read();
	test_wrap();
	test_small_buffer();
	test_raw_setup_errors();
	test_raw_setup_bad_memory();
	return T_EXIT_PASS;
}
