/* SPDX-License-Identifier: MIT */
/*
 * A small server on the FUSE-style request channel: it registers a
 * kernel-managed buffer ring, maps its buffers, pins it to the channel and
 * answers requests with COMMIT_AND_FETCH, writing each reply in place in
 * the buffer the request came in.  A client thread asks it to upper-case
 * strings.
 *
 *   fuse-server [REQUESTS]
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <liburing.h>
#include <ursa/fuse_chan.h>
#include <ursa/ursa.h>

#define BGID	0
#define NBUF	16
#define BUFSZ	4096
#define OP_UPPER 1

static struct ursa_fuse_chan *chan;
static int nreq = 1000;
static int client_errors;

static void *client(void *arg)
{
	char in[64], out[64];

	(void)arg;
	for (int i = 0; i < nreq; i++) {
		snprintf(in, sizeof(in), "request number %d", i);
		if (ursa_fuse_chan_call(chan, OP_UPPER, in, strlen(in) + 1, out,
					sizeof(out)) != (ssize_t)strlen(in) + 1)
			client_errors++;
		for (char *p = in; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (strcmp(in, out))
			client_errors++;
	}
	return NULL;
}

static void submit_cmd(struct io_uring *ring, int fd, unsigned op,
		       const struct ursa_fuse_commit *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_uring_cmd(sqe, op, fd);
	sqe->buf_group = BGID;
	if (c)
		memcpy(sqe->cmd, c, sizeof(*c));
}

int main(int argc, char **argv)
{
	struct io_uring_buf_reg reg = { .ring_entries = NBUF, .bgid = BGID,
		.flags = IOU_PBUF_RING_KERNEL_MANAGED | IOU_PBUF_RING_MMAP };
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	unsigned char *map;
	pthread_t th;
	int fd, served = 0;

	if (argc > 1)
		nreq = atoi(argv[1]);
	reg.buf_size = BUFSZ;
	if (io_uring_queue_init(32, &ring, 0) ||
	    io_uring_register_buf_ring(&ring, &reg, 0))
		return 1;
	map = mmap(NULL, NBUF * BUFSZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ring.ring_fd, IORING_OFF_PBUF_RING |
		   ((unsigned long long)BGID << IORING_OFF_PBUF_SHIFT));
	if (map == MAP_FAILED)
		return 1;
	fd = ursa_fuse_chan_create(&chan);
	if (fd < 0)
		return 1;
	submit_cmd(&ring, fd, URSA_FUSE_CMD_REGISTER, NULL);
	io_uring_submit_and_wait(&ring, 1);
	io_uring_wait_cqe(&ring, &cqe);
	if (cqe->res)
		return 1;
	io_uring_cqe_seen(&ring, cqe);
	for (int i = 0; i < 4; i++)	/* four server "threads" waiting */
		submit_cmd(&ring, fd, URSA_FUSE_CMD_FETCH, NULL);
	io_uring_submit(&ring);

	pthread_create(&th, NULL, client, NULL);
	while (served < nreq) {
		struct ursa_fuse_in_header h;
		struct ursa_fuse_commit c;
		unsigned bid;
		char *buf;

		if (io_uring_wait_cqe(&ring, &cqe) || cqe->res < 0)
			return 1;
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		io_uring_cqe_seen(&ring, cqe);
		buf = (char *)map + (size_t)bid * BUFSZ;
		memcpy(&h, buf, sizeof(h));
		/* Reply in place: the payload moves to the front, upper-cased. */
		memmove(buf, buf + sizeof(h), h.len);
		for (unsigned k = 0; k < h.len; k++)
			buf[k] = (char)toupper((unsigned char)buf[k]);
		c = (struct ursa_fuse_commit){ .unique = h.unique,
			.bid = (uint16_t)bid, .reply_len = h.len };
		submit_cmd(&ring, fd, URSA_FUSE_CMD_COMMIT_AND_FETCH, &c);
		io_uring_submit(&ring);
		served++;
	}
	pthread_join(th, NULL);
	printf("fuse-server: served %d requests through %d pinned kernel-managed buffers, %d client errors\n",
	       served, NBUF, client_errors);
	io_uring_queue_exit(&ring);
	ursa_fuse_chan_destroy(chan);
	return client_errors ? 1 : 0;
}
