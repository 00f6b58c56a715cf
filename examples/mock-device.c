/* SPDX-License-Identifier: MIT */
/*
 * The mock device, as a kernel program would use /dev/io_uring_mock: probe
 * it, create a mock file with a 10 ms completion delay, read it (zeroes,
 * completed from the driver's timer), and copy a message into a registered
 * buffer with IORING_MOCK_CMD_COPY_REGBUF.
 *
 *   mock-device          (ursa's in-process device)
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <liburing.h>
#include <ursa/mock.h>
#include <ursa/ursa.h>

static int cmd(struct io_uring *ring, int fd, unsigned op, void *addr,
	       unsigned len, void (*extra)(struct io_uring_sqe *))
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_uring_cmd(sqe, op, fd);
	sqe->addr = (unsigned long)addr;
	sqe->len = len;
	if (extra)
		extra(sqe);
	io_uring_submit(ring);
	if (io_uring_wait_cqe(ring, &cqe))
		return -1;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static char msg[] = "hello from a registered buffer";
static char regbuf[4096];
static struct iovec dst = { regbuf + 100, sizeof(msg) };

static void copy_args(struct io_uring_sqe *sqe)
{
	sqe->addr = (unsigned long)&dst;
	sqe->len = 1;
	sqe->addr3 = (unsigned long)msg;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = 0;
}

int main(void)
{
	struct io_uring_mock_probe probe = { 0 };
	struct io_uring_mock_create mc = { .file_size = 1 << 20,
					   .rw_delay_ns = 10 * 1000 * 1000 };
	struct iovec reg = { regbuf, sizeof(regbuf) };
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct timespec t0, t1;
	static char buf[4096];
	int mgr, fd, res;

	if (io_uring_queue_init(8, &ring, 0))
		return 1;
	mgr = ursa_mock_open();
	if (mgr < 0)
		return 1;
	res = cmd(&ring, mgr, IORING_MOCK_MGR_CMD_PROBE, &probe, sizeof(probe), NULL);
	printf("probe: %d, %llu features\n", res, (unsigned long long)probe.features);
	res = cmd(&ring, mgr, IORING_MOCK_MGR_CMD_CREATE, &mc, sizeof(mc), NULL);
	if (res)
		return 1;
	fd = (int)mc.out_fd;

	memset(buf, 0x55, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf, sizeof(buf), 0);
	io_uring_submit(&ring);
	io_uring_wait_cqe(&ring, &cqe);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("read: res %d after %.1f ms, first byte %d\n", cqe->res,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
	       buf[0]);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (res != (int)sizeof(buf) || buf[0])
		return 1;

	if (io_uring_register_buffers(&ring, &reg, 1))
		return 1;
	res = cmd(&ring, fd, IORING_MOCK_CMD_COPY_REGBUF, NULL, 0, copy_args);
	printf("copy: res %d, registered buffer says \"%s\"\n", res, regbuf + 100);
	if (res != (int)sizeof(msg) || strcmp(regbuf + 100, msg))
		return 1;
	io_uring_queue_exit(&ring);
	ursa_close(fd);
	ursa_close(mgr);
	return 0;
}
