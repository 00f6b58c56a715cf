/* SPDX-License-Identifier: MIT */
/*
 * The multishot uring_cmd event channel (the event device, seed 001):
 * events/s and CQEs/s with 1 and with 64 events per CQE (the provided
 * buffers hold 2 or 128 bytes of tags), a producer thread posting batches
 * of 64 events while the ring consumes them, re-arming after -ENOBUFS as
 * applications do.  Baseline in the same run: the same tags through a
 * pipe, written 64 at a time and read with read(2) into a 128-byte buffer.
 *
 *   uring-cmd-events [-n EVENTS] [-r REPS]
 *
 * Prints figures only; never fails on timing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <ursa/event.h>

#define NBUF	1024
#define BATCH	64

static unsigned nevents = 2000000;
static struct ursa_event_dev *ev;
static int pipe_w;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *producer(void *arg)
{
	uint16_t b[BATCH];
	bool to_pipe = arg != NULL;

	for (unsigned i = 0; i < nevents; i += BATCH) {
		for (unsigned k = 0; k < BATCH; k++)
			b[k] = (uint16_t)(i + k);
		if (to_pipe) {
			if (write(pipe_w, b, sizeof(b)) != (ssize_t)sizeof(b))
				abort();
		} else {
			while (ursa_event_post(ev, b, BATCH))
				;
		}
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

/* Returns seconds; *cqes_out the CQEs that carried events. */
static double run_ring(unsigned per_cqe, unsigned *cqes_out)
{
	unsigned bufsz = per_cqe * 2, got = 0, cqes = 0;
	struct io_uring_buf_ring *br;
	struct io_uring ring;
	char *mem;
	pthread_t th;
	double t0, t;
	int fd, ret;

	if (io_uring_queue_init(4096, &ring, 0))
		exit(1);
	br = io_uring_setup_buf_ring(&ring, NBUF, 0, 0, &ret);
	mem = malloc((size_t)NBUF * bufsz);
	if (!br || !mem)
		exit(1);
	for (unsigned i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, mem + (size_t)i * bufsz, bufsz, (uint16_t)i,
				      NBUF - 1, (int)i);
	io_uring_buf_ring_advance(br, NBUF);
	fd = ursa_event_dev_create(&ev);
	if (fd < 0)
		exit(1);
	t0 = now();
	arm(&ring, fd);
	pthread_create(&th, NULL, producer, NULL);
	while (got < nevents) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0, rearm = 0;

		io_uring_wait_cqe(&ring, &cqe);
		io_uring_for_each_cqe(&ring, head, cqe) {
			seen++;
			if (cqe->res == -ENOBUFS) {
				rearm = 1;
				continue;
			}
			if (cqe->res <= 0)
				exit(1);
			if (!(cqe->flags & IORING_CQE_F_MORE))
				rearm = 1;
			got += (unsigned)cqe->res / 2;
			cqes++;
			io_uring_buf_ring_add(br, mem + (size_t)(cqe->flags >> 16) * bufsz,
					      bufsz, (uint16_t)(cqe->flags >> 16),
					      NBUF - 1, 0);
			io_uring_buf_ring_advance(br, 1);
		}
		io_uring_cq_advance(&ring, seen);
		if (rearm)
			arm(&ring, fd);
	}
	t = now() - t0;
	pthread_join(th, NULL);
	io_uring_queue_exit(&ring);
	ursa_event_dev_destroy(ev);
	free(mem);
	*cqes_out = cqes;
	return t;
}

static double run_pipe(void)
{
	uint16_t b[BATCH];
	unsigned got = 0;
	pthread_t th;
	double t0;
	int p[2];

	if (pipe(p))
		exit(1);
	pipe_w = p[1];
	t0 = now();
	pthread_create(&th, NULL, producer, (void *)1);
	while (got < nevents) {
		ssize_t n = read(p[0], b, sizeof(b));

		if (n <= 0)
			exit(1);
		got += (unsigned)n / 2;
	}
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
	return now() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int reps = 3, opt;
	double tp[9], t1[9], t64[9];
	unsigned c1 = 0, c64 = 0;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			nevents = (unsigned)atoi(optarg) / BATCH * BATCH;
		else if (opt == 'r')
			reps = atoi(optarg);
	}
	if (reps < 1 || reps > 9)
		reps = 3;
	for (int r = 0; r < reps; r++) {
		tp[r] = run_pipe();
		t1[r] = run_ring(1, &c1);
		t64[r] = run_ring(64, &c64);
	}
	qsort(tp, reps, sizeof(double), cmp);
	qsort(t1, reps, sizeof(double), cmp);
	qsort(t64, reps, sizeof(double), cmp);
	printf("uring_cmd event channel: %u events, producer batches of %d, median of %d\n",
	       nevents, BATCH, reps);
	printf("%-28s %12s %12s %8s\n", "config", "events/s", "CQEs/s", "vs pipe");
	printf("%-28s %12.0f %12s %8s\n", "pipe + read(2) (baseline)",
	       nevents / tp[reps / 2], "-", "1.00x");
	printf("%-28s %12.0f %12.0f %7.2fx\n", "multishot, 1 event/CQE",
	       nevents / t1[reps / 2], c1 / t1[reps / 2], tp[reps / 2] / t1[reps / 2]);
	printf("%-28s %12.0f %12.0f %7.2fx\n", "multishot, 64 events/CQE",
	       nevents / t64[reps / 2], c64 / t64[reps / 2],
	       tp[reps / 2] / t64[reps / 2]);
	return 0;
}
