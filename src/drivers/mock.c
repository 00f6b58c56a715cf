/* SPDX-License-Identifier: MIT */
/*
 * The mock device (include/ursa/mock.h), built only on the public driver
 * API: a manager device whose commands probe features and create mock
 * files; mock files that read zeroes and swallow writes within their size,
 * optionally after a delay (completed from a timer thread), optionally
 * pollable and nowait-capable; and a command copying between a plain buffer
 * and a vectored range of a registered buffer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ursa/driver.h>
#include <ursa/mock.h>
#include "drivers.h"

#define MOCK_MAX_SIZE	(1ull << 30)		/* SZ_1G */
#define NSEC_PER_SEC	1000000000ull

struct mock_file {
	uint64_t	size;
	uint64_t	delay_ns;
	_Atomic int64_t	pos;		/* for reads/writes at offset -1 */
};

/* ------------------------------------------------------------ the file */

static ssize_t mock_rw(struct ursa_kiocb *iocb, const struct iovec *iov,
		       int nr, bool write)
{
	struct mock_file *mf = ursa_device_private(iocb->file);
	uint64_t len = 0;
	int64_t pos = iocb->pos;

	for (int i = 0; i < nr; i++)
		len += iov[i].iov_len;
	if (pos == -1)
		pos = atomic_fetch_add(&mf->pos, (int64_t)len);
	if (pos < 0 || (uint64_t)pos + len > mf->size)
		return -EINVAL;
	if (!write) {
		for (int i = 0; i < nr; i++)
			if (ursa_driver_zero_user(iov[i].iov_base,
						  iov[i].iov_len))
				return -EFAULT;
	}
	if (mf->delay_ns) {
		ursa_driver_timer_add(mf->delay_ns, iocb, (ssize_t)len);
		return -URSA_EIOCBQUEUED;
	}
	return (ssize_t)len;
}

static ssize_t mock_read(struct ursa_kiocb *iocb, const struct iovec *iov, int nr)
{
	return mock_rw(iocb, iov, nr, false);
}

static ssize_t mock_write(struct ursa_kiocb *iocb, const struct iovec *iov, int nr)
{
	return mock_rw(iocb, iov, nr, true);
}

/* IORING_MOCK_CMD_COPY_REGBUF */
static int mock_copy_regbuf(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	const struct io_uring_sqe *sqe = cmd->sqe;
	uint64_t ubuf = sqe->addr3;
	unsigned flags = sqe->file_index, nr = sqe->len;
	bool from = flags & IORING_MOCK_COPY_FROM;
	struct iovec *iov;
	char bounce[4096];
	size_t done = 0;
	int ret;

	if (sqe->ioprio || sqe->__pad1)
		return -EINVAL;
	if (flags & ~IORING_MOCK_COPY_FROM)
		return -EINVAL;
	if (nr > 1024)
		return -EINVAL;
	iov = calloc(nr ? nr : 1, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	ret = ursa_uring_cmd_import_fixed_vec(cmd,
			(const struct iovec *)(uintptr_t)sqe->addr, nr,
			from ? 1 : 0, iov, issue_flags);
	if (ret)
		goto out;
	for (unsigned i = 0; i < nr; i++) {
		char *rb = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			size_t n = left < sizeof(bounce) ? left : sizeof(bounce);
			char *u = (char *)(uintptr_t)ubuf + done;

			if (from ? ursa_copy_from_user(bounce, rb, n) ||
				   ursa_copy_to_user(u, bounce, n)
				 : ursa_copy_from_user(bounce, u, n) ||
				   ursa_copy_to_user(rb, bounce, n))
				goto stop;
			rb += n;
			left -= n;
			done += n;
		}
	}
stop:
	ret = done ? (int)done : -EFAULT;
out:
	free(iov);
	return ret;
}

static int mock_file_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	switch (cmd->cmd_op) {
	case IORING_MOCK_CMD_COPY_REGBUF:
		return mock_copy_regbuf(cmd, issue_flags);
	}
	return -URSA_ENOTSUPP;	/* the kernel's mock answers ENOTSUPP, sic */
}

static void mock_file_release(struct ursa_device *dev)
{
	free(ursa_device_private(dev));
}

static const struct ursa_file_operations mock_file_fops = {
	.uring_cmd	= mock_file_cmd,
	.read_iter	= mock_read,
	.write_iter	= mock_write,
	.release	= mock_file_release,
};

/* --------------------------------------------------------- the manager */

static bool sqe_extra_fields_zero(const struct io_uring_sqe *sqe)
{
	return !sqe->ioprio && !sqe->__pad1 && !sqe->addr3 && !sqe->file_index;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

static int mgr_probe(struct ursa_uring_cmd *cmd)
{
	const struct io_uring_sqe *sqe = cmd->sqe;
	struct io_uring_mock_probe mp;
	void *uarg = (void *)(uintptr_t)sqe->addr;

	if (!sqe_extra_fields_zero(sqe))
		return -EINVAL;
	if (sqe->len != sizeof(mp))
		return -EINVAL;
	if (ursa_copy_from_user(&mp, uarg, sizeof(mp)))
		return -EFAULT;
	if (!all_zero(&mp, sizeof(mp)))
		return -EINVAL;
	mp.features = IORING_MOCK_FEAT_END;
	if (ursa_copy_to_user(uarg, &mp, sizeof(mp)))
		return -EFAULT;
	return 0;
}

static int mgr_create(struct ursa_uring_cmd *cmd)
{
	const struct io_uring_sqe *sqe = cmd->sqe;
	struct io_uring_mock_create mc;
	void *uarg = (void *)(uintptr_t)sqe->addr;
	struct ursa_device *dev;
	struct mock_file *mf;
	unsigned devflags = URSA_DEV_READABLE;
	int fd;

	if (!sqe_extra_fields_zero(sqe))
		return -EINVAL;
	if (sqe->len != sizeof(mc))
		return -EINVAL;
	if (ursa_copy_from_user(&mc, uarg, sizeof(mc)))
		return -EFAULT;
	if (!all_zero(mc.__resv, sizeof(mc.__resv)))
		return -EINVAL;
	if (mc.flags & ~(IORING_MOCK_CREATE_F_SUPPORT_NOWAIT |
			 IORING_MOCK_CREATE_F_POLL))
		return -EINVAL;
	if (mc.file_size > MOCK_MAX_SIZE || mc.rw_delay_ns > NSEC_PER_SEC)
		return -EINVAL;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	mf->size = mc.file_size;
	mf->delay_ns = mc.rw_delay_ns;
	if (mc.flags & IORING_MOCK_CREATE_F_SUPPORT_NOWAIT)
		devflags |= URSA_DEV_NOWAIT;
	/*
	 * Pollable or not, the mock reads as always ready: with F_POLL its
	 * ->poll says so, without it the kernel's poll of a file with no
	 * ->poll gives the default mask, which is the same.
	 */
	fd = ursa_device_create(&mock_file_fops, mf, devflags, &dev);
	if (fd < 0) {
		free(mf);
		return fd;
	}
	mc.out_fd = (uint32_t)fd;
	if (ursa_copy_to_user(uarg, &mc, sizeof(mc))) {
		ursa_device_close(dev);
		return -EFAULT;
	}
	return 0;
}

static int mgr_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	(void)issue_flags;
	switch (cmd->cmd_op) {
	case IORING_MOCK_MGR_CMD_PROBE:
		return mgr_probe(cmd);
	case IORING_MOCK_MGR_CMD_CREATE:
		return mgr_create(cmd);
	}
	return -EOPNOTSUPP;
}

static const struct ursa_file_operations mgr_fops = {
	.uring_cmd	= mgr_cmd,
};

static int mock_driver_open(struct ursa_driver *drv, int flags)
{
	(void)drv;
	(void)flags;
	return ursa_device_create(&mgr_fops, NULL, URSA_DEV_READABLE, NULL);
}

const struct ursa_driver_info ursa_mock_driver = {
	.name	= "io_uring_mock",
	.open	= mock_driver_open,
};

int ursa_mock_open(void)
{
	return ursa_driver_open("io_uring_mock", 0);
}
