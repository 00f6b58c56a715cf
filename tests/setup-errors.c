/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring_setup argument checking and size rules: entries 0
 * or above the maximum (-EINVAL unless IORING_SETUP_CLAMP), rounding to a
 * power of two, IORING_SETUP_CQSIZE rules, unknown setup flags, non-zero
 * reserved fields, invalid flag combinations, and the feature bits that
 * applications rely on.
 */
#include <unistd.h>

#include "helpers/helpers.h"

/* IORING_MAX_ENTRIES and IORING_MAX_CQ_ENTRIES in the kernel. */
#define MAX_SQ 32768u
#define MAX_CQ (2 * MAX_SQ)

static int try_setup(unsigned entries, struct io_uring_params *p)
{
	struct io_uring ring;
	int ret = t_setup_ring_params(&ring, entries, p);

	if (!ret)
		io_uring_queue_exit(&ring);
	return ret;
}

static int try_flags(unsigned entries, unsigned flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return try_setup(entries, &p);
}

/* Setup with CQSIZE and check the sizes the kernel reports back. */
static void check_sizes(unsigned entries, unsigned flags, unsigned cq,
			unsigned want_sq, unsigned want_cq)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.cq_entries = cq;
	ret = try_setup(entries, &p);
	if (ret)
		t_fail("setup(%u, flags 0x%x, cq %u): %s", entries, flags, cq,
		       t_errname(ret));
	if (p.sq_entries != want_sq || p.cq_entries != want_cq)
		t_fail("setup(%u, flags 0x%x, cq %u): sq %u cq %u, expected sq %u cq %u",
		       entries, flags, cq, p.sq_entries, p.cq_entries, want_sq,
		       want_cq);
}

int main(void)
{
	struct io_uring_params p;
	int fds[2];

	/* Entry counts. */
	t_eq(try_flags(0, 0), -EINVAL);
	t_eq(try_flags(MAX_SQ + 1, 0), -EINVAL);
	t_eq(try_flags(~0u, 0), -EINVAL);
	check_sizes(1, 0, 0, 1, 2);
	check_sizes(3, 0, 0, 4, 8);
	check_sizes(100, 0, 0, 128, 256);
	check_sizes(MAX_SQ, 0, 0, MAX_SQ, MAX_CQ);
	/* CLAMP: too many entries are clamped to the maximum. */
	check_sizes(MAX_SQ + 1, IORING_SETUP_CLAMP, 0, MAX_SQ, MAX_CQ);
	check_sizes(~0u, IORING_SETUP_CLAMP, 0, MAX_SQ, MAX_CQ);
	/* ... but 0 is still invalid. */
	t_eq(try_flags(0, IORING_SETUP_CLAMP), -EINVAL);

	/* CQSIZE: cq_entries rounded up; must be >= sq_entries and > 0. */
	check_sizes(4, IORING_SETUP_CQSIZE, 4, 4, 4);
	check_sizes(4, IORING_SETUP_CQSIZE, 5, 4, 8);
	check_sizes(4, IORING_SETUP_CQSIZE, 1000, 4, 1024);
	check_sizes(3, IORING_SETUP_CQSIZE, 3, 4, 4);
	check_sizes(4, IORING_SETUP_CQSIZE, MAX_CQ, 4, MAX_CQ);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = 0;
	t_eq(try_setup(4, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = 2;
	t_eq(try_setup(4, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = MAX_CQ + 1;
	t_eq(try_setup(4, &p), -EINVAL);
	check_sizes(4, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, MAX_CQ + 1, 4,
		    MAX_CQ);
	/* Without CQSIZE, p.cq_entries is ignored on input. */
	check_sizes(4, 0, 2, 4, 8);

	/* Unknown flags. */
	t_eq(try_flags(4, 1U << 31), -EINVAL);
	t_eq(try_flags(4, 1U << 28), -EINVAL);

	/* Reserved fields must be zero. */
	for (unsigned i = 0; i < 3; i++) {
		memset(&p, 0, sizeof(p));
		p.resv[i] = 1;
		t_eq(try_setup(4, &p), -EINVAL);
	}

	/* Invalid flag combinations. */
	/* TASKRUN_FLAG needs COOP_TASKRUN or DEFER_TASKRUN. */
	t_eq(try_flags(4, IORING_SETUP_TASKRUN_FLAG), -EINVAL);
	/* DEFER_TASKRUN needs SINGLE_ISSUER. */
	t_eq(try_flags(4, IORING_SETUP_DEFER_TASKRUN), -EINVAL);
	/* SQ_AFF only goes with SQPOLL. */
	t_eq(try_flags(4, IORING_SETUP_SQ_AFF), -EINVAL);
	/* One CQE size only. */
	t_eq(try_flags(4, IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED), -EINVAL);
	t_eq(try_flags(4, IORING_SETUP_SQE128 | IORING_SETUP_SQE_MIXED), -EINVAL);
	/* REGISTERED_FD_ONLY needs NO_MMAP. */
	t_eq(try_flags(4, IORING_SETUP_REGISTERED_FD_ONLY), -EINVAL);

	/*
	 * ATTACH_WQ: wq_fd must be an open io_uring fd.  The kernel answers
	 * -ENXIO (not -EBADF) for an fd that is not open.
	 */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_ATTACH_WQ;
	p.wq_fd = 1000;
	t_eq(try_setup(4, &p), -ENXIO);
	t_pipe(fds);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_ATTACH_WQ;
	p.wq_fd = (unsigned)fds[0];
	t_eq(try_setup(4, &p), -EINVAL);
	close(fds[0]);
	close(fds[1]);
	{
		struct io_uring a;

		t_ring_init(&a, 4, 0);
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_ATTACH_WQ;
		p.wq_fd = (unsigned)a.ring_fd;
		t_eq(try_setup(4, &p), 0);
		io_uring_queue_exit(&a);
	}

	/* Features that applications test before relying on them. */
	memset(&p, 0, sizeof(p));
	t_eq(try_setup(4, &p), 0);
	{
		static const struct {
			unsigned bit;
			const char *name;
		} feats[] = {
			{ IORING_FEAT_NODROP, "NODROP" },
			{ IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE" },
			{ IORING_FEAT_RW_CUR_POS, "RW_CUR_POS" },
			{ IORING_FEAT_EXT_ARG, "EXT_ARG" },
			{ IORING_FEAT_RSRC_TAGS, "RSRC_TAGS" },
			{ IORING_FEAT_CQE_SKIP, "CQE_SKIP" },
			{ IORING_FEAT_LINKED_FILE, "LINKED_FILE" },
			{ IORING_FEAT_MIN_TIMEOUT, "MIN_TIMEOUT" },
		};

		for (unsigned i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
			if (!(p.features & feats[i].bit))
				t_fail("IORING_FEAT_%s missing (features 0x%x)",
				       feats[i].name, p.features);
	}
	t_eq(p.sq_entries, 4);
	t_eq(p.cq_entries, 8);

	return T_EXIT_PASS;
}
