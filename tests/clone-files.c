/* SPDX-License-Identifier: MIT */
/*
 * Description: proposed IORING_REGISTER_CLONE_FILES (opcode 38, under review
 * upstream, shaped like CLONE_BUFFERS; v6 of the series): cloning another
 * ring's registered files (holes stay holes, the clones are usable and
 * outlive the source table), ranges with src_off/dst_off/nr, DST_REPLACE
 * (slots outside the range kept), SRC_REGISTERED, a source ring created by
 * another thread (v6 dropped the submitter check), and errors: self clone
 * (-EINVAL), destination busy without REPLACE (-EBUSY), bad source fd
 * (-EBADF), not a ring (-EOPNOTSUPP), source without files (-ENXIO),
 * offsets without nr / nr too large / unknown flags / pad (-EINVAL), range
 * overflow (-EOVERFLOW).  The kernel here lacks the opcode (it answers
 * -EINVAL), so under the kernel backend the test is skipped.
 */
#include <pthread.h>
#include <unistd.h>

#include "helpers/helpers.h"

/* Proposed uAPI values (seed-features 8.2). */
#define T_REGISTER_CLONE_FILES 38u
#define T_SRC_REGISTERED (1U << 0)
#define T_DST_REPLACE (1U << 1)
#define MAX_FILES (1U << 20)

/* Same layout as struct io_uring_clone_files (32 bytes). */
struct t_clone_files {
	uint32_t src_fd;
	uint32_t flags;
	uint32_t src_off;
	uint32_t dst_off;
	uint32_t nr;
	uint32_t pad[3];
};

static int fds[2];

static int clone_files(struct io_uring *dst, unsigned src_fd, unsigned flags,
		       unsigned src_off, unsigned dst_off, unsigned nr)
{
	struct t_clone_files arg = {
		.src_fd = src_fd, .flags = flags, .src_off = src_off,
		.dst_off = dst_off, .nr = nr,
	};

	return io_uring_register((unsigned)dst->ring_fd, T_REGISTER_CLONE_FILES,
				 &arg, 1);
}

static int clone_all(struct io_uring *dst, struct io_uring *src,
		     unsigned flags)
{
	return clone_files(dst, (unsigned)src->ring_fd, flags, 0, 0, 0);
}

/*
 * Write one byte through fixed slot idx of ring r; returns the result.
 * Slots holding the pipe's write end succeed with 1.
 */
static int write_fixed(struct io_uring *r, int idx)
{
	struct io_uring_sqe *sqe = t_get_sqe(r);
	struct io_uring_cqe *cqe;
	char c;
	int res;

	io_uring_prep_write(sqe, idx, "c", 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 0x77;
	t_submit(r, 1);
	cqe = t_wait_cqe(r);
	t_eq(cqe->user_data, 0x77);
	res = cqe->res;
	io_uring_cqe_seen(r, cqe);
	if (res == 1 && read(fds[0], &c, 1) != 1)
		t_fail("pipe read");
	return res;
}

/* Source table: { write end, hole, write end, write end }. */
static void register_src(struct io_uring *src)
{
	int table[4] = { fds[1], -1, fds[1], fds[1] };

	t_eq(io_uring_register_files(src, table, 4), 0);
}

static void *make_ring(void *data)
{
	struct io_uring *r = data;

	t_ring_init(r, 4, IORING_SETUP_SINGLE_ISSUER);
	register_src(r);
	return NULL;
}

int main(void)
{
	struct io_uring src, dst, empty, other;
	pthread_t th;
	int ret;

	t_pipe(fds);
	t_ring_init(&src, 4, 0);
	t_ring_init(&dst, 4, 0);
	t_ring_init(&empty, 4, 0);
	register_src(&src);

	/* Does this backend know the opcode at all? */
	ret = clone_all(&dst, &src, 0);
	if (ret == -EINVAL && t_backend_is_kernel())
		t_skip("kernel has no IORING_REGISTER_CLONE_FILES (opcode 38)");
	t_eq(ret, 0);

	/* Cloned slots work, the hole stays a hole. */
	t_eq(write_fixed(&dst, 0), 1);
	t_eq(write_fixed(&dst, 2), 1);
	t_eq(write_fixed(&dst, 3), 1);
	t_eq(write_fixed(&dst, 1), -EBADF);
	t_eq(write_fixed(&dst, 4), -EBADF);

	/* Errors. */
	t_eq(clone_all(&dst, &src, 0), -EBUSY);
	t_eq(clone_all(&src, &src, T_DST_REPLACE), -EINVAL);	/* self */
	t_eq(clone_files(&empty, 999, 0, 0, 0, 0), -EBADF);
	t_eq(clone_files(&empty, (unsigned)fds[0], 0, 0, 0, 0), -EOPNOTSUPP);
	t_eq(clone_all(&src, &empty, T_DST_REPLACE), -ENXIO);
	t_eq(clone_files(&empty, (unsigned)src.ring_fd, 0, 1, 0, 0), -EINVAL);
	t_eq(clone_files(&empty, (unsigned)src.ring_fd, 0, 0, 1, 0), -EINVAL);
	t_eq(clone_files(&empty, (unsigned)src.ring_fd, 0, 0, 0, 5), -EINVAL);
	t_eq(clone_files(&empty, (unsigned)src.ring_fd, 0, 2, 0, 3),
	     -EOVERFLOW);
	t_eq(clone_files(&empty, (unsigned)src.ring_fd, 0, 0, ~0u, 1),
	     -EOVERFLOW);
	t_eq(clone_files(&empty, (unsigned)src.ring_fd, 1U << 7, 0, 0, 0),
	     -EINVAL);
	{
		struct t_clone_files arg = { .src_fd = (unsigned)src.ring_fd };

		arg.pad[0] = 1;
		t_eq(io_uring_register((unsigned)empty.ring_fd,
				       T_REGISTER_CLONE_FILES, &arg, 1),
		     -EINVAL);
		arg.pad[0] = 0;
		t_eq(io_uring_register((unsigned)empty.ring_fd,
				       T_REGISTER_CLONE_FILES, &arg, 2),
		     -EINVAL);
		t_eq(io_uring_register((unsigned)empty.ring_fd,
				       T_REGISTER_CLONE_FILES, NULL, 1),
		     -EINVAL);
	}
	/* None of the failures installed a table in "empty". */
	t_eq(write_fixed(&empty, 0), -EBADF);

	/*
	 * REPLACE with a range: src slot 0 into dst slot 5; dst grows to 6,
	 * slots 0..3 kept, slot 4 empty.
	 */
	t_eq(clone_files(&dst, (unsigned)src.ring_fd, T_DST_REPLACE, 0, 5, 1),
	     0);
	t_eq(write_fixed(&dst, 5), 1);
	t_eq(write_fixed(&dst, 0), 1);
	t_eq(write_fixed(&dst, 4), -EBADF);
	t_eq(write_fixed(&dst, 6), -EBADF);
	/* REPLACE over an existing slot with the source's hole. */
	t_eq(clone_files(&dst, (unsigned)src.ring_fd, T_DST_REPLACE, 1, 0, 1),
	     0);
	t_eq(write_fixed(&dst, 0), -EBADF);
	t_eq(write_fixed(&dst, 2), 1);

	/* The clones keep their files when the source drops its table. */
	t_eq(io_uring_unregister_files(&src), 0);
	t_eq(write_fixed(&src, 2), -EBADF);
	t_eq(write_fixed(&dst, 2), 1);
	t_eq(write_fixed(&dst, 5), 1);
	t_eq(io_uring_unregister_files(&dst), 0);

	/* Source named by its registered ring index. */
	register_src(&src);
	t_eq(io_uring_register_ring_fd(&src), 1);
	t_eq(clone_files(&empty, (unsigned)src.enter_ring_fd, T_SRC_REGISTERED,
			 0, 0, 0), 0);
	t_eq(write_fixed(&empty, 3), 1);
	t_eq(io_uring_unregister_ring_fd(&src), 1);

	/*
	 * A source ring created (and owned, SINGLE_ISSUER) by another thread:
	 * cloning from it is allowed (per-thread rings cloned from one set-up
	 * ring is the use case).
	 */
	pthread_create(&th, NULL, make_ring, &other);
	pthread_join(th, NULL);
	t_eq(clone_all(&dst, &other, 0), 0);
	t_eq(write_fixed(&dst, 0), 1);
	t_eq(write_fixed(&dst, 1), -EBADF);
	io_uring_queue_exit(&other);
	/* Still usable after the source ring is gone. */
	t_eq(write_fixed(&dst, 3), 1);

	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&src);
	io_uring_queue_exit(&dst);
	io_uring_queue_exit(&empty);
	return T_EXIT_PASS;
}
