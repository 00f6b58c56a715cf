/* SPDX-License-Identifier: MIT */
/*
 * The mock device (include/ursa/mock.h), the counterpart of the kernel's
 * io_uring mock file: manager PROBE/CREATE and their errors, zero reads and
 * swallowed writes within the size (nowait, delayed, pollable, fixed file),
 * -EINVAL past the end, COPY_REGBUF both ways with 1, 6 and 5 iovecs, and
 * the unknown-command answer.  On the kernel backend it runs against
 * /dev/io_uring_mock when the kernel has it, and skips otherwise.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ursa/mock.h>
#include <ursa/ursa.h>
#include "helpers/helpers.h"

static struct io_uring ring;

/* An SQE with user_data 0 (prep helpers leave user_data alone). */
static struct io_uring_sqe *get0(void)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	sqe->user_data = 0;
	return sqe;
}

static int mgr_cmd(int mgr, unsigned op, void *arg, unsigned len)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_uring_cmd(sqe, op, mgr);
	sqe->addr = (uint64_t)(uintptr_t)arg;
	sqe->len = len;
	sqe->user_data = 1;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static int create(int mgr, unsigned flags, uint64_t size, uint64_t delay)
{
	struct io_uring_mock_create mc = { .flags = flags, .file_size = size,
					   .rw_delay_ns = delay };
	int ret = mgr_cmd(mgr, IORING_MOCK_MGR_CMD_CREATE, &mc, sizeof(mc));

	return ret < 0 ? ret : (int)mc.out_fd;
}

static void test_mgr_errors(int mgr)
{
	struct io_uring_mock_probe mp = { 0 };
	struct io_uring_mock_create mc = { 0 };

	t_eq(mgr_cmd(mgr, IORING_MOCK_MGR_CMD_PROBE, &mp, sizeof(mp)), 0);
	t_eq(mp.features, IORING_MOCK_FEAT_END);
	t_eq(mgr_cmd(mgr, IORING_MOCK_MGR_CMD_PROBE, &mp, sizeof(mp) - 8), -EINVAL);
	mp.__resv[3] = 1;
	t_eq(mgr_cmd(mgr, IORING_MOCK_MGR_CMD_PROBE, &mp, sizeof(mp)), -EINVAL);
	t_eq(mgr_cmd(mgr, IORING_MOCK_MGR_CMD_PROBE, (void *)8, sizeof(mp)), -EFAULT);
	t_eq(mgr_cmd(mgr, 77, &mp, sizeof(mp)), -EOPNOTSUPP);

	t_eq(mgr_cmd(mgr, IORING_MOCK_MGR_CMD_CREATE, &mc, sizeof(mc) + 8), -EINVAL);
	mc.__resv[0] = 1;
	t_eq(mgr_cmd(mgr, IORING_MOCK_MGR_CMD_CREATE, &mc, sizeof(mc)), -EINVAL);
	t_eq(create(mgr, 4, 4096, 0), -EINVAL);
	t_eq(create(mgr, 0, (1ull << 30) + 1, 0), -EINVAL);
	t_eq(create(mgr, 0, 4096, 1000000001ull), -EINVAL);
}

static void test_reads(int mgr, unsigned flags, uint64_t delay, bool fixed)
{
	static char buf[16][4096];
	int fd = create(mgr, flags, 10 << 20, delay), i;
	uint64_t t0 = t_now_usec();

	t_assert(fd >= 0);
	memset(buf, 0xaa, sizeof(buf));
	if (fixed)
		t_eq(io_uring_register_files(&ring, &fd, 1), 0);
	for (i = 0; i < 16; i++) {
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_read(sqe, fixed ? 0 : fd, buf[i], 4096,
				   (uint64_t)i * 4096);
		if (fixed)
			sqe->flags |= IOSQE_FIXED_FILE;
		sqe->user_data = 100 + i;
	}
	t_submit(&ring, 16);
	for (i = 0; i < 16; i++) {
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_eq(cqe->res, 4096);
		io_uring_cqe_seen(&ring, cqe);
	}
	for (i = 0; i < 16; i++)
		for (int j = 0; j < 4096; j++)
			if (buf[i][j])
				t_fail("read %d byte %d not zero", i, j);
	if (delay)
		t_assert(t_now_usec() - t0 >= delay / 1000);

	/* Writes are swallowed; both stop at the end of the file. */
	io_uring_prep_write(get0(), fd, buf[0], 4096, 0);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0, 4096, 0);
	io_uring_prep_read(get0(), fd, buf[0], 4096, (10 << 20) - 100);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0, -EINVAL, 0);

	/* Pollable (F_POLL) or not, the mock is ready at once. */
	io_uring_prep_poll_add(get0(), fd, POLLIN | POLLOUT);
	t_submit(&ring, 1);
	{
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_assert(cqe->res & POLLIN);
		t_assert(cqe->res & POLLOUT);
		io_uring_cqe_seen(&ring, cqe);
	}
	if (fixed)
		t_eq(io_uring_unregister_files(&ring), 0);
	t_eq(t_backend_is_kernel() ? close(fd) : ursa_close(fd), 0);
}

static int copy_cmd(int fd, struct iovec *iov, unsigned nr, void *ubuf,
		    unsigned flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_uring_cmd(sqe, IORING_MOCK_CMD_COPY_REGBUF, fd);
	sqe->user_data = 2;
	sqe->addr = (uint64_t)(uintptr_t)iov;
	sqe->len = nr;
	sqe->addr3 = (uint64_t)(uintptr_t)ubuf;
	sqe->file_index = flags;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = 0;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void test_copy(int mgr)
{
	enum { SZ = 128 << 10 };
	char *reg = malloc(SZ), *user = malloc(SZ);
	struct iovec r = { reg, SZ }, iov[6];
	int fd = create(mgr, 0, 4096, 0);
	unsigned nr, k;

	t_assert(fd >= 0 && reg && user);
	t_eq(io_uring_register_buffers(&ring, &r, 1), 0);
	for (nr = 1; nr <= 6; nr += (nr == 1 ? 4 : 1)) {	/* 1, 5, 6 */
		size_t total = 0;

		for (k = 0; k < nr; k++) {
			iov[k].iov_base = reg + k * 20000 + 7;
			iov[k].iov_len = 1000 + k * 333;
			total += iov[k].iov_len;
		}
		/* user -> registered */
		t_fill_pattern(user, total, 0, nr);
		memset(reg, 0, SZ);
		t_eq(copy_cmd(fd, iov, nr, user, 0), total);
		for (k = 0, total = 0; k < nr; k++) {
			t_assert(t_check_pattern(iov[k].iov_base, iov[k].iov_len,
						 total, nr) < 0);
			total += iov[k].iov_len;
		}
		/* registered -> user */
		memset(user, 0, SZ);
		t_eq(copy_cmd(fd, iov, nr, user, IORING_MOCK_COPY_FROM), total);
		t_assert(t_check_pattern(user, total, 0, nr) < 0);
	}
	/* Outside the registered buffer; bad flags; unknown command. */
	iov[0].iov_base = reg + SZ - 10;
	iov[0].iov_len = 100;
	t_eq(copy_cmd(fd, iov, 1, user, 0), -EFAULT);
	iov[0].iov_base = reg;
	t_eq(copy_cmd(fd, iov, 1, user, 2), -EINVAL);
	{
		struct io_uring_sqe *sqe = get0();

		io_uring_prep_uring_cmd(sqe, 99, fd);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 0, -524 /* ENOTSUPP */, 0);
	}
	t_eq(io_uring_unregister_buffers(&ring), 0);
	t_eq(t_backend_is_kernel() ? close(fd) : ursa_close(fd), 0);
	free(reg);
	free(user);
}

/*
 * Links and cancellation with a request the driver holds (a delayed read):
 * a link timeout that fires first cannot cancel it (the kernel's
 * io_try_cancel finds it nowhere: the timeout completes with -ENOENT) and
 * the read completes in full; ASYNC_CANCEL of it says -ENOENT too; a read
 * that fails (-EINVAL past the end) cancels its link.  Without NOWAIT the
 * read goes through a worker first, where a cancel may still catch it
 * queued (as in the kernel's io-wq): only the link rule is checked then.
 */
static void test_links(int mgr, unsigned flags)
{
	bool inline_queue = flags & IORING_MOCK_CREATE_F_SUPPORT_NOWAIT;
	static char buf[4096];
	int fd = create(mgr, flags, 1 << 20, 50 * 1000 * 1000);
	struct __kernel_timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	struct io_uring_sqe *sqe;

	t_assert(fd >= 0);
	if (!inline_queue)
		goto link_rule;
	sqe = get0();
	io_uring_prep_read(sqe, fd, buf, 4096, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = get0();
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->user_data = 2;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 2, -ENOENT, 0);
	t_expect_cqe(&ring, 1, 4096, 0);

	sqe = get0();
	io_uring_prep_read(sqe, fd, buf, 4096, 0);
	sqe->user_data = 3;
	t_submit(&ring, 1);
	sqe = get0();
	io_uring_prep_cancel64(sqe, 3, 0);
	sqe->user_data = 4;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, -ENOENT, 0);
	t_expect_cqe(&ring, 3, 4096, 0);
link_rule:
	sqe = get0();
	io_uring_prep_read(sqe, fd, buf, 4096, (1 << 20) - 10);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 5;
	t_prep_nop(&ring, 6);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 5, -EINVAL, 0);
	t_expect_cqe(&ring, 6, -ECANCELED, 0);
	t_eq(t_backend_is_kernel() ? close(fd) : ursa_close(fd), 0);
}

int main(void)
{
	int mgr;

	if (t_backend_is_kernel()) {
		mgr = open("/dev/io_uring_mock", O_RDWR);
		if (mgr < 0)
			t_skip("the kernel has no /dev/io_uring_mock");
	} else {
		mgr = ursa_mock_open();
		t_assert(mgr >= 0);
	}
	t_ring_init(&ring, 64, 0);
	test_mgr_errors(mgr);
	test_reads(mgr, 0, 0, false);
	test_reads(mgr, IORING_MOCK_CREATE_F_SUPPORT_NOWAIT, 0, false);
	test_reads(mgr, IORING_MOCK_CREATE_F_POLL, 0, true);
	test_reads(mgr, IORING_MOCK_CREATE_F_SUPPORT_NOWAIT |
		   IORING_MOCK_CREATE_F_POLL, 50 * 1000 * 1000, false);
	test_reads(mgr, 0, 20 * 1000 * 1000, true);
	test_copy(mgr);
	test_links(mgr, IORING_MOCK_CREATE_F_SUPPORT_NOWAIT);
	test_links(mgr, 0);
	io_uring_queue_exit(&ring);
	t_eq(t_backend_is_kernel() ? close(mgr) : ursa_close(mgr), 0);
	return T_EXIT_PASS;
}
