/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_REGISTER_PROBE: io_uring_get_probe /
 * io_uring_get_probe_ring report every opcode the other tests use as
 * supported (IO_URING_OP_SUPPORTED), nothing past last_op, and the raw call
 * checks its argument (non-zeroed probe -> -EINVAL, nr_args clamped).
 */
#include "helpers/helpers.h"

static const struct {
	int op;
	const char *name;
} used_ops[] = {
	{ IORING_OP_NOP, "NOP" },
	{ IORING_OP_READV, "READV" },
	{ IORING_OP_WRITEV, "WRITEV" },
	{ IORING_OP_FSYNC, "FSYNC" },
	{ IORING_OP_READ_FIXED, "READ_FIXED" },
	{ IORING_OP_WRITE_FIXED, "WRITE_FIXED" },
	{ IORING_OP_SYNC_FILE_RANGE, "SYNC_FILE_RANGE" },
	{ IORING_OP_FALLOCATE, "FALLOCATE" },
	{ IORING_OP_FILES_UPDATE, "FILES_UPDATE" },
	{ IORING_OP_FADVISE, "FADVISE" },
	{ IORING_OP_MADVISE, "MADVISE" },
	{ IORING_OP_READ, "READ" },
	{ IORING_OP_WRITE, "WRITE" },
	{ IORING_OP_FTRUNCATE, "FTRUNCATE" },
	{ IORING_OP_READV_FIXED, "READV_FIXED" },
	{ IORING_OP_WRITEV_FIXED, "WRITEV_FIXED" },
};

static void check_probe(struct io_uring_probe *p)
{
	t_assert(p != NULL);
	t_assert(p->last_op >= IORING_OP_WRITEV_FIXED);
	t_assert(p->ops_len == p->last_op + 1);
	for (unsigned i = 0; i < sizeof(used_ops) / sizeof(used_ops[0]); i++) {
		if (!io_uring_opcode_supported(p, used_ops[i].op))
			t_fail("IORING_OP_%s not reported", used_ops[i].name);
		t_eq(p->ops[used_ops[i].op].op, used_ops[i].op);
		t_assert(p->ops[used_ops[i].op].flags & IO_URING_OP_SUPPORTED);
	}
	/* Past last_op: not supported. */
	t_assert(!io_uring_opcode_supported(p, p->last_op + 1));
	t_assert(!io_uring_opcode_supported(p, 255));
}

int main(void)
{
	struct io_uring ring;
	struct io_uring_probe *p;
	size_t sz = sizeof(*p) + 256 * sizeof(p->ops[0]);

	t_ring_init(&ring, 4, 0);

	p = io_uring_get_probe_ring(&ring);
	check_probe(p);
	io_uring_free_probe(p);

	/* The ring-less variant sets up a temporary ring itself. */
	p = io_uring_get_probe();
	check_probe(p);
	io_uring_free_probe(p);

	/* Raw: the probe memory must be zeroed. */
	p = calloc(1, sz);
	p->resv = 1;
	t_eq(io_uring_register_probe(&ring, p, 256), -EINVAL);
	memset(p, 0, sz);
	p->ops[3].resv2 = 1;
	t_eq(io_uring_register_probe(&ring, p, 256), -EINVAL);
	/* A short probe: only the first entries are filled in. */
	memset(p, 0, sz);
	t_eq(io_uring_register_probe(&ring, p, 4), 0);
	t_eq(p->ops_len, 4);
	t_assert(p->last_op >= IORING_OP_WRITEV_FIXED);
	t_assert(p->ops[0].flags & IO_URING_OP_SUPPORTED);
	t_eq(p->ops[4].flags, 0);
	free(p);

	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
