/* SPDX-License-Identifier: MIT */
/*
 * Description: io-wq controls: IORING_REGISTER_IOWQ_MAX_WORKERS returns the
 * previous {bounded, unbounded} limits (a 0 entry changes nothing and just
 * reads the value; values above RLIMIT_NPROC are clamped to it; wrong
 * nr_args or a NULL array -> -EINVAL), and IORING_REGISTER_IOWQ_AFF /
 * UNREGISTER_IOWQ_AFF (size 0 or NULL mask -> -EINVAL); async work still
 * runs under the new limits.
 */
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void set_workers(unsigned bounded, unsigned unbounded,
			unsigned *old_b, unsigned *old_u)
{
	unsigned v[2] = { bounded, unbounded };

	t_eq(io_uring_register_iowq_max_workers(&ring, v), 0);
	*old_b = v[0];
	*old_u = v[1];
}

static void async_nops(uint64_t base, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		t_prep_nop(&ring, base + i)->flags |= IOSQE_ASYNC;
	t_submit(&ring, (int)n);
	{
		struct t_cqe_want w[8];

		for (unsigned i = 0; i < n; i++)
			w[i] = (struct t_cqe_want){ base + i, 0, 0, 0 };
		t_reap_cqes(&ring, w, n);
	}
}

int main(void)
{
	unsigned b, u, b0, u0;
	struct rlimit rl;
	cpu_set_t set;

	t_ring_init(&ring, 8, 0);
	getrlimit(RLIMIT_NPROC, &rl);

	/* Read the defaults: both non-zero. */
	set_workers(0, 0, &b0, &u0);
	t_assert(b0 > 0 && u0 > 0);

	/* Set both: the old values come back. */
	set_workers(3, 5, &b, &u);
	t_eq(b, b0);
	t_eq(u, u0);
	set_workers(0, 0, &b, &u);
	t_eq(b, 3);
	t_eq(u, 5);
	/* Only the unbounded one. */
	set_workers(0, 7, &b, &u);
	t_eq(b, 3);
	t_eq(u, 5);
	set_workers(0, 0, &b, &u);
	t_eq(b, 3);
	t_eq(u, 7);
	async_nops(1, 8);

	/* Above RLIMIT_NPROC: clamped. */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1000000) {
		set_workers(1000000, 1000000, &b, &u);
		set_workers(0, 0, &b, &u);
		t_eq(b, rl.rlim_cur);
		t_eq(u, rl.rlim_cur);
	}
	set_workers(1, 1, &b, &u);
	async_nops(10, 8);

	/* Argument errors. */
	{
		unsigned v[2] = { 0, 0 };

		t_eq(io_uring_register((unsigned)ring.ring_fd,
				       IORING_REGISTER_IOWQ_MAX_WORKERS, v, 1),
		     -EINVAL);
		t_eq(io_uring_register((unsigned)ring.ring_fd,
				       IORING_REGISTER_IOWQ_MAX_WORKERS, NULL, 2),
		     -EINVAL);
	}

	/* Affinity. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	t_eq(io_uring_register_iowq_aff(&ring, sizeof(set), &set), 0);
	async_nops(20, 4);
	t_eq(io_uring_register_iowq_aff(&ring, 0, &set), -EINVAL);
	t_eq(io_uring_register((unsigned)ring.ring_fd, IORING_REGISTER_IOWQ_AFF,
			       NULL, sizeof(set)), -EINVAL);
	t_eq(io_uring_unregister_iowq_aff(&ring), 0);
	/* Unregistering again is fine; an argument is not. */
	t_eq(io_uring_unregister_iowq_aff(&ring), 0);
	t_eq(io_uring_register((unsigned)ring.ring_fd,
			       IORING_UNREGISTER_IOWQ_AFF, &set, 1), -EINVAL);
	async_nops(30, 4);

	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
