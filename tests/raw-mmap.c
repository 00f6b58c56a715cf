/* SPDX-License-Identifier: MIT */
/*
 * Description: a program in the style of code written before liburing: it
 * calls the raw io_uring_setup(), maps the SQ ring, CQ ring and SQE array
 * itself with mmap() at IORING_OFF_SQ_RING / IORING_OFF_CQ_RING /
 * IORING_OFF_SQES (one mapping for both rings when IORING_FEAT_SINGLE_MMAP
 * is reported, else two; and a variant that always maps them separately, as
 * pre-5.4 code does), fills SQEs and the SQ index array by hand (slots point
 * at SQEs in reverse order, so the indirection matters), publishes the tail
 * with a release store, submits with io_uring_enter(), reads CQEs from the
 * mapped CQ and releases them by storing the head.  NOP batches that wrap
 * both rings, a write then a read of a temporary file, an out-of-range index
 * in the SQ array (counted in sq dropped, not submitted).  Each variant also
 * with MAP_POPULATE.  Teardown: munmap, then close the ring fd (ursa_close()
 * for an ursa ring, the documented way).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ursa/ursa.h>

#include "helpers/helpers.h"

struct raw_ring {
	int fd;
	struct io_uring_params p;
	/* SQ ring */
	void *sq_ptr;
	size_t sq_sz;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_entries, *sq_flags,
		*sq_dropped, *sq_array;
	struct io_uring_sqe *sqes;
	size_t sqes_sz;
	unsigned sq_local_tail;
	/* CQ ring */
	void *cq_ptr;
	size_t cq_sz;
	unsigned *cq_head, *cq_tail, *cq_mask, *cq_entries, *cq_overflow;
	struct io_uring_cqe *cqes;
};

enum {
	MAP_HONOUR_FEATURE = 0,	/* one mapping when SINGLE_MMAP is reported */
	MAP_SEPARATE = 1,	/* always two, as pre-5.4 programs do */
};

static void *map_ring(size_t len, int extra_flags, int fd, off_t off,
		      const char *what)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | extra_flags, fd, off);

	if (m == MAP_FAILED)
		t_fail("mmap %s (%zu bytes): %s", what, len, strerror(errno));
	return m;
}

static void raw_init(struct raw_ring *r, unsigned entries, int mode,
		     int map_flags)
{
	struct io_uring_params *p = &r->p;
	char *sq, *cq;

	memset(r, 0, sizeof(*r));
	r->fd = io_uring_setup(entries, p);
	if (r->fd < 0) {
		if (t_backend_is_kernel() &&
		    (r->fd == -ENOSYS || r->fd == -EPERM))
			t_skip("kernel refuses io_uring (%s)",
			       t_errname(r->fd));
		t_fail("io_uring_setup: %s", t_errname(r->fd));
	}
	t_eq(p->sq_entries, entries);
	t_eq(p->cq_entries, 2 * entries);

	r->sq_sz = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	r->cq_sz = p->cq_off.cqes +
		   p->cq_entries * sizeof(struct io_uring_cqe);
	if (mode == MAP_HONOUR_FEATURE &&
	    (p->features & IORING_FEAT_SINGLE_MMAP)) {
		if (r->cq_sz > r->sq_sz)
			r->sq_sz = r->cq_sz;
		r->cq_sz = r->sq_sz;
		r->sq_ptr = map_ring(r->sq_sz, map_flags, r->fd,
				     IORING_OFF_SQ_RING, "rings");
		r->cq_ptr = r->sq_ptr;
	} else {
		r->sq_ptr = map_ring(r->sq_sz, map_flags, r->fd,
				     IORING_OFF_SQ_RING, "SQ ring");
		r->cq_ptr = map_ring(r->cq_sz, map_flags, r->fd,
				     IORING_OFF_CQ_RING, "CQ ring");
	}
	r->sqes_sz = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = map_ring(r->sqes_sz, map_flags, r->fd, IORING_OFF_SQES,
			   "SQEs");

	sq = r->sq_ptr;
	r->sq_head = (unsigned *)(sq + p->sq_off.head);
	r->sq_tail = (unsigned *)(sq + p->sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p->sq_off.ring_mask);
	r->sq_entries = (unsigned *)(sq + p->sq_off.ring_entries);
	r->sq_flags = (unsigned *)(sq + p->sq_off.flags);
	r->sq_dropped = (unsigned *)(sq + p->sq_off.dropped);
	r->sq_array = (unsigned *)(sq + p->sq_off.array);
	cq = r->cq_ptr;
	r->cq_head = (unsigned *)(cq + p->cq_off.head);
	r->cq_tail = (unsigned *)(cq + p->cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p->cq_off.ring_mask);
	r->cq_entries = (unsigned *)(cq + p->cq_off.ring_entries);
	r->cq_overflow = (unsigned *)(cq + p->cq_off.overflow);
	r->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);

	/* What the ring memory says matches what setup said. */
	t_eq(*r->sq_entries, entries);
	t_eq(*r->sq_mask, entries - 1);
	t_eq(*r->cq_entries, 2 * entries);
	t_eq(*r->cq_mask, 2 * entries - 1);
	t_eq(*r->sq_head, 0);
	t_eq(*r->sq_tail, 0);
	t_eq(*r->cq_head, 0);
	t_eq(*r->cq_tail, 0);
	t_eq(*r->sq_dropped, 0);
	t_eq(*r->cq_overflow, 0);
	r->sq_local_tail = 0;
}

static void raw_exit(struct raw_ring *r)
{
	t_eq(munmap(r->sqes, r->sqes_sz), 0);
	if (r->cq_ptr != r->sq_ptr)
		t_eq(munmap(r->cq_ptr, r->cq_sz), 0);
	t_eq(munmap(r->sq_ptr, r->sq_sz), 0);
	/* An ursa ring is ended by ursa_close (close() alone cannot be seen
	 * from inside the process); a kernel ring by close. */
	if (ursa_is_ring_fd(r->fd))
		t_eq(ursa_close(r->fd), 0);
	else
		t_eq(close(r->fd), 0);
	t_eq(fcntl(r->fd, F_GETFD), -1);
}

/*
 * Queue one SQE (not yet visible to the ring): the SQ slot for the local
 * tail gets an SQE index, here the mirror image of the slot number.
 */
static struct io_uring_sqe *raw_queue(struct raw_ring *r, unsigned op,
				      uint64_t ud)
{
	unsigned mask = *r->sq_mask;
	unsigned slot = r->sq_local_tail & mask;
	unsigned idx = mask - slot;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	t_assert(r->sq_local_tail -
		 __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) <
		 *r->sq_entries);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = (__u8)op;
	sqe->user_data = ud;
	r->sq_array[slot] = idx;
	r->sq_local_tail++;
	return sqe;
}

/* Make the queued SQEs visible: the SQE and array stores happen before. */
static void raw_publish(struct raw_ring *r)
{
	__atomic_store_n(r->sq_tail, r->sq_local_tail, __ATOMIC_RELEASE);
}

static int raw_enter(struct raw_ring *r, unsigned to_submit,
		     unsigned min_complete, unsigned flags)
{
	return io_uring_enter((unsigned)r->fd, to_submit, min_complete, flags,
			      NULL);
}

/* The next CQE, which must be there already; released after checking. */
static void raw_reap(struct raw_ring *r, uint64_t ud, int res)
{
	unsigned head = *r->cq_head;	/* only we write it */
	unsigned tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
	struct io_uring_cqe *cqe;

	if (head == tail)
		t_fail("no CQE for user_data %llu", (unsigned long long)ud);
	cqe = &r->cqes[head & *r->cq_mask];
	t_check_cqe(cqe, ud, res, 0);
	/* The CQE is read before the slot is handed back. */
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
}

static void raw_cq_empty(struct raw_ring *r)
{
	t_eq(__atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head, 0);
}

static void test_nops(struct raw_ring *r)
{
	unsigned entries = *r->sq_entries;
	uint64_t ud = 1;

	/* Batches of 1..entries, several times round both rings. */
	for (unsigned round = 0; round < 40; round++) {
		unsigned n = round % entries + 1;
		uint64_t first = ud;

		for (unsigned i = 0; i < n; i++)
			raw_queue(r, IORING_OP_NOP, ud++);
		raw_publish(r);
		t_eq(raw_enter(r, n, n, IORING_ENTER_GETEVENTS), (int)n);
		t_eq(__atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE),
		     r->sq_local_tail);
		for (unsigned i = 0; i < n; i++)
			raw_reap(r, first + i, 0);
		raw_cq_empty(r);
	}
	t_assert(*r->cq_head > 2 * *r->cq_entries);

	/* Submit now, wait later: the CQEs stay in the ring meanwhile. */
	for (unsigned i = 0; i < 3; i++)
		raw_queue(r, IORING_OP_NOP, 500 + i);
	raw_publish(r);
	t_eq(raw_enter(r, 3, 0, 0), 3);
	t_eq(raw_enter(r, 0, 3, IORING_ENTER_GETEVENTS), 0);
	for (unsigned i = 0; i < 3; i++)
		raw_reap(r, 500 + i, 0);
	raw_cq_empty(r);
}

static void test_write_read(struct raw_ring *r)
{
	enum { LEN = 8192 };
	static char out[LEN], in[LEN];
	struct io_uring_sqe *sqe;
	int fd = t_temp_fd(0, 0);

	t_fill_pattern(out, LEN, 0, 21);
	memset(in, 0, LEN);

	/* WRITE linked to a READ of the same range: the read sees it. */
	sqe = raw_queue(r, IORING_OP_WRITE, 10);
	sqe->fd = fd;
	sqe->addr = (uintptr_t)out;
	sqe->len = LEN;
	sqe->off = 0;
	sqe->flags = IOSQE_IO_LINK;
	sqe = raw_queue(r, IORING_OP_READ, 11);
	sqe->fd = fd;
	sqe->addr = (uintptr_t)in;
	sqe->len = LEN;
	sqe->off = 0;
	raw_publish(r);
	t_eq(raw_enter(r, 2, 2, IORING_ENTER_GETEVENTS), 2);
	raw_reap(r, 10, LEN);
	raw_reap(r, 11, LEN);
	t_assert(!t_bufcmp(in, out, LEN, "read back"));

	/* A read past the end: 0; a read from the middle: short. */
	sqe = raw_queue(r, IORING_OP_READ, 12);
	sqe->fd = fd;
	sqe->addr = (uintptr_t)in;
	sqe->len = 100;
	sqe->off = LEN;
	sqe = raw_queue(r, IORING_OP_READ, 13);
	sqe->fd = fd;
	sqe->addr = (uintptr_t)in;
	sqe->len = LEN;
	sqe->off = LEN - 300;
	raw_publish(r);
	/* Independent requests: either CQE may come first. */
	t_eq(raw_enter(r, 2, 2, IORING_ENTER_GETEVENTS), 2);
	{
		int got12 = 0, got13 = 0;

		for (int i = 0; i < 2; i++) {
			unsigned head = *r->cq_head;
			struct io_uring_cqe *cqe =
				&r->cqes[head & *r->cq_mask];

			t_assert(head != __atomic_load_n(r->cq_tail,
							 __ATOMIC_ACQUIRE));
			if (cqe->user_data == 12) {
				t_check_cqe(cqe, 12, 0, 0);
				got12++;
			} else {
				t_check_cqe(cqe, 13, 300, 0);
				got13++;
			}
			__atomic_store_n(r->cq_head, head + 1,
					 __ATOMIC_RELEASE);
		}
		t_assert(got12 == 1 && got13 == 1);
	}
	if (t_check_pattern(in, 300, LEN - 300, 21) >= 0)
		t_fail("short read: wrong data");
	raw_cq_empty(r);
	close(fd);
}

/*
 * An SQ array slot naming an SQE index >= sq_entries is dropped: counted in
 * the dropped field, consumed (the head moves past it), not submitted, and
 * it ends the batch.
 */
static void test_dropped(struct raw_ring *r)
{
	unsigned entries = *r->sq_entries;

	raw_queue(r, IORING_OP_NOP, 30);
	raw_queue(r, IORING_OP_NOP, 31);
	r->sq_array[(r->sq_local_tail - 1) & *r->sq_mask] = entries;
	raw_queue(r, IORING_OP_NOP, 32);
	raw_publish(r);
	t_eq(raw_enter(r, 3, 0, 0), 1);
	t_eq(*r->sq_dropped, 1);
	t_eq(__atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE),
	     r->sq_local_tail - 1);
	t_eq(raw_enter(r, 1, 2, IORING_ENTER_GETEVENTS), 1);
	t_eq(__atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE), r->sq_local_tail);
	raw_reap(r, 30, 0);
	raw_reap(r, 32, 0);
	raw_cq_empty(r);

	/* The bad one first: nothing submitted (0, not an error). */
	raw_queue(r, IORING_OP_NOP, 33);
	r->sq_array[(r->sq_local_tail - 1) & *r->sq_mask] = ~0u;
	raw_queue(r, IORING_OP_NOP, 34);
	raw_publish(r);
	t_eq(raw_enter(r, 2, 1, IORING_ENTER_GETEVENTS), 0);
	t_eq(*r->sq_dropped, 2);
	t_eq(raw_enter(r, 1, 1, IORING_ENTER_GETEVENTS), 1);
	raw_reap(r, 34, 0);
	raw_cq_empty(r);
}

static void run_variant(int mode, int map_flags)
{
	struct raw_ring r;

	raw_init(&r, 8, mode, map_flags);
	test_nops(&r);
	test_write_read(&r);
	test_dropped(&r);
	raw_exit(&r);
}

int main(void)
{
	run_variant(MAP_HONOUR_FEATURE, 0);
	run_variant(MAP_HONOUR_FEATURE, MAP_POPULATE);
	run_variant(MAP_SEPARATE, 0);
	run_variant(MAP_SEPARATE, MAP_POPULATE);
	return T_EXIT_PASS;
}
