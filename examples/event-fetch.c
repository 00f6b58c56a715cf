/* SPDX-License-Identifier: MIT */
/*
 * One multishot uring_cmd receiving events from the event device: a
 * producer thread posts 100,000 tags; the ring takes them many per CQE
 * through a provided buffer ring, recycling each buffer after reading it.
 *
 *   event-fetch [EVENTS]
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <liburing.h>
#include <ursa/event.h>
#include <ursa/ursa.h>

#define NBUF	64
#define BUFSZ	256		/* 128 tags */

static struct ursa_event_dev *ev;
static unsigned total = 100000;

static void *producer(void *arg)
{
	uint16_t batch[50];

	(void)arg;
	for (unsigned i = 0; i < total; i += 50) {
		for (unsigned k = 0; k < 50; k++)
			batch[k] = (uint16_t)(i + k);
		ursa_event_post(ev, batch, 50);
	}
	return NULL;
}

static void arm(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_uring_cmd(sqe, URSA_EVENT_CMD_FETCH, fd);
	sqe->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 0;
	io_uring_submit(ring);
}

int main(int argc, char **argv)
{
	static uint16_t bufs[NBUF][BUFSZ / 2];
	struct io_uring_buf_ring *br;
	struct io_uring ring;
	unsigned got = 0, cqes = 0, expect = 0, rearms = 0;
	pthread_t th;
	int fd, ret;

	if (argc > 1)
		total = (unsigned)atoi(argv[1]) / 50 * 50;
	if (io_uring_queue_init(64, &ring, 0))
		return 1;
	br = io_uring_setup_buf_ring(&ring, NBUF, 0, 0, &ret);
	if (!br)
		return 1;
	for (int i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, bufs[i], BUFSZ, i, NBUF - 1, i);
	io_uring_buf_ring_advance(br, NBUF);
	fd = ursa_event_dev_create(&ev);
	if (fd < 0)
		return 1;

	arm(&ring, fd);
	pthread_create(&th, NULL, producer, NULL);

	while (got < total) {
		struct io_uring_cqe *cqe;
		unsigned bid, n;

		if (io_uring_wait_cqe(&ring, &cqe))
			return 1;
		if (cqe->res == -ENOBUFS) {
			/* The producer outran us: buffers come back as we read;
			 * arm again, as with any multishot receive. */
			io_uring_cqe_seen(&ring, cqe);
			arm(&ring, fd);
			rearms++;
			continue;
		}
		if (cqe->res <= 0) {
			fprintf(stderr, "fetch ended: %d\n", cqe->res);
			return 1;
		}
		if (!(cqe->flags & IORING_CQE_F_MORE))
			arm(&ring, fd);	/* a last CQE with data: CQ was full */
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		n = (unsigned)cqe->res / 2;
		for (unsigned k = 0; k < n; k++, expect++)
			if (bufs[bid][k] != (uint16_t)expect) {
				fprintf(stderr, "tag %u out of order\n", expect);
				return 1;
			}
		got += n;
		cqes++;
		io_uring_cqe_seen(&ring, cqe);
		io_uring_buf_ring_add(br, bufs[bid], BUFSZ, bid, NBUF - 1, 0);
		io_uring_buf_ring_advance(br, 1);
	}
	pthread_join(th, NULL);
	printf("event-fetch: %u events in %u CQEs (%.1f per CQE), in order, %u re-arms\n",
	       got, cqes, (double)got / cqes, rearms);
	io_uring_queue_exit(&ring);	/* cancels the armed fetch */
	ursa_event_dev_destroy(ev);
	return 0;
}
