/* SPDX-License-Identifier: MIT */
/*
 * ZCRX_CTRL_EXPORT and ZCRX_REG_IMPORT: an exported zcrx is an fd
 * (close-on-exec) that another ring registers with ZCRX_REG_IMPORT, getting
 * its own id for the same interface queue: same area, same refill queue,
 * same free list.  The queue lives as long as its longest holder (the
 * rings and the box fd).  Errors: import fields set -EINVAL, a bad fd or one
 * that is not an exported zcrx -EBADF, read-only export arguments -EFAULT
 * (and no fd leaks).
 */
#include <fcntl.h>

#include "zcrx-common.h"

static int export_box(struct io_uring *ring, unsigned id)
{
	struct zcrx_ctrl c;
	int ret = zc_ctrl(ring, id, ZCRX_CTRL_EXPORT, &c);

	if (ret)
		t_fail("export: %s", t_errname(ret));
	return (int)c.zc_export.zcrx_fd;
}

static int import_box(struct io_uring *ring, int box, unsigned *id)
{
	struct io_uring_zcrx_ifq_reg r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.flags = ZCRX_REG_IMPORT;
	r.if_idx = (unsigned)box;
	ret = io_uring_register_ifq(ring, &r);
	if (!ret)
		*id = r.zcrx_id;
	return ret;
}

/* Receive one message of len bytes on ring with zcrx id; return the CQE's
 * area offset after checking the bytes. */
static uint64_t recv_one(struct io_uring *ring, struct zc *z, unsigned id,
			 int fds[2], const char *msg, size_t len)
{
	struct io_uring_cqe *cqe;
	uint64_t off;

	zc_send_all(fds[1], msg, len);
	zc_prep_recv(io_uring_get_sqe(ring), fds[0], id, (unsigned)len, 5);
	t_submit(ring, 1);
	cqe = t_wait_cqe(ring);
	t_eq(cqe->user_data, 5);
	t_eq(cqe->res, (int)len);
	/* F_32 on the CQE_MIXED ring (the importer) */
	t_eq(cqe->flags & ~IORING_CQE_F_32, IORING_CQE_F_MORE);
	t_eq(!!(cqe->flags & IORING_CQE_F_32), ring->flags & IORING_SETUP_CQE_MIXED ? 1 : 0);
	off = zc_cqe_off(cqe);
	t_assert(!memcmp(z->area_mem + off, msg, len));
	io_uring_cqe_seen(ring, cqe);
	t_expect_cqe(ring, 5, 0, 0);
	return off;
}

int main(void)
{
	struct io_uring exp, imp, third;
	struct zcrx_ctrl *ro;
	struct zc z;
	unsigned id, id3;
	int box, fds[2], fd_count, ret;
	uint64_t off;

	zc_ring_init(&exp, 8, IORING_SETUP_CQE32);
	zc_ring_init(&imp, 8, IORING_SETUP_CQE_MIXED);
	zc_init(&z, 16, 4);
	zc_register_or_skip(&exp, &z);
	zc_tcp_pair(fds);

	/* invalid imports */
	t_eq(import_box(&imp, -1, &id), -EBADF);
	t_eq(import_box(&imp, fds[0], &id), -EBADF);	/* not a box */
	{
		struct io_uring_zcrx_ifq_reg r;

		memset(&r, 0, sizeof(r));
		r.flags = ZCRX_REG_IMPORT;
		r.if_idx = 0;
		r.rq_entries = 8;
		t_eq(io_uring_register_ifq(&imp, &r), -EINVAL);
	}

	/* read-only arguments: -EFAULT and no fd left behind */
	fd_count = t_count_fds();
	ro = mmap(NULL, ZC_PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_assert(ro != MAP_FAILED);
	memset(ro, 0, sizeof(*ro));
	ro->zcrx_id = z.reg.zcrx_id;
	ro->op = ZCRX_CTRL_EXPORT;
	mprotect(ro, ZC_PAGE, PROT_READ);
	t_eq(io_uring_register_zcrx_ctrl(&exp, ro), -EFAULT);
	munmap(ro, ZC_PAGE);
	t_eq(t_count_fds(), fd_count);

	box = export_box(&exp, z.reg.zcrx_id);
	t_assert(box >= 0);
	t_assert(fcntl(box, F_GETFD) & FD_CLOEXEC);
	ret = import_box(&imp, box, &id);
	t_eq(ret, 0);
	t_eq(id, 0);			/* the importer's first id */
	/* a second import into the same ring: another id, same queue */
	ret = import_box(&imp, box, &id3);
	t_eq(ret, 0);
	t_eq(id3, 1);
	close(box);

	/* the importer receives into the shared area ... */
	off = recv_one(&imp, &z, id, fds, "imported", 8);
	/* ... and returns the buffer through the shared RQ; a flush from
	 * either ring takes it back */
	{
		struct io_uring_zcrx_rqe *rqe = &z.rqes[z.rq_tail & z.rq_mask];

		rqe->off = off;
		rqe->len = 8;
		rqe->__pad = 0;
		z.rq_tail++;
		__atomic_store_n(z.ktail, z.rq_tail, __ATOMIC_RELEASE);
	}
	zc_flush(&imp, id3);
	t_eq(*z.khead, 1);

	/* the exporter goes; the queue stays with the importer */
	io_uring_queue_exit(&exp);
	recv_one(&imp, &z, id, fds, "after exporter exit", 19);

	/* a box outlives every ring that held the queue: import it later */
	box = export_box(&imp, id);
	zc_ring_init(&third, 8, IORING_SETUP_CQE32);
	io_uring_queue_exit(&imp);
	t_eq(import_box(&third, box, &id), 0);
	close(box);
	recv_one(&third, &z, id, fds, "third ring", 10);
	io_uring_queue_exit(&third);

	close(fds[0]);
	close(fds[1]);
	zc_free(&z);
	return T_EXIT_PASS;
}
