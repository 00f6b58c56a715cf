/* SPDX-License-Identifier: MIT */
/*
 * zcrx-nodev: a zero-copy receiver in the device-less mode
 * (ZCRX_REG_NODEV), written as for the kernel: only the liburing API and
 * the io_uring uapi.  Built against ursa it runs in-process; the same code
 * runs on a kernel that has ZCRX_REG_NODEV (URSA_BACKEND=kernel, or linked
 * with -luring).
 *
 *   zcrx-nodev [MiB]          (default 16)
 *
 * It connects a loopback TCP pair, a thread sends MiB mebibytes of a known
 * pattern, and the ring receives them with one multishot RECV_ZC: every
 * CQE names a chunk in the registered area, which is checked where it lies
 * (no copy out) and handed back through the refill queue; the queue is
 * flushed with ZCRX_CTRL_FLUSH_RQ, which device-less mode needs since no
 * NIC refills from it.  If the request ends early (-ENOMEM: area dry,
 * -ENOSPC: CQ full) it is armed again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <liburing.h>

#define RQ_ENTRIES	512u
#define AREA_SIZE	(4u << 20)

static size_t total;

static unsigned char pattern(size_t off)
{
	return (unsigned char)(off * 7 + (off >> 12));
}

static void *sender(void *arg)
{
	int fd = *(int *)arg;
	static unsigned char buf[1 << 16];
	size_t sent = 0;

	while (sent < total) {
		size_t n = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(sent + i);
		w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		sent += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	return NULL;
}

static int tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return -1;
	fds[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[1] < 0 || connect(fds[1], (struct sockaddr *)&a, sizeof(a)))
		return -1;
	fds[0] = accept(l, NULL, NULL);
	close(l);
	return fds[0] < 0 ? -1 : 0;
}

static void arm(struct io_uring *ring, int fd, unsigned zcrx_id)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, 0, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = zcrx_id;
	io_uring_submit(ring);
}

int main(int argc, char **argv)
{
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
	struct io_uring_zcrx_rqe *rqes;
	struct io_uring ring;
	unsigned *rq_tail_ptr, rq_tail = 0, rq_mask, rearms = 0;
	unsigned char *area_mem;
	void *rq_mem;
	size_t rq_size, got = 0;
	pthread_t th;
	int fds[2], ret;

	total = (size_t)(argc > 1 ? atoi(argv[1]) : 16) << 20;

	/* zcrx wants DEFER_TASKRUN and 32-byte CQEs */
	ret = io_uring_queue_init(64, &ring, IORING_SETUP_DEFER_TASKRUN |
				  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32);
	if (ret) {
		fprintf(stderr, "ring: %s\n", strerror(-ret));
		return 1;
	}

	/* The refill queue: a header (head, tail) then the entries, in our
	 * own memory; the area: page-aligned memory the data lands in. */
	rq_size = 4096 + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
	rq_mem = mmap(NULL, rq_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	area_mem = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rq_mem == MAP_FAILED || area_mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(&rd, 0, sizeof(rd));
	rd.user_addr = (uint64_t)(uintptr_t)rq_mem;
	rd.size = rq_size;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	memset(&area, 0, sizeof(area));
	area.addr = (uint64_t)(uintptr_t)area_mem;
	area.len = AREA_SIZE;
	memset(&reg, 0, sizeof(reg));
	reg.flags = ZCRX_REG_NODEV;	/* no NIC: if_idx and if_rxq stay 0 */
	reg.rq_entries = RQ_ENTRIES;
	reg.area_ptr = (uint64_t)(uintptr_t)&area;
	reg.region_ptr = (uint64_t)(uintptr_t)&rd;
	ret = io_uring_register_ifq(&ring, &reg);
	if (ret) {
		fprintf(stderr, "register zcrx (NODEV): %s\n", strerror(-ret));
		return 1;
	}
	rq_tail_ptr = (unsigned *)((char *)rq_mem + reg.offsets.tail);
	rqes = (struct io_uring_zcrx_rqe *)((char *)rq_mem + reg.offsets.rqes);
	rq_mask = reg.rq_entries - 1;

	if (tcp_pair(fds)) {
		perror("loopback pair");
		return 1;
	}
	pthread_create(&th, NULL, sender, &fds[1]);
	arm(&ring, fds[0], reg.zcrx_id);

	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		bool done = false;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret) {
			fprintf(stderr, "wait: %s\n", strerror(-ret));
			return 1;
		}
		io_uring_for_each_cqe(&ring, head, cqe) {
			const struct io_uring_zcrx_cqe *zc = (const void *)(cqe + 1);
			uint64_t off = zc->off & ~IORING_ZCRX_AREA_MASK;
			struct io_uring_zcrx_rqe *rqe;

			seen++;
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				if (cqe->res == 0) {
					done = true;	/* EOF */
				} else if (cqe->res == -ENOMEM || cqe->res == -ENOSPC) {
					rearms++;
					arm(&ring, fds[0], reg.zcrx_id);
				} else {
					fprintf(stderr, "recv_zc: %s\n", strerror(-cqe->res));
					return 1;
				}
				continue;
			}
			/* the data, where it landed */
			for (int i = 0; i < cqe->res; i++) {
				if (area_mem[off + (size_t)i] != pattern(got + (size_t)i)) {
					fprintf(stderr, "bad byte at %zu\n", got + (size_t)i);
					return 1;
				}
			}
			got += (size_t)cqe->res;
			/* and back it goes */
			rqe = &rqes[rq_tail++ & rq_mask];
			rqe->off = off | area.rq_area_token;
			rqe->len = (unsigned)cqe->res;
			rqe->__pad = 0;
		}
		io_uring_cq_advance(&ring, seen);
		/* publish the returned buffers, and take them back now */
		__atomic_store_n(rq_tail_ptr, rq_tail, __ATOMIC_RELEASE);
		{
			struct zcrx_ctrl ctrl = {
				.zcrx_id = reg.zcrx_id,
				.op = ZCRX_CTRL_FLUSH_RQ,
			};

			ret = io_uring_register_zcrx_ctrl(&ring, &ctrl);
			if (ret) {
				fprintf(stderr, "flush: %s\n", strerror(-ret));
				return 1;
			}
		}
		if (done)
			break;
	}
	pthread_join(th, NULL);
	printf("received %zu bytes in place, all checked (%u re-arms)\n", got, rearms);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	munmap(area_mem, AREA_SIZE);
	munmap(rq_mem, rq_size);
	return got == total ? 0 : 1;
}
