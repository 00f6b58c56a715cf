/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_SETUP_SQ_REWIND: SQEs are always taken from slot 0,
 * the SQ head and tail stay 0, batches of several sizes in a row complete
 * in order; setup refuses it without NO_SQARRAY or with SQPOLL.  Kernels
 * before 7.0 lack the flag: the test skips there.
 */
#include "helpers/helpers.h"

int main(void)
{
	struct io_uring_params p;
	struct io_uring ring;
	unsigned *khead, *ktail;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY;
	ret = io_uring_queue_init_params(8, &ring, &p);
	if (ret == -EINVAL)
		t_skip("no IORING_SETUP_SQ_REWIND here (kernel before 7.0)");
	if (ret == -ENOSYS || ret == -EPERM)
		t_skip("kernel refuses io_uring");
	t_eq(ret, 0);
	khead = ring.sq.khead;
	ktail = ring.sq.ktail;

	for (unsigned batch = 1; batch <= 8; batch++) {
		for (unsigned i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = t_get_sqe(&ring);

			/* Every batch starts again at slot 0. */
			t_eq(sqe - ring.sq.sqes, i);
			io_uring_prep_nop(sqe);
			sqe->user_data = batch * 100 + i;
		}
		t_eq(io_uring_submit(&ring), (int)batch);
		t_eq(*khead, 0);
		t_eq(*ktail, 0);
		for (unsigned i = 0; i < batch; i++)
			t_expect_cqe(&ring, batch * 100 + i, 0, 0);
	}
	io_uring_queue_exit(&ring);

	/* Needs NO_SQARRAY (io_uring_queue_init adds that flag by itself,
	 * so ask the raw setup call); excludes SQPOLL. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQ_REWIND;
	t_eq(io_uring_setup(8, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY |
		  IORING_SETUP_SQPOLL;
	t_eq(io_uring_queue_init_params(8, &ring, &p), -EINVAL);
	return 0;
}
