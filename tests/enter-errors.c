/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring_enter and io_uring_register argument errors, with the
 * kernel's codes and order of checks.  enter: unknown flag bits -EINVAL
 * (checked before the fd); an fd that is not a ring -EOPNOTSUPP; a closed fd
 * -EBADF; EXT_ARG with a wrong argsz -EINVAL, with an unreadable argument or
 * timespec -EFAULT (only looked at when GETEVENTS asks for a wait); a
 * sigmask of the wrong size (plain and through EXT_ARG) -EINVAL when the
 * call has to sleep, not when the CQ already satisfies it; to_submit larger
 * than what is queued submits what is there, returns that count and then
 * does not wait (GETEVENTS and min_complete notwithstanding); min_complete
 * larger than the CQ is clamped to cq_entries.  register: an opcode >=
 * IORING_REGISTER_LAST is -EINVAL (before the fd is looked at), a non-ring
 * fd -EOPNOTSUPP, a closed fd -EBADF.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;
static int ring_fd;
static void *bad_ptr;		/* a PROT_NONE page: any access faults */

static int enter2(int fd, unsigned to_submit, unsigned min_complete,
		  unsigned flags, void *arg, size_t argsz)
{
	return io_uring_enter2((unsigned)fd, to_submit, min_complete, flags,
			       arg, argsz);
}

static void queue_nops(unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++)
		t_prep_nop(&ring, base + i);
}

/* Reap n NOP CQEs (already there), in order. */
static void reap_nops(unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++)
		t_expect_cqe(&ring, base + i, 0, 0);
}

/* Put the SQEs prepared so far where the ring reads them, without
 * entering (what io_uring_submit does before it enters). */
static void publish(void)
{
	struct io_uring_sq *sq = &ring.sq;

	sq->sqe_head = sq->sqe_tail;
	__atomic_store_n(sq->ktail, sq->sqe_tail, __ATOMIC_RELEASE);
}

static void test_flags_and_fds(void)
{
	int fds[2], closed_fd;

	/* Unknown flag bits. */
	t_eq(enter2(ring_fd, 0, 0, 1U << 8, NULL, 0), -EINVAL);
	t_eq(enter2(ring_fd, 0, 0, 1U << 31, NULL, 0), -EINVAL);
	t_eq(enter2(ring_fd, 0, 0, IORING_ENTER_GETEVENTS | (1U << 12),
		    NULL, 0), -EINVAL);
	/* ... checked before the fd. */
	t_eq(enter2(-1, 0, 0, 1U << 8, NULL, 0), -EINVAL);

	/* Not a ring. */
	t_pipe(fds);
	t_eq(enter2(fds[0], 0, 0, 0, NULL, 0), -EOPNOTSUPP);
	t_eq(enter2(fds[1], 1, 1, IORING_ENTER_GETEVENTS, NULL, 0),
	     -EOPNOTSUPP);

	/* Closed, and never valid. */
	closed_fd = fds[0];
	close(fds[0]);
	close(fds[1]);
	t_eq(enter2(closed_fd, 0, 0, 0, NULL, 0), -EBADF);
	t_eq(enter2(closed_fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0),
	     -EBADF);
	t_eq(enter2(-1, 0, 0, 0, NULL, 0), -EBADF);

	/* The ring still works. */
	queue_nops(1, 1);
	t_submit(&ring, 1);
	reap_nops(1, 1);
}

static void test_ext_arg(void)
{
	struct io_uring_getevents_arg ga;
	struct __kernel_timespec ts = { 0, 20 * 1000 * 1000 };
	struct io_uring_getevents_arg *bad_ga = bad_ptr;
	const unsigned ga_flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;

	memset(&ga, 0, sizeof(ga));
	ga.ts = (uint64_t)(uintptr_t)&ts;

	/* Sanity: the right size times out on an empty CQ. */
	t_eq(enter2(ring_fd, 0, 1, ga_flags, &ga, sizeof(ga)), -ETIME);

	/* Wrong argsz. */
	t_eq(enter2(ring_fd, 0, 1, ga_flags, &ga, sizeof(ga) - 1), -EINVAL);
	t_eq(enter2(ring_fd, 0, 1, ga_flags, &ga, sizeof(ga) + 8), -EINVAL);
	t_eq(enter2(ring_fd, 0, 1, ga_flags, &ga, 0), -EINVAL);
	/* ... even with CQEs there to satisfy the call. */
	queue_nops(1, 10);
	t_submit(&ring, 1);
	t_eq(enter2(ring_fd, 0, 1, ga_flags, &ga, sizeof(ga) - 1), -EINVAL);
	reap_nops(1, 10);

	/* Unreadable argument; a NULL one; an unreadable timespec. */
	t_eq(enter2(ring_fd, 0, 1, ga_flags, bad_ga, sizeof(ga)), -EFAULT);
	t_eq(enter2(ring_fd, 0, 1, ga_flags, NULL, sizeof(ga)), -EFAULT);
	ga.ts = (uint64_t)(uintptr_t)bad_ptr;
	t_eq(enter2(ring_fd, 0, 1, ga_flags, &ga, sizeof(ga)), -EFAULT);
	ga.ts = (uint64_t)(uintptr_t)&ts;

	/* Without GETEVENTS the argument is not looked at. */
	t_eq(enter2(ring_fd, 0, 1, IORING_ENTER_EXT_ARG, bad_ga, sizeof(ga)),
	     0);
	t_eq(enter2(ring_fd, 0, 1, IORING_ENTER_EXT_ARG, &ga, 3), 0);
	/* ... while the submission part of the call still happens. */
	queue_nops(2, 30);
	publish();
	t_eq(enter2(ring_fd, 2, 0, IORING_ENTER_EXT_ARG, bad_ga, sizeof(ga)),
	     2);
	reap_nops(2, 30);
	t_expect_no_cqe(&ring);
}

static void test_sigmask_size(void)
{
	struct io_uring_getevents_arg ga;
	struct __kernel_timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t set;

	sigemptyset(&set);

	/* Plain enter: the sigmask's size is the kernel's sigset (8). */
	t_eq(enter2(ring_fd, 0, 1, IORING_ENTER_GETEVENTS, &set, 4), -EINVAL);
	t_eq(enter2(ring_fd, 0, 1, IORING_ENTER_GETEVENTS, &set,
		    sizeof(set)), -EINVAL);
	/* The size is only checked when the call has to sleep. */
	queue_nops(1, 40);
	t_submit(&ring, 1);
	t_eq(enter2(ring_fd, 0, 1, IORING_ENTER_GETEVENTS, &set, 4), 0);
	t_eq(enter2(ring_fd, 0, 0, IORING_ENTER_GETEVENTS, &set, 4), 0);
	reap_nops(1, 40);
	t_eq(enter2(ring_fd, 0, 0, IORING_ENTER_GETEVENTS, &set, 4), 0);
	/* Without GETEVENTS it is not looked at at all. */
	t_eq(enter2(ring_fd, 0, 1, 0, &set, 4), 0);

	/* Through EXT_ARG: sigmask_sz. */
	memset(&ga, 0, sizeof(ga));
	ga.sigmask = (uint64_t)(uintptr_t)&set;
	ga.sigmask_sz = 4;
	ga.ts = (uint64_t)(uintptr_t)&ts;
	t_eq(enter2(ring_fd, 0, 1,
		    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &ga,
		    sizeof(ga)), -EINVAL);
	ga.sigmask_sz = 8;
	t_eq(enter2(ring_fd, 0, 1,
		    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &ga,
		    sizeof(ga)), -ETIME);
	ga.sigmask_sz = 4;
	queue_nops(1, 41);
	t_submit(&ring, 1);
	t_eq(enter2(ring_fd, 0, 1,
		    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &ga,
		    sizeof(ga)), 0);
	reap_nops(1, 41);
	t_expect_no_cqe(&ring);
}

/*
 * to_submit larger than what is queued: the queued SQEs are submitted and
 * their count returned; since that is not to_submit, the call returns
 * without waiting, even with GETEVENTS and a min_complete it cannot meet.
 * A 2 s timeout bounds the test should it wait anyway.
 */
static void test_short_submit(void)
{
	struct io_uring_getevents_arg ga;
	struct __kernel_timespec ts = { 2, 0 };
	const unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	uint64_t t0;

	memset(&ga, 0, sizeof(ga));
	ga.ts = (uint64_t)(uintptr_t)&ts;

	queue_nops(2, 50);
	publish();
	t0 = t_now_usec();
	t_eq(enter2(ring_fd, 10, 5, flags, &ga, sizeof(ga)), 2);
	if (t_now_usec() - t0 > 1000000)
		t_fail("enter waited although it submitted less than asked");
	reap_nops(2, 50);

	/* Nothing queued at all: 0, at once. */
	t0 = t_now_usec();
	t_eq(enter2(ring_fd, 4, 1, flags, &ga, sizeof(ga)), 0);
	if (t_now_usec() - t0 > 1000000)
		t_fail("enter waited with nothing to submit");

	/* Plain (no EXT_ARG) the same: min_complete 5 is never reached, so
	 * a wait would hang (the alarm in main ends that). */
	queue_nops(3, 60);
	publish();
	t_eq(enter2(ring_fd, 8, 5, IORING_ENTER_GETEVENTS, NULL, 0), 3);
	reap_nops(3, 60);

	/* Exactly what is queued: then it does wait for min_complete. */
	queue_nops(2, 70);
	publish();
	t_eq(enter2(ring_fd, 2, 2, flags, &ga, sizeof(ga)), 2);
	t_eq(io_uring_cq_ready(&ring), 2);
	reap_nops(2, 70);
	t_expect_no_cqe(&ring);
}

/* min_complete above cq_entries is clamped to cq_entries. */
static void test_min_complete_clamp(void)
{
	struct io_uring_getevents_arg ga;
	struct __kernel_timespec ts = { 0, 30 * 1000 * 1000 };
	const unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	unsigned cq = ring.cq.ring_entries, sq = ring.sq.ring_entries;
	uint64_t t0, ud = 100;

	memset(&ga, 0, sizeof(ga));
	ga.ts = (uint64_t)(uintptr_t)&ts;
	t_assert(cq % sq == 0);

	/* A full CQ satisfies any min_complete: no wait. */
	for (unsigned done = 0; done < cq; done += sq) {
		queue_nops(sq, ud + done);
		t_submit(&ring, (int)sq);
	}
	t_eq(io_uring_cq_ready(&ring), cq);
	ts.tv_nsec = 0;
	ts.tv_sec = 2;
	t0 = t_now_usec();
	t_eq(enter2(ring_fd, 0, 100000, flags, &ga, sizeof(ga)), 0);
	t_eq(enter2(ring_fd, 0, ~0u, IORING_ENTER_GETEVENTS, NULL, 0), 0);
	if (t_now_usec() - t0 > 1000000)
		t_fail("waited with a full CQ");
	ts.tv_sec = 0;
	ts.tv_nsec = 30 * 1000 * 1000;
	reap_nops(cq, ud);

	/* One short of full: it waits (the timeout ends it), and since the
	 * CQ is not empty the wait still reports success. */
	ud += cq;
	for (unsigned done = 0; done < cq; done += sq) {
		unsigned n = done + sq < cq ? sq : sq - 1;

		queue_nops(n, ud + done);
		t_submit(&ring, (int)n);
	}
	t_eq(io_uring_cq_ready(&ring), cq - 1);
	t0 = t_now_usec();
	t_eq(enter2(ring_fd, 0, 100000, flags, &ga, sizeof(ga)), 0);
	if (t_now_usec() - t0 < 20000)
		t_fail("did not wait for a CQ one short of full");
	reap_nops(cq - 1, ud);
	t_expect_no_cqe(&ring);
}

static void test_register(void)
{
	struct io_uring_probe *probe;
	size_t probe_sz = sizeof(*probe) + 256 * sizeof(struct io_uring_probe_op);
	int fds[2], closed_fd;

	probe = calloc(1, probe_sz);
	t_assert(probe);

	/* Unknown opcodes, on the ring and anywhere else. */
	t_eq(io_uring_register((unsigned)ring_fd, IORING_REGISTER_LAST, NULL,
			       0), -EINVAL);
	t_eq(io_uring_register((unsigned)ring_fd, IORING_REGISTER_LAST + 1,
			       NULL, 0), -EINVAL);
	t_eq(io_uring_register((unsigned)ring_fd, 255, NULL, 0), -EINVAL);
	t_eq(io_uring_register((unsigned)ring_fd, 0x7fffffff, NULL, 0),
	     -EINVAL);
	/* ... the opcode is checked before the fd. */
	t_eq(io_uring_register((unsigned)-1, IORING_REGISTER_LAST, NULL, 0),
	     -EINVAL);
	t_eq(io_uring_register((unsigned)-5, IORING_REGISTER_LAST, NULL, 0),
	     -EINVAL);

	/* A valid opcode works on the ring... */
	t_eq(io_uring_register((unsigned)ring_fd, IORING_REGISTER_PROBE, probe,
			       256), 0);

	/* ... not on other files. */
	t_pipe(fds);
	t_eq(io_uring_register((unsigned)fds[0], IORING_REGISTER_PROBE, probe,
			       256), -EOPNOTSUPP);
	t_eq(io_uring_register((unsigned)fds[1], IORING_UNREGISTER_BUFFERS,
			       NULL, 0), -EOPNOTSUPP);
	t_eq(io_uring_register((unsigned)fds[0], IORING_REGISTER_LAST, NULL,
			       0), -EINVAL);
	closed_fd = fds[0];
	close(fds[0]);
	close(fds[1]);
	t_eq(io_uring_register((unsigned)closed_fd, IORING_REGISTER_PROBE,
			       probe, 256), -EBADF);
	t_eq(io_uring_register((unsigned)-5, IORING_REGISTER_PROBE, probe,
			       256), -EBADF);
	free(probe);
}

int main(void)
{
	/* A wait that should not happen ends the test instead of hanging. */
	alarm(30);

	bad_ptr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	t_assert(bad_ptr != MAP_FAILED);

	t_ring_init(&ring, 4, 0);
	t_eq(ring.cq.ring_entries, 8);
	ring_fd = ring.ring_fd;

	test_flags_and_fds();
	test_ext_arg();
	test_sigmask_size();
	test_short_submit();
	test_min_complete_clamp();
	test_register();

	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
