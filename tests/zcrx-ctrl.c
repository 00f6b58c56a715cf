/* SPDX-License-Identifier: MIT */
/*
 * IORING_REGISTER_ZCRX_CTRL errors, in the kernel's order: nr_args != 0
 * -EINVAL, a bad pointer -EFAULT, non-zero __resv -EFAULT (sic, as the
 * kernel codes it), an unknown zcrx id -ENXIO, an unknown op -EOPNOTSUPP,
 * reserved bits of an op's own arguments -EINVAL.
 */
#include "zcrx-common.h"

int main(void)
{
	struct io_uring ring;
	struct zcrx_ctrl c;
	struct zc z;
	int fds_before;

	zc_ring_init(&ring, 8, IORING_SETUP_CQE32);
	zc_init(&z, 64, 8);
	zc_register_or_skip(&ring, &z);

	memset(&c, 0, sizeof(c));
	c.zcrx_id = z.reg.zcrx_id;
	t_eq(io_uring_register(ring.ring_fd, IORING_REGISTER_ZCRX_CTRL, &c, 1),
	     -EINVAL);
	t_eq(io_uring_register(ring.ring_fd, IORING_REGISTER_ZCRX_CTRL, NULL, 0),
	     -EFAULT);
	t_eq(io_uring_register(ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
			       (void *)8, 0), -EFAULT);

	c.__resv[1] = 1;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -EFAULT);
	/* __resv is looked at before the id */
	c.zcrx_id = 12345;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -EFAULT);
	c.__resv[1] = 0;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -ENXIO);
	/* and the id before the op */
	c.op = 77;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -ENXIO);
	c.zcrx_id = z.reg.zcrx_id;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -EOPNOTSUPP);
	c.op = __ZCRX_CTRL_LAST;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -EOPNOTSUPP);

	c.op = ZCRX_CTRL_FLUSH_RQ;
	c.zc_flush.__resv[5] = 1;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -EINVAL);
	c.zc_flush.__resv[5] = 0;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), 0);

	fds_before = t_count_fds();
	memset(&c, 0, sizeof(c));
	c.zcrx_id = z.reg.zcrx_id;
	c.op = ZCRX_CTRL_EXPORT;
	c.zc_export.__resv1[10] = 1;
	t_eq(io_uring_register_zcrx_ctrl(&ring, &c), -EINVAL);
	t_eq(t_count_fds(), fds_before);

	/* a ring without zcrx: every id is unknown */
	{
		struct io_uring r2;

		zc_ring_init(&r2, 8, IORING_SETUP_CQE32);
		memset(&c, 0, sizeof(c));
		t_eq(io_uring_register_zcrx_ctrl(&r2, &c), -ENXIO);
		io_uring_queue_exit(&r2);
	}

	io_uring_queue_exit(&ring);
	zc_free(&z);
	return T_EXIT_PASS;
}
