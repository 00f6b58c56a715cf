/* SPDX-License-Identifier: MIT */
/*
 * Description: fork() with rings.  The kernel shares a ring with a forked
 * child; ursa cannot share its engine between processes, so in an ursa
 * child the parent's ring fd answers -EBADFD (a ring it cannot serve)
 * rather than hang or corrupt the parent.  In both: the child's
 * own rings work, copies of application memory (readv iovecs) in parent
 * and child at the same time stay correct, and the parent's ring keeps
 * working after the child is gone.
 */
#include <sys/wait.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers/helpers.h"

static int readv_loop(struct io_uring *ring, int fd, int rounds)
{
	char a[100], b[100];

	for (int i = 0; i < rounds; i++) {
		struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct io_uring_cqe *cqe;
		int ret;

		io_uring_prep_readv(sqe, fd, iov, 2, (uint64_t)(i % 10) * 200);
		sqe->user_data = (uint64_t)i;
		if (io_uring_submit(ring) != 1)
			return 1;
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret || cqe->res != 200 || cqe->user_data != (uint64_t)i)
			return 2;
		io_uring_cqe_seen(ring, cqe);
		if (t_check_pattern(a, sizeof(a), (uint64_t)(i % 10) * 200, 1) >= 0 ||
		    t_check_pattern(b, sizeof(b), (uint64_t)(i % 10) * 200 + 100, 1) >= 0)
			return 3;
	}
	return 0;
}

int main(void)
{
	struct io_uring ring;
	pid_t pid;
	int fd, status;

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(4096, 1);

	pid = fork();
	t_assert(pid >= 0);
	if (pid == 0) {
		struct io_uring own;
		int ret = io_uring_enter((unsigned)ring.ring_fd, 0, 0, 0, NULL);

		if (t_backend_is_kernel()) {
			if (ret != 0)
				_exit(10);
		} else if (ret != -EBADFD) {
			_exit(11);
		}
		if (io_uring_queue_init(8, &own, 0))
			_exit(12);
		_exit(readv_loop(&own, fd, 2000) ? 13 : 0);
	}
	/* Parent copies at the same time as the child. */
	t_eq(readv_loop(&ring, fd, 2000), 0);
	t_eq(waitpid(pid, &status, 0), pid);
	t_assert(WIFEXITED(status));
	t_eq(WEXITSTATUS(status), 0);
	t_eq(readv_loop(&ring, fd, 10), 0);
	io_uring_queue_exit(&ring);
	return 0;
}
