/* SPDX-License-Identifier: MIT */
/*
 * Description: the registered file table: REGISTER_FILES, FILES2 with tags
 * (a tag CQE {user_data = tag, res 0, flags 0} is posted when a tagged slot
 * is replaced, cleared or unregistered; tag 0 posts nothing), sparse tables,
 * FILES_UPDATE / FILES_UPDATE2 (partial success counts, -2 = skip),
 * FILE_ALLOC_RANGE and IORING_OP_FILES_UPDATE with IORING_FILE_INDEX_ALLOC,
 * and the errors of each.
 */
#include <unistd.h>

#include "helpers/helpers.h"

/* IORING_REGISTER_FILES_SKIP: leave this slot alone in an update. */
#define FILES_SKIP (-2)

static struct io_uring ring;
static int fds[2];

static void quiet(void)
{
	usleep(10000);
	t_expect_no_cqe(&ring);
}

static void test_errors(void)
{
	int bad[2] = { fds[0], 999 };
	int ringfd[1] = { ring.ring_fd };
	int holes[2] = { -1, -1 };
	__u64 tags[2] = { 5, 0 };

	t_eq(io_uring_unregister_files(&ring), -ENXIO);
	t_eq(io_uring_register_files_update(&ring, 0, fds, 1), -ENXIO);
	t_eq(io_uring_register_files(&ring, fds, 0), -EINVAL);
	t_eq(io_uring_register_files(&ring, bad, 2), -EBADF);
	/* A ring cannot register itself (or any io_uring fd). */
	t_eq(io_uring_register_files(&ring, ringfd, 1), -EBADF);
	/* -2 (skip) is not a valid fd at registration. */
	bad[1] = FILES_SKIP;
	t_eq(io_uring_register_files(&ring, bad, 2), -EBADF);
	/* A tag on an empty slot. */
	t_eq(io_uring_register_files_tags(&ring, holes, tags, 2), -EINVAL);
	/* More than IORING_MAX_FIXED_FILES (1 << 20): -EMFILE. */
	t_eq(io_uring_register_files_sparse(&ring, (1U << 20) + 1), -EMFILE);
}

static void test_update(void)
{
	int bad[2] = { fds[0], 999 };
	int skip[1] = { FILES_SKIP };
	int none[1] = { -1 };
	int ringfd[1] = { ring.ring_fd };

	t_eq(io_uring_register_files_sparse(&ring, 4), 0);
	t_eq(io_uring_register_files(&ring, fds, 2), -EBUSY);

	/* Range checks. */
	t_eq(io_uring_register_files_update(&ring, 4, fds, 1), -EINVAL);
	t_eq(io_uring_register_files_update(&ring, 3, fds, 2), -EINVAL);
	/* A bad fd first: error; after a good one: the count done so far. */
	t_eq(io_uring_register_files_update(&ring, 0, &bad[1], 1), -EBADF);
	t_eq(io_uring_register_files_update(&ring, 0, bad, 2), 1);
	t_eq(io_uring_register_files_update(&ring, 0, ringfd, 1), -EBADF);
	/* Skip and clear count as done. */
	t_eq(io_uring_register_files_update(&ring, 0, skip, 1), 1);
	t_eq(io_uring_register_files_update(&ring, 0, none, 1), 1);
	t_eq(io_uring_register_files_update(&ring, 0, fds, 2), 2);
	t_eq(io_uring_unregister_files(&ring), 0);
	t_eq(io_uring_unregister_files(&ring), -ENXIO);
}

static void test_alloc(void)
{
	struct io_uring_sqe *sqe;
	int a[3] = { fds[0], fds[1], fds[0] };
	int b[1] = { fds[0] };
	int c[1] = { -1 };
	int d[2] = { fds[1], 999 };

	t_eq(io_uring_register_files_sparse(&ring, 4), 0);
	/* The allocation range must fit in the table. */
	t_eq(io_uring_register_file_alloc_range(&ring, 2, 3), -EINVAL);
	t_eq(io_uring_register_file_alloc_range(&ring, 1, 2), 0);

	/*
	 * FILES_UPDATE with IORING_FILE_INDEX_ALLOC: slots come from the
	 * range [1, 3); the chosen indexes are written back into the array;
	 * when the range runs out, res is the count installed so far.
	 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, a, 3, IORING_FILE_INDEX_ALLOC);
	sqe->user_data = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 2, 0);
	t_eq(a[0], 1);
	t_eq(a[1], 2);
	t_eq(a[2], fds[0]);			/* untouched */
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, b, 1, IORING_FILE_INDEX_ALLOC);
	sqe->user_data = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, -ENFILE, 0);
	/* -1 cannot be allocated. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, c, 1, IORING_FILE_INDEX_ALLOC);
	sqe->user_data = 3;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, -EBADF, 0);

	/* Plain FILES_UPDATE at an offset. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, c, 1, 1);	/* clear slot 1 */
	sqe->user_data = 4;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, 1, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, d, 2, 0);	/* partial */
	sqe->user_data = 5;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, 1, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, b, 1, 7);	/* out of range */
	sqe->user_data = 6;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -EINVAL, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, b, 0, 0);	/* nr 0 */
	sqe->user_data = 7;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, -EINVAL, 0);

	/* Slot 1 is free again: allocation finds it. */
	b[0] = fds[1];
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, b, 1, IORING_FILE_INDEX_ALLOC);
	sqe->user_data = 8;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 8, 1, 0);
	t_eq(b[0], 1);
	t_eq(io_uring_unregister_files(&ring), 0);

	/* Without a table, allocation fails. */
	b[0] = fds[0];
	sqe = t_get_sqe(&ring);
	io_uring_prep_files_update(sqe, b, 1, IORING_FILE_INDEX_ALLOC);
	sqe->user_data = 9;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 9, -ENXIO, 0);
}

static void test_tags(void)
{
	int f3[3] = { fds[0], -1, fds[1] };
	__u64 t3[3] = { 100, 0, 200 };
	int nf[1] = { fds[1] }, none[1] = { -1 };
	__u64 nt[1] = { 101 }, zt[1] = { 0 };

	t_eq(io_uring_register_files_tags(&ring, f3, t3, 3), 0);

	/* Replacing tagged slot 0: CQE for tag 100. */
	t_eq(io_uring_register_files_update_tag(&ring, 0, nf, nt, 1), 1);
	t_expect_cqe(&ring, 100, 0, 0);
	quiet();
	/* Filling the empty slot 1 posts nothing. */
	t_eq(io_uring_register_files_update_tag(&ring, 1, nf, zt, 1), 1);
	quiet();
	/* Clearing slot 1 (tag 0): nothing. */
	t_eq(io_uring_register_files_update(&ring, 1, none, 1), 1);
	quiet();
	/* Tag on an empty slot in an update: -EINVAL. */
	t_eq(io_uring_register_files_update_tag(&ring, 1, none, nt, 1),
	     -EINVAL);
	/* Clearing slot 0 (tag 101): CQE. */
	t_eq(io_uring_register_files_update(&ring, 0, none, 1), 1);
	t_expect_cqe(&ring, 101, 0, 0);
	/* Tagged slots left: 2 (200). Set slot 0 again with tag 102. */
	nt[0] = 102;
	t_eq(io_uring_register_files_update_tag(&ring, 0, nf, nt, 1), 1);
	quiet();
	/* Unregister: one CQE per remaining tagged slot, any order. */
	t_eq(io_uring_unregister_files(&ring), 0);
	{
		struct t_cqe_want w[] = { { 102, 0, 0, 0 }, { 200, 0, 0, 0 } };

		t_reap_cqes(&ring, w, 2);
	}
	quiet();

	/* Tagged sparse table (tags NULL + sparse) and update2 on it. */
	t_eq(io_uring_register_files_sparse(&ring, 2), 0);
	nt[0] = 300;
	t_eq(io_uring_register_files_update_tag(&ring, 1, nf, nt, 1), 1);
	t_eq(io_uring_unregister_files(&ring), 0);
	t_expect_cqe(&ring, 300, 0, 0);
}

int main(void)
{
	t_ring_init(&ring, 8, 0);
	t_assert(ring.features & IORING_FEAT_RSRC_TAGS);
	t_pipe(fds);

	test_errors();
	test_update();
	test_alloc();
	test_tags();
	quiet();

	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
