/* SPDX-License-Identifier: MIT */
/* Device-less zcrx (see zcrx.h).  Not built yet: being written. */
#include "zcrx.h"

int ursa_register_zcrx_ifq(struct ursa_ring *ring, void *arg, unsigned nr)
{
	(void)ring; (void)arg; (void)nr;
	return -EOPNOTSUPP;
}

int ursa_register_zcrx_ctrl(struct ursa_ring *ring, void *arg, unsigned nr)
{
	(void)ring; (void)arg; (void)nr;
	return -EOPNOTSUPP;
}

int ursa_query_zcrx(void *out)
{
	(void)out;
	return -EOPNOTSUPP;
}

int ursa_recv_zc_prep(struct ursa_req *req, const struct io_uring_sqe *sqe)
{
	(void)req; (void)sqe;
	return -EOPNOTSUPP;
}

int ursa_recv_zc(struct ursa_req *req, unsigned issue_flags)
{
	(void)req; (void)issue_flags;
	return -EOPNOTSUPP;
}

void ursa_recv_zc_cleanup(struct ursa_req *req)
{
	(void)req;
}

void ursa_zcrx_exit(struct ursa_ring *ring)
{
	(void)ring;
}
