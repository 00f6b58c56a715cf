/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_REGISTER_QUERY (blind, fd -1, and on a ring fd).
 * IO_URING_QUERY_OPCODES answers truthfully about the engine it asks:
 * feature_flags are what setup reports, every setup flag outside
 * ring_setup_flags is refused and every one inside is accepted (with the
 * flags it needs), enter flags outside enter_flags are refused, sqe_flags
 * are the seven IOSQE bits, the opcode count matches the probe.  Sizes:
 * a shorter struct gets its prefix, a longer one the answer and zeros.
 * Per-entry results: unknown op -EOPNOTSUPP (buffer zeroed), size 0 /
 * result / reserved set -EINVAL; chains, cycles and chains of 1000 entries
 * (-ERANGE), faults (-EFAULT) anywhere in a chain, nr_args (-EINVAL).
 * ZCRX: ursa's device-less zcrx (NODEV, IMPORT); SCQ: the 64-byte ring header.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "helpers/helpers.h"

#define OPC_SIZE sizeof(struct io_uring_query_opcode)	/* 48 */

static int query(int fd, void *hdr, unsigned nr)
{
	return io_uring_register((unsigned)fd, IORING_REGISTER_QUERY, hdr, nr);
}

static void hdr_init(struct io_uring_query_hdr *h, unsigned op, void *data,
		     unsigned size)
{
	memset(h, 0, sizeof(*h));
	h->query_op = op;
	h->query_data = (uint64_t)(uintptr_t)data;
	h->size = size;
}

static struct io_uring_query_opcode sys_op;

static void test_basic(void)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_hdr h;
	int ret;

	memset(&op, 0xaa, sizeof(op));
	hdr_init(&h, IO_URING_QUERY_OPCODES, &op, sizeof(op));
	ret = query(-1, &h, 0);
	if (ret == -EINVAL && t_backend_is_kernel())
		t_skip("kernel without IORING_REGISTER_QUERY");
	t_eq(ret, 0);
	t_eq(h.result, 0);
	t_eq(h.size, OPC_SIZE);
	t_eq(op.__pad, 0);
	t_eq(op.sqe_flags, 0x7f);
	t_eq(op.enter_flags, 0xff);
	t_assert(op.nr_query_opcodes >= 1);
	t_assert(op.nr_register_opcodes > IORING_REGISTER_QUERY);
	t_assert(op.nr_request_opcodes > IORING_OP_MSG_RING);
	if (!t_backend_is_kernel()) {
		/* ursa: its own header's numbers, every query op known */
		t_eq(op.nr_request_opcodes, IORING_OP_LAST);
		t_eq(op.nr_register_opcodes, IORING_REGISTER_LAST);
		t_eq(op.nr_query_opcodes, __IO_URING_QUERY_MAX);
	}
	sys_op = op;
}

/* The answer agrees with a ring set up here and with the probe. */
static void test_features_and_probe(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	struct io_uring_probe *probe;

	memset(&p, 0, sizeof(p));
	t_eq(t_setup_ring_params(&ring, 4, &p), 0);
	t_eq(sys_op.feature_flags, p.features);
	probe = io_uring_get_probe_ring(&ring);
	t_assert(probe);
	t_eq(probe->last_op + 1, sys_op.nr_request_opcodes);
	io_uring_free_probe(probe);
	io_uring_queue_exit(&ring);
}

/* Setup with one flag plus the flags and parameters it needs. */
static int setup_with(unsigned bit, int wq_fd)
{
	static void *mem;
	const size_t mem_size = 1 << 20;
	unsigned flag = 1U << bit;
	struct io_uring_params p;
	struct io_uring ring;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = flag;
	switch (flag) {
	case IORING_SETUP_SQ_AFF:
		p.flags |= IORING_SETUP_SQPOLL;
		p.sq_thread_cpu = 0;
		break;
	case IORING_SETUP_CQSIZE:
		p.cq_entries = 16;
		break;
	case IORING_SETUP_ATTACH_WQ:
		p.wq_fd = (unsigned)wq_fd;
		break;
	case IORING_SETUP_TASKRUN_FLAG:
		p.flags |= IORING_SETUP_COOP_TASKRUN;
		break;
	case IORING_SETUP_DEFER_TASKRUN:
		p.flags |= IORING_SETUP_SINGLE_ISSUER;
		break;
	case IORING_SETUP_REGISTERED_FD_ONLY:
		p.flags |= IORING_SETUP_NO_MMAP;
		break;
	case IORING_SETUP_HYBRID_IOPOLL:
		p.flags |= IORING_SETUP_IOPOLL;
		break;
	case IORING_SETUP_SQ_REWIND:
		p.flags |= IORING_SETUP_NO_SQARRAY;
		break;
	}
	if (p.flags & IORING_SETUP_NO_MMAP) {
		if (!mem) {
			mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			t_assert(mem != MAP_FAILED);
		}
		memset(mem, 0, mem_size);
		ret = io_uring_queue_init_mem(4, &ring, &p, mem, mem_size);
		if (ret > 0)
			ret = 0;
	} else {
		ret = io_uring_queue_init_params(4, &ring, &p);
	}
	if (!ret)
		io_uring_queue_exit(&ring);
	return ret;
}

static void test_setup_flags(void)
{
	struct io_uring other;
	uint64_t flags = sys_op.ring_setup_flags;

	t_ring_init(&other, 4, 0);
	for (unsigned bit = 0; bit < 32; bit++) {
		int ret = setup_with(bit, other.ring_fd);

		if (flags & (1ULL << bit)) {
			if (ret)
				t_fail("setup flag bit %u reported but refused: %s",
				       bit, t_errname(ret));
		} else if (ret != -EINVAL) {
			t_fail("setup flag bit %u not reported but gives %s",
			       bit, t_errname(ret));
		}
	}
	t_eq(flags >> 32, 0);
	io_uring_queue_exit(&other);
}

static void test_enter_flags(void)
{
	struct io_uring ring;

	t_ring_init(&ring, 4, 0);
	for (unsigned bit = 0; bit < 32; bit++) {
		if (sys_op.enter_flags & (1ULL << bit))
			continue;
		t_eq(io_uring_enter((unsigned)ring.ring_fd, 0, 0, 1U << bit,
				    NULL), -EINVAL);
	}
	t_eq(io_uring_enter((unsigned)ring.ring_fd, 0, 0,
			    IORING_ENTER_GETEVENTS, NULL), 0);
	/* sqe_flags: the one bit outside is refused per SQE */
	t_prep_nop(&ring, 1)->flags = 0x80;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EINVAL, 0);
	io_uring_queue_exit(&ring);
}

/* An older caller's shorter struct, a newer caller's longer one. */
static void test_sizes(void)
{
	struct io_uring_query_hdr h;
	unsigned char buf[128];
	struct io_uring_query_opcode *op = (void *)buf;

	memset(buf, 0xaa, sizeof(buf));
	hdr_init(&h, IO_URING_QUERY_OPCODES, buf, 8);
	t_eq(query(-1, &h, 0), 0);
	t_eq(h.result, 0);
	t_eq(h.size, 8);
	t_eq(op->nr_request_opcodes, sys_op.nr_request_opcodes);
	t_eq(op->nr_register_opcodes, sys_op.nr_register_opcodes);
	for (unsigned i = 8; i < sizeof(buf); i++)
		t_eq(buf[i], 0xaa);

	memset(buf, 0xaa, sizeof(buf));
	hdr_init(&h, IO_URING_QUERY_OPCODES, buf, sizeof(buf));
	t_eq(query(-1, &h, 0), 0);
	t_eq(h.result, 0);
	t_eq(h.size, OPC_SIZE);
	t_assert(!memcmp(buf, &sys_op, OPC_SIZE));
	for (unsigned i = OPC_SIZE; i < sizeof(buf); i++)
		t_eq(buf[i], 0);
}

static void test_entry_errors(void)
{
	struct io_uring_query_hdr h;
	unsigned char buf[64];
	static const unsigned unknown[] = { __IO_URING_QUERY_MAX + 5, -1U };

	/* Unknown ops: the entry says so, the call succeeds, the caller's
	 * buffer is defined (zeros). */
	for (unsigned k = 0; k < 2; k++) {
		memset(buf, 0xaa, sizeof(buf));
		hdr_init(&h, unknown[k], buf, sizeof(buf));
		t_eq(query(-1, &h, 0), 0);
		t_eq(h.result, -EOPNOTSUPP);
		t_eq(h.size, 0);
		for (unsigned i = 0; i < sizeof(buf); i++)
			t_eq(buf[i], 0);
	}
	/* Size 0: -EINVAL and nothing written. */
	memset(buf, 0xaa, sizeof(buf));
	hdr_init(&h, IO_URING_QUERY_OPCODES, buf, 0);
	t_eq(query(-1, &h, 0), 0);
	t_eq(h.result, -EINVAL);
	t_eq(h.size, 0);
	t_eq(buf[0], 0xaa);
	/* A result left set, or a reserved word: -EINVAL, buffer zeroed. */
	memset(buf, 0xaa, sizeof(buf));
	hdr_init(&h, IO_URING_QUERY_OPCODES, buf, 16);
	h.result = 5;
	t_eq(query(-1, &h, 0), 0);
	t_eq(h.result, -EINVAL);
	t_eq(h.size, 0);
	for (unsigned i = 0; i < 16; i++)
		t_eq(buf[i], 0);
	t_eq(buf[16], 0xaa);
	for (unsigned r = 0; r < 3; r++) {
		hdr_init(&h, IO_URING_QUERY_OPCODES, buf, OPC_SIZE);
		h.__resv[r] = 1;
		t_eq(query(-1, &h, 0), 0);
		t_eq(h.result, -EINVAL);
		t_eq(h.size, 0);
	}
	/* Unknown op checked first: reserved bits do not matter then. */
	hdr_init(&h, 1000, buf, OPC_SIZE);
	h.__resv[0] = 1;
	t_eq(query(-1, &h, 0), 0);
	t_eq(h.result, -EOPNOTSUPP);
}

static void test_chains(void)
{
	struct io_uring_query_opcode op1, op3;
	struct io_uring_query_hdr h1, h2, h3, *many;
	unsigned char junk[16];

	memset(&op1, 0, sizeof(op1));
	memset(&op3, 0, sizeof(op3));
	hdr_init(&h1, IO_URING_QUERY_OPCODES, &op1, sizeof(op1));
	hdr_init(&h2, 77, junk, sizeof(junk));
	hdr_init(&h3, IO_URING_QUERY_OPCODES, &op3, 8);
	h1.next_entry = (uint64_t)(uintptr_t)&h2;
	h2.next_entry = (uint64_t)(uintptr_t)&h3;
	t_eq(query(-1, &h1, 0), 0);
	t_eq(h1.result, 0);
	t_eq(h2.result, -EOPNOTSUPP);
	t_eq(h3.result, 0);
	t_eq(h3.size, 8);
	t_assert(!memcmp(&op1, &sys_op, OPC_SIZE));
	t_eq(op3.nr_register_opcodes, sys_op.nr_register_opcodes);
	/* The next pointer is read back unchanged. */
	t_eq(h1.next_entry, (uint64_t)(uintptr_t)&h2);

	/* Cycles end at 1000 entries: -ERANGE. */
	hdr_init(&h1, IO_URING_QUERY_OPCODES, &op1, sizeof(op1));
	h1.next_entry = (uint64_t)(uintptr_t)&h1;
	t_eq(query(-1, &h1, 0), -ERANGE);
	hdr_init(&h1, IO_URING_QUERY_OPCODES, &op1, sizeof(op1));
	hdr_init(&h2, IO_URING_QUERY_OPCODES, &op3, sizeof(op3));
	h1.next_entry = (uint64_t)(uintptr_t)&h2;
	h2.next_entry = (uint64_t)(uintptr_t)&h1;
	t_eq(query(-1, &h1, 0), -ERANGE);

	/* 999 entries are answered; the 1000th makes it a cycle even when
	 * it ends the chain. */
	many = calloc(1000, sizeof(*many));
	t_assert(many);
	for (unsigned n = 999; n <= 1000; n++) {
		for (unsigned i = 0; i < n; i++) {
			hdr_init(&many[i], IO_URING_QUERY_OPCODES, &op1, 8);
			many[i].next_entry = i + 1 < n ?
				(uint64_t)(uintptr_t)&many[i + 1] : 0;
		}
		t_eq(query(-1, many, 0), n == 999 ? 0 : -ERANGE);
		t_eq(many[0].result, 0);
		t_eq(many[n - 1].result, 0);
		t_eq(many[n - 1].size, 8);
	}
	free(many);
}

static void test_faults(void)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_hdr h, h2;
	long ps = sysconf(_SC_PAGESIZE);
	void *ro;

	t_eq(query(-1, (void *)(uintptr_t)0xdeadbeef, 0), -EFAULT);
	/* A bad next entry: the first is answered, then the call fails. */
	memset(&op, 0, sizeof(op));
	hdr_init(&h, IO_URING_QUERY_OPCODES, &op, sizeof(op));
	h.next_entry = 0xdeadbeef;
	t_eq(query(-1, &h, 0), -EFAULT);
	t_eq(h.result, 0);
	t_eq(op.nr_request_opcodes, sys_op.nr_request_opcodes);
	/* Bad answer buffer. */
	hdr_init(&h, IO_URING_QUERY_OPCODES, (void *)(uintptr_t)0xdeadbeef,
		 sizeof(op));
	t_eq(query(-1, &h, 0), -EFAULT);
	/* An unknown op still zeroes the buffer (-EFAULT if bad), unless
	 * its size is 0. */
	hdr_init(&h, 99, (void *)(uintptr_t)0xdeadbeef, 8);
	t_eq(query(-1, &h, 0), -EFAULT);
	hdr_init(&h, 99, (void *)(uintptr_t)0xdeadbeef, 0);
	t_eq(query(-1, &h, 0), 0);
	t_eq(h.result, -EOPNOTSUPP);
	/* Read-only memory: the answer (or the header) cannot be written. */
	ro = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_assert(ro != MAP_FAILED);
	hdr_init(&h2, IO_URING_QUERY_OPCODES, &op, sizeof(op));
	memcpy(ro, &h2, sizeof(h2));
	t_eq(mprotect(ro, (size_t)ps, PROT_READ), 0);
	t_eq(query(-1, ro, 0), -EFAULT);
	hdr_init(&h, IO_URING_QUERY_OPCODES, ro, sizeof(op));
	t_eq(query(-1, &h, 0), -EFAULT);
	munmap(ro, (size_t)ps);
}

static void test_call(void)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_hdr h;
	struct io_uring ring;

	hdr_init(&h, IO_URING_QUERY_OPCODES, &op, sizeof(op));
	t_eq(query(-1, &h, 1), -EINVAL);
	t_eq(query(-1, NULL, 0), 0);
	t_eq(io_uring_register_query(&h), 0);
	t_eq(h.result, 0);

	/* On a ring: the same answer. */
	t_ring_init(&ring, 4, 0);
	memset(&op, 0, sizeof(op));
	hdr_init(&h, IO_URING_QUERY_OPCODES, &op, sizeof(op));
	t_eq(query(ring.ring_fd, &h, 0), 0);
	t_eq(h.result, 0);
	t_assert(!memcmp(&op, &sys_op, OPC_SIZE));
	t_eq(query(ring.ring_fd, &h, 2), -EINVAL);
	io_uring_queue_exit(&ring);
}

static void test_zcrx_scq(void)
{
	struct io_uring_query_zcrx z;
	struct io_uring_query_scq s;
	struct io_uring_query_hdr h;

	memset(&z, 0xaa, sizeof(z));
	hdr_init(&h, IO_URING_QUERY_ZCRX, &z, sizeof(z));
	t_eq(query(-1, &h, 0), 0);
	if (!t_backend_is_kernel()) {
		/* ursa: device-less zcrx, what it builds and nothing more */
		t_eq(h.result, 0);
		t_eq(h.size, sizeof(z));
		t_eq(z.register_flags, ZCRX_REG_NODEV | ZCRX_REG_IMPORT);
		t_eq(z.area_flags, 0);
		t_eq(z.nr_ctrl_opcodes, __ZCRX_CTRL_LAST);
		t_eq(z.features, 0);
		t_eq(z.rq_hdr_size, 8);
		t_eq(z.rq_hdr_alignment, 64);
		t_eq(z.__resv2, 0);
	} else if (h.result == 0) {
		/* a kernel with zcrx describes it */
		t_eq(h.size, sizeof(z));
		t_assert(z.rq_hdr_size > 0 && z.rq_hdr_alignment > 0);
		t_eq(z.__resv2, 0);
	} else {
		/* this kernel's query (6.18) answers only OPCODES */
		t_eq(h.result, -EOPNOTSUPP);
		t_eq(h.size, 0);
		t_eq(z.register_flags, 0);
		t_eq(z.rq_hdr_alignment, 0);
	}

	memset(&s, 0xaa, sizeof(s));
	hdr_init(&h, IO_URING_QUERY_SCQ, &s, sizeof(s));
	t_eq(query(-1, &h, 0), 0);
	if (h.result == -EOPNOTSUPP && t_backend_is_kernel())
		return;	/* a kernel older than this query op */
	t_eq(h.result, 0);
	t_eq(h.size, sizeof(s));
	t_eq(s.hdr_size, 64);
	t_eq(s.hdr_alignment, 64);
}

int main(void)
{
	test_basic();
	test_features_and_probe();
	test_setup_flags();
	test_enter_flags();
	test_sizes();
	test_entry_errors();
	test_chains();
	test_faults();
	test_call();
	test_zcrx_scq();
	return T_EXIT_PASS;
}
