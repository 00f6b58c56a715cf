/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_EPOLL_CTL.  ADD, MOD and DEL take effect (checked
 * with epoll_wait(2)); the event is copied at submit (a linked EPOLL_CTL
 * that runs later uses the event as it was); the errors of epoll_ctl(2)
 * (-EEXIST, -ENOENT, -EBADF, -EINVAL for a non-epoll fd, the epoll fd
 * itself, an unknown op); a bad event pointer gives -EFAULT except for
 * DEL, which reads none; reserved fields (buf_index, splice_fd_in, ioprio)
 * give -EINVAL while rw_flags is ignored.
 */
#include <sys/epoll.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static struct io_uring_sqe *ctl(uint64_t ud, int epfd, int op, int fd,
				struct epoll_event *ev)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_epoll_ctl(sqe, epfd, fd, op, ev);
	sqe->user_data = ud;
	return sqe;
}

static void one(uint64_t ud, int res)
{
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, res, 0);
}

int main(void)
{
	struct epoll_event ev, out[4];
	struct io_uring_sqe *sqe;
	int ep, fds[2], rd[2];

	t_ring_init(&ring, 8, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	t_assert(ep >= 0);
	t_pipe(fds);

	/* ADD: the pipe shows up with our data once readable. */
	ev.events = EPOLLIN;
	ev.data.u64 = 0x1234567890ull;
	ctl(1, ep, EPOLL_CTL_ADD, fds[0], &ev);
	one(1, 0);
	t_eq(epoll_wait(ep, out, 4, 0), 0);
	t_eq(write(fds[1], "x", 1), 1);
	t_eq(epoll_wait(ep, out, 4, 0), 1);
	t_eq(out[0].events, EPOLLIN);
	t_eq(out[0].data.u64, 0x1234567890ull);

	ctl(2, ep, EPOLL_CTL_ADD, fds[0], &ev);
	one(2, -EEXIST);

	/* MOD: new data, and interest in POLLOUT on the read end: nothing. */
	ev.events = EPOLLOUT;
	ev.data.u64 = 77;
	ctl(3, ep, EPOLL_CTL_MOD, fds[0], &ev);
	one(3, 0);
	t_eq(epoll_wait(ep, out, 4, 0), 0);
	ev.events = EPOLLIN;
	ctl(4, ep, EPOLL_CTL_MOD, fds[0], &ev);
	one(4, 0);
	t_eq(epoll_wait(ep, out, 4, 0), 1);
	t_eq(out[0].data.u64, 77);

	/* DEL: gone; no event is read, even through a bad pointer. */
	ctl(5, ep, EPOLL_CTL_DEL, fds[0], (struct epoll_event *)8);
	one(5, 0);
	t_eq(epoll_wait(ep, out, 4, 0), 0);
	ctl(6, ep, EPOLL_CTL_DEL, fds[0], NULL);
	one(6, -ENOENT);
	ctl(7, ep, EPOLL_CTL_MOD, fds[0], &ev);
	one(7, -ENOENT);

	/* Errors. */
	ctl(10, ep, EPOLL_CTL_ADD, fds[1], (struct epoll_event *)8);
	one(10, -EFAULT);
	ctl(11, ep, 99, fds[1], (struct epoll_event *)8);	/* copied first */
	one(11, -EFAULT);
	ctl(12, ep, 99, fds[1], &ev);
	one(12, -EINVAL);
	ctl(13, ep, EPOLL_CTL_ADD, 1000, &ev);
	one(13, -EBADF);
	ctl(14, 1000, EPOLL_CTL_ADD, fds[1], &ev);
	one(14, -EBADF);
	ctl(15, fds[0], EPOLL_CTL_ADD, fds[1], &ev);		/* not epoll */
	one(15, -EINVAL);
	ctl(16, ep, EPOLL_CTL_ADD, ep, &ev);			/* itself */
	one(16, -EINVAL);
	sqe = ctl(17, ep, EPOLL_CTL_ADD, fds[1], &ev);
	sqe->buf_index = 1;
	one(17, -EINVAL);
	sqe = ctl(18, ep, EPOLL_CTL_ADD, fds[1], &ev);
	sqe->splice_fd_in = 1;
	one(18, -EINVAL);
	sqe = ctl(19, ep, EPOLL_CTL_ADD, fds[1], &ev);
	sqe->ioprio = 1;
	one(19, -EINVAL);
	/* rw_flags is not looked at. */
	ev.events = EPOLLOUT;
	ev.data.u64 = 5;
	sqe = ctl(20, ep, EPOLL_CTL_ADD, fds[1], &ev);
	sqe->rw_flags = 1;
	one(20, 0);
	t_eq(epoll_wait(ep, out, 4, 0), 1);
	t_eq(out[0].data.u64, 5);

	/*
	 * The event is read at submit: an EPOLL_CTL linked behind a read
	 * that waits uses the event as submitted, not as changed later.
	 */
	t_pipe(rd);
	{
		char c;

		sqe = t_get_sqe(&ring);
		io_uring_prep_read(sqe, rd[0], &c, 1, 0);
		sqe->flags |= IOSQE_IO_LINK;
		sqe->user_data = 30;
		ev.events = EPOLLIN;
		ev.data.u64 = 111;
		ctl(31, ep, EPOLL_CTL_ADD, fds[0], &ev);
		t_submit(&ring, 2);
		ev.data.u64 = 222;
		usleep(20000);
		t_expect_no_cqe(&ring);
		t_eq(write(rd[1], "y", 1), 1);
		t_expect_cqe(&ring, 30, 1, 0);
		t_expect_cqe(&ring, 31, 0, 0);
	}
	{
		int i, n = epoll_wait(ep, out, 4, 0), seen = 0;

		for (i = 0; i < n; i++)
			if (out[i].data.u64 == 111)
				seen = 1;
		t_assert(seen);
	}

	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
