/* SPDX-License-Identifier: MIT */
/*
 * The FUSE-style request channel (include/ursa/fuse_chan.h) on a
 * kernel-managed, pinned buffer ring: a client thread's requests reach the
 * server through FETCH / COMMIT_AND_FETCH commands, the payload in the
 * buffer the CQE names (read through the server's mmap), the reply written
 * in place; REGISTER pins (so the ring cannot be unregistered, -EBUSY),
 * UNREGISTER refuses while FETCHes wait, a request too big for a buffer is
 * -E2BIG, a bad commit -EINVAL, and a client waiting when the server's ring
 * goes hears -ENOTCONN.  ursa only; the kernel backend skips.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ursa/fuse_chan.h>
#include <ursa/ursa.h>
#include "helpers/helpers.h"

#define BGID	2
#define NBUF	8
#define BUFSZ	4096
#define NREQ	200
#define NFETCH	4

static struct io_uring ring;
static unsigned char *map;
static struct ursa_fuse_chan *chan;

static void chan_cmd(int fd, unsigned op, uint64_t ud, const void *pl)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_uring_cmd(sqe, op, fd);
	sqe->buf_group = BGID;
	sqe->user_data = ud;
	if (pl)
		memcpy(sqe->cmd, pl, 16);
}

static void *client(void *arg)
{
	char in[64], out[128], want[128];

	(void)arg;
	for (int i = 0; i < NREQ; i++) {
		ssize_t n;

		snprintf(in, sizeof(in), "request %d", i);
		snprintf(want, sizeof(want), "reply to request %d", i);
		n = ursa_fuse_chan_call(chan, 100 + (unsigned)i, in, strlen(in) + 1,
					out, sizeof(out));
		t_eq(n, strlen(want) + 1);
		t_assert(!strcmp(out, want));
	}
	return NULL;
}

/* Serve until NREQ requests are answered. */
static void serve(int fd)
{
	int answered = 0;

	while (answered < NREQ) {
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);
		struct ursa_fuse_in_header h;
		struct ursa_fuse_commit c;
		unsigned bid;
		char *buf;

		if (cqe->res < 0)
			t_fail("ud %llu res %d", (unsigned long long)cqe->user_data,
			       cqe->res);
		t_assert(cqe->flags & IORING_CQE_F_BUFFER);
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		t_assert(bid < NBUF);
		buf = (char *)map + (size_t)bid * BUFSZ;
		memcpy(&h, buf, sizeof(h));
		t_eq(cqe->res, sizeof(h) + h.len);
		t_eq(h.opcode, 100 + (unsigned)answered);	/* one client: in order */
		io_uring_cqe_seen(&ring, cqe);
		/* The reply, in place. */
		{
			char reply[128];

			snprintf(reply, sizeof(reply), "reply to %s", buf + sizeof(h));
			memcpy(buf, reply, strlen(reply) + 1);
			c = (struct ursa_fuse_commit){ .unique = h.unique,
				.bid = (uint16_t)bid,
				.reply_len = (uint32_t)strlen(reply) + 1 };
		}
		chan_cmd(fd, URSA_FUSE_CMD_COMMIT_AND_FETCH, 10, &c);
		t_submit(&ring, 1);
		answered++;
	}
}

static void *late_client(void *arg)
{
	char out[8];

	(void)arg;
	t_eq(ursa_fuse_chan_call(chan, 1, "x", 1, out, sizeof(out)), -ENOTCONN);
	return NULL;
}

int main(void)
{
	struct io_uring_buf_reg reg;
	pthread_t th;
	int fd, i;

	if (t_backend_is_kernel())
		t_skip("the channel is an ursa driver; no kernel counterpart");
	t_ring_init(&ring, 64, 0);
	fd = ursa_fuse_chan_create(&chan);
	t_assert(fd >= 0);

	/* Not registered yet: FETCH -EINVAL; a plain ring is refused. */
	chan_cmd(fd, URSA_FUSE_CMD_FETCH, 1, NULL);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EINVAL, 0);
	{
		int ret;
		struct io_uring_buf_ring *br =
			io_uring_setup_buf_ring(&ring, 4, 5, 0, &ret);

		t_assert(br);
		chan_cmd(fd, URSA_FUSE_CMD_REGISTER, 2, NULL);
		ring.sq.sqes[(ring.sq.sqe_tail - 1) & ring.sq.ring_mask].buf_group = 5;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 2, -EINVAL, 0);
		t_eq(io_uring_free_buf_ring(&ring, br, 4, 5), 0);
	}

	memset(&reg, 0, sizeof(reg));
	reg.buf_size = BUFSZ;
	reg.ring_entries = NBUF;
	reg.bgid = BGID;
	reg.flags = IOU_PBUF_RING_KERNEL_MANAGED | IOU_PBUF_RING_MMAP;
	t_eq(io_uring_register_buf_ring(&ring, &reg, 0), 0);
	map = mmap(NULL, NBUF * BUFSZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ring.ring_fd, IORING_OFF_PBUF_RING |
		   ((uint64_t)BGID << IORING_OFF_PBUF_SHIFT));
	t_assert(map != MAP_FAILED);

	chan_cmd(fd, URSA_FUSE_CMD_REGISTER, 3, NULL);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, 0, 0);
	t_eq(io_uring_unregister_buf_ring(&ring, BGID), -EBUSY);	/* pinned */

	for (i = 0; i < NFETCH; i++)
		chan_cmd(fd, URSA_FUSE_CMD_FETCH, 10, NULL);
	t_submit(&ring, NFETCH);
	t_expect_no_cqe(&ring);
	chan_cmd(fd, URSA_FUSE_CMD_UNREGISTER, 4, NULL);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 4, -EBUSY, 0);

	/* Too big for a buffer: the caller hears -E2BIG, the FETCH stays. */
	{
		static char big[BUFSZ];
		char out[8];

		t_eq(ursa_fuse_chan_call(chan, 1, big, sizeof(big), out, 8), -E2BIG);
	}
	/* A commit naming no request. */
	{
		struct ursa_fuse_commit c = { .unique = 999, .bid = 1 };

		chan_cmd(fd, URSA_FUSE_CMD_COMMIT_AND_FETCH, 5, &c);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 5, -EINVAL, 0);
	}

	t_eq(pthread_create(&th, NULL, client, NULL), 0);
	serve(fd);
	pthread_join(th, NULL);

	/* A client still waiting when the ring goes. */
	t_eq(pthread_create(&th, NULL, late_client, NULL), 0);
	{
		/* Its request reaches a FETCH; the server never answers. */
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_assert(cqe->res > 0);
		io_uring_cqe_seen(&ring, cqe);
	}
	munmap(map, NBUF * BUFSZ);
	io_uring_queue_exit(&ring);
	pthread_join(th, NULL);
	ursa_fuse_chan_destroy(chan);
	return T_EXIT_PASS;
}
