/* SPDX-License-Identifier: MIT */
/*
 * Shared by the tests/zcrx-*.c programs: a device-less (ZCRX_REG_NODEV)
 * interface queue with user memory for the refill queue and the area, a
 * loopback TCP pair, and the refill-queue bookkeeping an application does.
 *
 * The kernel here has no ZCRX_REG_NODEV: under URSA_BACKEND=kernel a
 * registration refused with -EINVAL, -EOPNOTSUPP or -EPERM makes the test
 * skip (zc_register_or_skip).  ursa must never skip.
 */
#ifndef URSA_TEST_ZCRX_COMMON_H
#define URSA_TEST_ZCRX_COMMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing/io_uring/query.h>

#include "helpers/helpers.h"

#define ZC_PAGE		4096u
#define ZC_RING_FLAGS	(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | \
			 IORING_SETUP_SUBMIT_ALL)

struct zc {
	struct io_uring_zcrx_ifq_reg	reg;
	struct io_uring_zcrx_area_reg	area;
	struct io_uring_region_desc	rd;
	unsigned char			*area_mem;
	size_t				area_len;
	void				*rq_mem;
	size_t				rq_len;
	/* refill queue as the application sees it */
	unsigned			*khead, *ktail;
	struct io_uring_zcrx_rqe	*rqes;
	unsigned			rq_tail, rq_mask;
};

static inline size_t zc_rq_size(unsigned entries)
{
	size_t sz = 64 + (size_t)entries * sizeof(struct io_uring_zcrx_rqe);

	return (sz + ZC_PAGE - 1) & ~(size_t)(ZC_PAGE - 1);
}

/* Default parameters: rq_entries entries, area of pages pages. */
static inline void zc_init(struct zc *z, unsigned rq_entries, unsigned pages)
{
	memset(z, 0, sizeof(*z));
	z->area_len = (size_t)pages * ZC_PAGE;
	z->area_mem = mmap(NULL, z->area_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	z->rq_len = zc_rq_size(rq_entries);
	z->rq_mem = mmap(NULL, z->rq_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->area_mem == MAP_FAILED || z->rq_mem == MAP_FAILED)
		t_fail("mmap");
	z->rd.user_addr = (uint64_t)(uintptr_t)z->rq_mem;
	z->rd.size = z->rq_len;
	z->rd.flags = IORING_MEM_REGION_TYPE_USER;
	z->area.addr = (uint64_t)(uintptr_t)z->area_mem;
	z->area.len = z->area_len;
	z->reg.flags = ZCRX_REG_NODEV;
	z->reg.rq_entries = rq_entries;
	z->reg.area_ptr = (uint64_t)(uintptr_t)&z->area;
	z->reg.region_ptr = (uint64_t)(uintptr_t)&z->rd;
}

static inline void zc_free(struct zc *z)
{
	munmap(z->area_mem, z->area_len);
	munmap(z->rq_mem, z->rq_len);
}

/* After a successful registration: the application's view of the RQ. */
static inline void zc_map_rq(struct zc *z, void *base)
{
	unsigned char *b = base;

	z->khead = (unsigned *)(void *)(b + z->reg.offsets.head);
	z->ktail = (unsigned *)(void *)(b + z->reg.offsets.tail);
	z->rqes = (struct io_uring_zcrx_rqe *)(void *)(b + z->reg.offsets.rqes);
	z->rq_mask = z->reg.rq_entries - 1;
	z->rq_tail = *z->ktail;
}

static inline int zc_ring(struct io_uring *ring, unsigned entries, unsigned extra)
{
	return t_setup_ring(ring, entries, ZC_RING_FLAGS | extra);
}

static inline void zc_ring_init(struct io_uring *ring, unsigned entries,
				unsigned extra)
{
	int ret = zc_ring(ring, entries, extra);

	if (ret)
		t_fail("ring setup: %s", t_errname(ret));
}

/* A kernel without device-less zcrx (or without the privilege): skip. */
static inline void zc_skip_if_kernel_refuses(int ret)
{
	if (!t_backend_is_kernel() || !ret)
		return;
	if (ret == -EINVAL || ret == -EOPNOTSUPP || ret == -EPERM ||
	    ret == -ENODEV)
		t_skip("kernel has no device-less zcrx (ZCRX_REG_NODEV): %s",
		       t_errname(ret));
}

/* Register z on ring (user-memory RQ) and map its RQ; skip as above. */
static inline void zc_register_or_skip(struct io_uring *ring, struct zc *z)
{
	int ret = io_uring_register_ifq(ring, &z->reg);

	zc_skip_if_kernel_refuses(ret);
	if (ret)
		t_fail("register ifq: %s", t_errname(ret));
	zc_map_rq(z, z->rq_mem);
}

/* A connected loopback TCP pair: fds[0] receives, fds[1] sends. */
static inline void zc_tcp_pair(int fds[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l, one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
		t_fail("listener: %s", strerror(errno));
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[1] < 0 || connect(fds[1], (struct sockaddr *)&a, sizeof(a)))
		t_fail("connect: %s", strerror(errno));
	fds[0] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (fds[0] < 0)
		t_fail("accept: %s", strerror(errno));
	setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

static inline void zc_prep_recv(struct io_uring_sqe *sqe, int fd, unsigned id,
				unsigned len, uint64_t ud)
{
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, len, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = id;
	sqe->user_data = ud;
}

/* Where a data CQE's bytes are in the area. */
static inline uint64_t zc_cqe_off(const struct io_uring_cqe *cqe)
{
	const struct io_uring_zcrx_cqe *rc = (const void *)(cqe + 1);

	return rc->off;
}

/* Hand a data CQE's buffer back (publish with the tail store). */
static inline void zc_return(struct zc *z, const struct io_uring_cqe *cqe)
{
	struct io_uring_zcrx_rqe *rqe = &z->rqes[z->rq_tail & z->rq_mask];

	rqe->off = (zc_cqe_off(cqe) & ~IORING_ZCRX_AREA_MASK) | z->area.rq_area_token;
	rqe->len = (unsigned)cqe->res;
	rqe->__pad = 0;
	z->rq_tail++;
	__atomic_store_n(z->ktail, z->rq_tail, __ATOMIC_RELEASE);
}

static inline int zc_ctrl(struct io_uring *ring, unsigned id, unsigned op,
			  struct zcrx_ctrl *out)
{
	struct zcrx_ctrl c;

	memset(&c, 0, sizeof(c));
	c.zcrx_id = id;
	c.op = op;
	if (!out)
		out = &c;
	else
		*out = c;
	return io_uring_register_zcrx_ctrl(ring, out);
}

static inline void zc_flush(struct io_uring *ring, unsigned id)
{
	int ret = zc_ctrl(ring, id, ZCRX_CTRL_FLUSH_RQ, NULL);

	if (ret)
		t_fail("FLUSH_RQ: %s", t_errname(ret));
}

static inline void zc_send_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, 0);

		if (n <= 0)
			t_fail("send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

#endif
