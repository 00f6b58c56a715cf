/* SPDX-License-Identifier: MIT */
/*
 * The driver-side API (include/ursa/driver.h) with a driver of the test's
 * own: the uring_cmd prep rules; results now, later from another thread,
 * and from inside the issue; -EAGAIN re-issued on a worker; done32 on CQE32
 * rings; the SQE copy outliving the slot; 128-byte commands; cancelation at
 * ring teardown; task work (run by the waiting task on DEFER_TASKRUN
 * rings); registered buffers; fixed files; links; poll and cancel by fd;
 * extra 32-byte multishot CQEs; driver registration.  ursa only: the
 * kernel has no such driver, so the kernel backend skips.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ursa/driver.h>
#include <ursa/ursa.h>
#include "helpers/helpers.h"

enum {
	OP_NOW = 1,		/* res = sqe->len */
	OP_DONE_INSIDE,		/* done(len) inside the issue, then queued */
	OP_LATER,		/* a thread completes with len after 20 ms */
	OP_AGAIN,		/* -EAGAIN unless on a worker: then 42 */
	OP_DONE32,		/* done32(len, res2 = addr) */
	OP_SUM,			/* a thread sums the payload bytes later */
	OP_CANCELABLE,		/* queued, cancelable: -ECANCELED on teardown */
	OP_TASK,		/* a thread asks for task work; it completes */
	OP_FIXED,		/* import [addr, addr+len) of the fixed buffer */
	OP_CQE32_MORE,		/* one extra 32-byte CQE, then res 0 */
};

static _Atomic int cancels, iowq_seen;
static _Atomic pid_t task_tid;

struct later {
	struct ursa_uring_cmd *cmd;
	int res;
	unsigned payload;	/* bytes of sqe->cmd to sum (OP_SUM) */
	bool task;
};

static void task_cb(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	task_tid = (pid_t)syscall(SYS_gettid);
	ursa_uring_cmd_done(cmd, 7, issue_flags);
}

static void *later_thread(void *arg)
{
	struct later *l = arg;

	usleep(20000);
	if (l->task) {
		ursa_uring_cmd_complete_in_task(l->cmd, task_cb);
	} else if (l->payload) {
		const unsigned char *p = ursa_uring_sqe_cmd(l->cmd->sqe);
		int sum = 0;

		for (unsigned i = 0; i < l->payload; i++)
			sum += p[i];
		ursa_uring_cmd_done(l->cmd, sum, 0);
	} else {
		ursa_uring_cmd_done(l->cmd, l->res, 0);
	}
	free(l);
	return NULL;
}

static void spawn(struct ursa_uring_cmd *cmd, int res, unsigned payload,
		  bool task)
{
	struct later *l = calloc(1, sizeof(*l));
	pthread_t th;

	l->cmd = cmd;
	l->res = res;
	l->payload = payload;
	l->task = task;
	t_eq(pthread_create(&th, NULL, later_thread, l), 0);
	pthread_detach(th);
}

static int test_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	const struct io_uring_sqe *sqe = cmd->sqe;
	struct iovec iov;
	int ret;

	if (issue_flags & URSA_URING_F_CANCEL) {
		cancels++;
		ursa_uring_cmd_done(cmd, -ECANCELED, issue_flags);
		return 0;
	}
	switch (cmd->cmd_op) {
	case OP_NOW:
		return (int)sqe->len;
	case OP_DONE_INSIDE:
		ursa_uring_cmd_done(cmd, (int)sqe->len, issue_flags);
		return -URSA_EIOCBQUEUED;
	case OP_LATER:
		spawn(cmd, (int)sqe->len, 0, false);
		return -URSA_EIOCBQUEUED;
	case OP_AGAIN:
		if (!(issue_flags & URSA_URING_F_IOWQ))
			return -EAGAIN;
		iowq_seen = 1;
		return (cmd->flags & URSA_URING_CMD_REISSUE) ? 42 : -EINVAL;
	case OP_DONE32:
		ursa_uring_cmd_done32(cmd, (int)sqe->len, sqe->addr, issue_flags);
		return -URSA_EIOCBQUEUED;
	case OP_SUM:
		spawn(cmd, 0, (issue_flags & URSA_URING_F_SQE128) ? 80 : 16, false);
		return -URSA_EIOCBQUEUED;
	case OP_CANCELABLE:
		ursa_uring_cmd_mark_cancelable(cmd, issue_flags);
		return -URSA_EIOCBQUEUED;
	case OP_TASK:
		spawn(cmd, 0, 0, true);
		return -URSA_EIOCBQUEUED;
	case OP_FIXED:
		ret = ursa_uring_cmd_import_fixed(sqe->addr, sqe->len, 0, &iov,
						  cmd, issue_flags);
		return ret ? ret : (int)iov.iov_len;
	case OP_CQE32_MORE: {
		struct io_uring_cqe cqe[2];

		memset(cqe, 0, sizeof(cqe));
		cqe[0].res = 5;
		cqe[1].user_data = 0x1122334455667788ull;	/* big_cqe[0] */
		if (!ursa_uring_cmd_post_mshot_cqe32(cmd, issue_flags, cqe))
			return -EINVAL;
		return 0;
	}
	}
	return -EOPNOTSUPP;
}

static const struct ursa_file_operations test_fops = {
	.uring_cmd = test_cmd,
};

static struct io_uring_sqe *cmd_sqe(struct io_uring *ring, int fd,
				    unsigned op, unsigned len, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(ring);

	io_uring_prep_uring_cmd(sqe, op, fd);
	sqe->len = len;
	sqe->user_data = ud;
	return sqe;
}

/* Each is refused at prep (-EINVAL), which also ends the submission. */
static void test_prep_rules(struct io_uring *ring, int fd)
{
	for (int i = 0; i < 5; i++) {
		struct io_uring_sqe *sqe = cmd_sqe(ring, fd, OP_NOW, 1, 1);

		switch (i) {
		case 0:
			sqe->uring_cmd_flags = 1u << 5;
			break;
		case 1:
			sqe->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
			break;
		case 2:
			sqe->flags |= IOSQE_BUFFER_SELECT;
			break;
		case 3:
			sqe->uring_cmd_flags = IORING_URING_CMD_MULTISHOT |
					       IORING_URING_CMD_FIXED;
			sqe->flags |= IOSQE_BUFFER_SELECT;
			break;
		case 4:
			sqe->__pad1 = 1;
			break;
		}
		t_submit(ring, 1);
		t_expect_cqe(ring, 1, -EINVAL, 0);
	}
}

static void test_results(struct io_uring *ring, int fd)
{
	int p[2];

	cmd_sqe(ring, fd, OP_NOW, 11, 1);
	cmd_sqe(ring, fd, OP_DONE_INSIDE, 12, 2);
	cmd_sqe(ring, fd, OP_LATER, 13, 3);
	cmd_sqe(ring, fd, OP_AGAIN, 0, 4);
	t_submit(ring, 4);
	{
		struct t_cqe_want w[] = { { 1, 11, 0, 0 }, { 2, 12, 0, 0 },
					  { 3, 13, 0, 0 }, { 4, 42, 0, 0 } };

		t_reap_cqes(ring, w, 4);
	}
	t_assert(iowq_seen);
	/* A file without ->uring_cmd, and not a socket. */
	t_pipe(p);
	cmd_sqe(ring, p[0], OP_NOW, 1, 9);
	t_submit(ring, 1);
	t_expect_cqe(ring, 9, -EOPNOTSUPP, 0);
	close(p[0]);
	close(p[1]);
}

static void test_sqe_copy(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *sqe = cmd_sqe(ring, fd, OP_SUM, 0, 1);
	unsigned char *pl = (unsigned char *)sqe->cmd;

	for (int i = 0; i < 16; i++)
		pl[i] = (unsigned char)(i + 1);		/* sum 136 */
	t_submit(ring, 1);
	/* The slot is the application's again: scribble over it. */
	memset(sqe, 0xff, sizeof(*sqe));
	t_expect_cqe(ring, 1, 136, 0);
}

static void test_sqe128(int fd)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	unsigned char *pl;

	t_ring_init(&ring, 8, IORING_SETUP_SQE128);
	sqe = cmd_sqe(&ring, fd, OP_SUM, 0, 1);
	pl = (unsigned char *)sqe->cmd;
	for (int i = 0; i < 80; i++)
		pl[i] = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 80, 0);
	io_uring_queue_exit(&ring);
}

static void test_cqe32(int fd)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;

	t_ring_init(&ring, 8, IORING_SETUP_CQE32);
	io_uring_sqe_set_data64(cmd_sqe(&ring, fd, OP_DONE32, 3, 1), 1);
	io_uring_sqe_set_data64(cmd_sqe(&ring, fd, OP_CQE32_MORE, 0, 2), 2);
	ring.sq.sqes[0].addr = 0xabcdef;
	t_submit(&ring, 2);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 1);
	t_eq(cqe->res, 3);
	t_eq(cqe->big_cqe[0], 0xabcdef);
	io_uring_cqe_seen(&ring, cqe);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 2);
	t_eq(cqe->res, 5);
	t_eq(cqe->flags, IORING_CQE_F_MORE);
	t_eq(cqe->big_cqe[0], 0x1122334455667788ull);
	io_uring_cqe_seen(&ring, cqe);
	t_expect_cqe(&ring, 2, 0, 0);
	io_uring_queue_exit(&ring);
}

static void test_task_work(int fd, unsigned flags)
{
	struct io_uring ring;

	t_ring_init(&ring, 8, flags);
	task_tid = 0;
	cmd_sqe(&ring, fd, OP_TASK, 0, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 7, 0);
	if (flags & IORING_SETUP_DEFER_TASKRUN)
		t_eq(task_tid, syscall(SYS_gettid));
	io_uring_queue_exit(&ring);
}

static void test_teardown(int fd)
{
	struct io_uring ring;

	t_ring_init(&ring, 8, 0);
	cancels = 0;
	cmd_sqe(&ring, fd, OP_CANCELABLE, 0, 1);
	cmd_sqe(&ring, fd, OP_CANCELABLE, 0, 2);
	cmd_sqe(&ring, fd, OP_LATER, 1, 3);	/* not cancelable: waited for */
	t_submit(&ring, 3);
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	t_eq(cancels, 2);
}

static void test_fixed(struct io_uring *ring, int fd)
{
	static char buf[8192];
	struct iovec iov = { buf, sizeof(buf) };
	struct io_uring_sqe *sqe;

	t_eq(io_uring_register_buffers(ring, &iov, 1), 0);
	sqe = cmd_sqe(ring, fd, OP_FIXED, 4096, 1);
	sqe->addr = (uint64_t)(uintptr_t)(buf + 100);
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe = cmd_sqe(ring, fd, OP_FIXED, 8192, 2);
	sqe->addr = (uint64_t)(uintptr_t)(buf + 100);
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe = cmd_sqe(ring, fd, OP_FIXED, 10, 3);	/* no FIXED flag */
	sqe->addr = (uint64_t)(uintptr_t)buf;
	t_submit(ring, 3);
	t_expect_cqe(ring, 1, 4096, 0);
	t_expect_cqe(ring, 2, -EFAULT, 0);
	t_expect_cqe(ring, 3, -EINVAL, 0);
	t_eq(io_uring_unregister_buffers(ring), 0);

	/* The device as a fixed file. */
	t_eq(io_uring_register_files(ring, &fd, 1), 0);
	sqe = cmd_sqe(ring, 0, OP_NOW, 5, 4);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_submit(ring, 1);
	t_expect_cqe(ring, 4, 5, 0);
	t_eq(io_uring_unregister_files(ring), 0);
}

static void test_links(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *sqe = cmd_sqe(ring, fd, OP_LATER, (unsigned)-EIO, 1);

	sqe->flags |= IOSQE_IO_LINK;
	t_prep_nop(ring, 2);
	t_submit(ring, 2);
	t_expect_cqe(ring, 1, -EIO, 0);
	t_expect_cqe(ring, 2, -ECANCELED, 0);
}

static void test_poll(struct io_uring *ring, int fd, struct ursa_device *dev)
{
	struct io_uring_sqe *sqe;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	t_eq(poll(&pfd, 1, 0), 0);
	sqe = t_get_sqe(ring);
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	sqe->user_data = 1;
	t_submit(ring, 1);
	t_expect_no_cqe(ring);
	ursa_device_set_readable(dev, true);
	{
		struct io_uring_cqe *cqe = t_wait_cqe(ring);

		t_eq(cqe->user_data, 1);
		t_assert(cqe->res & POLLIN);
		io_uring_cqe_seen(ring, cqe);
	}
	t_eq(poll(&pfd, 1, 0), 1);
	ursa_device_set_readable(dev, false);
	t_eq(poll(&pfd, 1, 0), 0);
	/* Cancelled by the device's fd. */
	sqe = t_get_sqe(ring);
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	sqe->user_data = 2;
	sqe = t_get_sqe(ring);
	io_uring_prep_cancel_fd(sqe, fd, 0);
	sqe->user_data = 3;
	t_submit(ring, 2);
	{
		struct t_cqe_want w[] = { { 2, -ECANCELED, 0, 0 }, { 3, 0, 0, 0 } };

		t_reap_cqes(ring, w, 2);
	}
}

static int never_open(struct ursa_driver *drv, int flags)
{
	(void)drv;
	return flags ? -EPERM : -ENXIO;
}

static void test_registry(void)
{
	struct ursa_driver_info info = { .name = "test-drv", .open = never_open };
	struct ursa_driver *drv = ursa_driver_register(&info);

	t_assert(drv);
	t_assert(!ursa_driver_register(&info));
	t_eq(ursa_driver_open("test-drv", 0), -ENXIO);
	t_eq(ursa_driver_open("no-such-driver", 0), -ENODEV);
	t_eq(ursa_driver_unregister(drv), 0);
	t_eq(ursa_driver_open("test-drv", 0), -ENODEV);
	t_eq(ursa_driver_open("io_uring_mock", 0) >= 0, 1);
}

int main(void)
{
	struct ursa_device *dev;
	struct io_uring ring;
	int fd;

	if (t_backend_is_kernel())
		t_skip("ursa's driver API: no kernel counterpart to compare");
	fd = ursa_device_create(&test_fops, NULL, URSA_DEV_NOWAIT, &dev);
	t_assert(fd >= 0);
	t_assert(ursa_device_get(fd) == dev);
	ursa_device_put(dev);
	t_ring_init(&ring, 32, 0);
	test_prep_rules(&ring, fd);
	test_results(&ring, fd);
	test_sqe_copy(&ring, fd);
	test_fixed(&ring, fd);
	test_links(&ring, fd);
	test_poll(&ring, fd, dev);
	io_uring_queue_exit(&ring);
	test_sqe128(fd);
	test_cqe32(fd);
	test_task_work(fd, 0);
	test_task_work(fd, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	test_teardown(fd);
	test_registry();
	t_eq(ursa_close(fd), 0);
	return T_EXIT_PASS;
}
