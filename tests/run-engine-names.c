/* SPDX-License-Identifier: MIT */
/*
 * Description: the engine entry points ursa-run uses for ring fds, called
 * directly (so they run under the sanitizers too, which ursa-run cannot):
 * ursa_ring_dup() gives a ring more names (enter through each, the ring
 * outlives its first fd, ends with its last; a name closed behind the
 * engine's back is dropped, and EINVAL/EBADF for fds that are not dups or
 * not rings); ursa_ring_poll_fd()/ursa_ring_poll() report CQ readiness
 * like a kernel ring fd's poll and wake a poller on each CQE.  Ursa
 * backend only (with URSA_BACKEND=kernel it skips).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>
#include <ursa/ursa.h>

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("FAIL line %d: ", __LINE__);		\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			exit(1);					\
		}							\
	} while (0)

/* One NOP through fd (a name of ring's ring): 0 or -errno. */
static int nop_via(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_prep_nop(sqe);
	sqe->user_data = 42;
	io_uring_smp_store_release(ring->sq.ktail, ring->sq.sqe_tail);
	ret = ursa_io_uring_enter((unsigned)fd, 1, 1, IORING_ENTER_GETEVENTS,
				  NULL, 0);
	if (ret < 0)
		return -errno;
	ring->sq.sqe_head = ring->sq.sqe_tail;
	if (io_uring_peek_cqe(ring, &cqe) || cqe->user_data != 42)
		return -EPROTO;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* An empty enter through fd: its result or -errno. */
static int enter0(int fd)
{
	int ret = ursa_io_uring_enter((unsigned)fd, 0, 0, 0, NULL, 0);

	return ret < 0 ? -errno : ret;
}

int main(void)
{
	struct io_uring ring;
	int fd, d1, d2, efd, m;

	if (ursa_get_backend() != URSA_BACKEND_URSA) {
		printf("skip: engine entry points for ursa rings only\n");
		return 77;
	}
	CHECK(io_uring_queue_init(8, &ring, 0) == 0, "queue_init");
	fd = ring.ring_fd;

	/* more names */
	d1 = dup(fd);
	d2 = dup(fd);
	CHECK(d1 >= 0 && d2 >= 0, "dup");
	CHECK(ursa_ring_dup(fd, d1) == 0, "ursa_ring_dup: %s", strerror(errno));
	CHECK(ursa_ring_dup(fd, d2) == 0, "ursa_ring_dup: %s", strerror(errno));
	CHECK(ursa_is_ring_fd(d1) && ursa_is_ring_fd(d2), "names not rings");
	CHECK(ursa_ring_dup(0, d1) == -1 && errno == EBADF, "dup of a non-ring");
	{
		int other = dup(0);

		CHECK(ursa_ring_dup(fd, other) == -1 && errno == EINVAL,
		      "a non-dup accepted");
		close(other);
	}
	CHECK(nop_via(&ring, d1) == 0, "nop via d1");
	CHECK(nop_via(&ring, d2) == 0, "nop via d2");
	/* the first fd goes, the ring stays */
	CHECK(ursa_close(fd) == 0, "close first");
	CHECK(enter0(fd) == -EBADF, "closed first fd still enters");
	CHECK(nop_via(&ring, d2) == 0, "nop via d2 after the first closed");
	/* d1 (d2, the higher number, took over as primary) closed behind
	 * the engine's back, and its number reused */
	CHECK(close(d1) == 0, "raw close");
	CHECK(dup2(0, d1) == d1, "reuse the number");
	m = enter0(d1);
	CHECK(m == -EOPNOTSUPP, "stale name still enters: %d", m);
	close(d1);

	/* polling */
	efd = ursa_ring_poll_fd(d2);
	CHECK(efd >= 0, "ursa_ring_poll_fd: %s", strerror(errno));
	CHECK(ursa_ring_poll_fd(d2) == efd, "a second eventfd");
	m = ursa_ring_poll(d2, 1);
	CHECK(m == (POLLOUT | POLLWRNORM), "idle mask %#x", m);
	{
		struct pollfd p = { .fd = efd, .events = POLLIN };
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct io_uring_cqe *cqe;

		CHECK(poll(&p, 1, 0) == 0, "eventfd ready while idle");
		io_uring_prep_nop(sqe);
		io_uring_smp_store_release(ring.sq.ktail, ring.sq.sqe_tail);
		CHECK(ursa_io_uring_enter((unsigned)d2, 1, 0, 0, NULL, 0) == 1,
		      "submit");
		ring.sq.sqe_head = ring.sq.sqe_tail;
		CHECK(poll(&p, 1, 2000) == 1, "eventfd not woken by a CQE");
		m = ursa_ring_poll(d2, 1);
		CHECK(m & POLLIN, "mask %#x without POLLIN", m);
		CHECK(io_uring_peek_cqe(&ring, &cqe) == 0, "no CQE");
		io_uring_cqe_seen(&ring, cqe);
		m = ursa_ring_poll(d2, 1);
		CHECK(!(m & POLLIN), "POLLIN after reaping: %#x", m);
		CHECK(poll(&p, 1, 0) == 0, "eventfd not reset when armed");
	}
	CHECK(ursa_ring_poll(0, 1) == -1 && errno == EBADF, "poll of a non-ring");

	/* the last name ends the ring */
	/* (no io_uring_queue_exit: ring.ring_fd was closed above) */
	CHECK(ursa_close(d2) == 0, "close last");
	CHECK(!ursa_is_ring_fd(d2), "ring outlived its last name");
	printf("ok\n");
	return 0;
}
