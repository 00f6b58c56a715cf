/* SPDX-License-Identifier: MIT */
/*
 * recv-zc: bytes/s of a multishot IORING_OP_RECV_ZC (device-less zcrx:
 * data lands in the registered area, buffers go back through the refill
 * queue and ZCRX_CTRL_FLUSH_RQ) against a multishot IORING_OP_RECV with a
 * provided buffer ring, over loopback TCP.
 *
 *   recv-zc [-t seconds] [-r repeats]
 *
 * A sender thread writes messages of 4 KiB, then 64 KiB, as fast as the
 * socket takes them; the ring's thread receives, touches one word of every
 * chunk (so data is read, not just counted) and hands the buffer back at
 * once.  The provided buffers are as large as a message; zcrx buffers are
 * pages.  Each configuration runs -r times (median shown) for -t seconds;
 * backends: ursa, and the kernel's io_uring where it can (this kernel has
 * no device-less zcrx, so its RECV_ZC column says n/a).  The ratio is
 * RECV_ZC over RECV on the same backend.  Figures only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <liburing.h>
#include <ursa/ursa.h>

#define MAX_REPS	15
#define RQ_ENTRIES	4096u
#define AREA_PAGES	2048u		/* 8 MiB */
#define NR_PBUFS	128u
#define PAGE		4096u
#define BGID		7

static const size_t msg_sizes[] = { 4096, 65536 };

struct sender {
	int		fd;
	size_t		msg;
	atomic_bool	stop;
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tcp_pair(int fds[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l, one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len)) {
		perror("listen");
		exit(1);
	}
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[1] < 0 || connect(fds[1], (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		exit(1);
	}
	fds[0] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (fds[0] < 0) {
		perror("accept");
		exit(1);
	}
	setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

static void *send_main(void *arg)
{
	struct sender *s = arg;
	char *buf = malloc(s->msg);

	memset(buf, 0x5a, s->msg);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		size_t off = 0;

		while (off < s->msg) {
			ssize_t n = send(s->fd, buf + off, s->msg - off, MSG_NOSIGNAL);

			if (n <= 0)
				goto out;
			off += (size_t)n;
		}
	}
out:
	free(buf);
	return NULL;
}

/* One side of the comparison: set up, arm, process a CQE, re-arm. */
struct rx {
	struct io_uring		ring;
	int			fd;
	bool			zc;
	/* zcrx */
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
	unsigned char		*area_mem;
	void			*rq_mem;
	unsigned		*rq_ktail, rq_tail, rq_mask;
	struct io_uring_zcrx_rqe *rqes;
	unsigned		returned;	/* since the last flush */
	/* provided buffers */
	struct io_uring_buf_ring *br;
	unsigned char		*pbufs;
	size_t			pbuf_len;
	uint64_t		sink;
};

static int rx_setup(struct rx *rx, bool zc, size_t msg)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
		  IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE;
	p.cq_entries = 4096;
	ret = io_uring_queue_init_params(64, &rx->ring, &p);
	if (ret)
		return ret;
	rx->zc = zc;
	if (zc) {
		size_t rq_len = 64 + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);

		rq_len = (rq_len + PAGE - 1) & ~(size_t)(PAGE - 1);
		rx->area_mem = mmap(NULL, (size_t)AREA_PAGES * PAGE,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rx->rq_mem = mmap(NULL, rq_len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(&rx->rd, 0, sizeof(rx->rd));
		rx->rd.user_addr = (uint64_t)(uintptr_t)rx->rq_mem;
		rx->rd.size = rq_len;
		rx->rd.flags = IORING_MEM_REGION_TYPE_USER;
		memset(&rx->area, 0, sizeof(rx->area));
		rx->area.addr = (uint64_t)(uintptr_t)rx->area_mem;
		rx->area.len = (uint64_t)AREA_PAGES * PAGE;
		memset(&rx->reg, 0, sizeof(rx->reg));
		rx->reg.flags = ZCRX_REG_NODEV;
		rx->reg.rq_entries = RQ_ENTRIES;
		rx->reg.area_ptr = (uint64_t)(uintptr_t)&rx->area;
		rx->reg.region_ptr = (uint64_t)(uintptr_t)&rx->rd;
		ret = io_uring_register_ifq(&rx->ring, &rx->reg);
		if (ret) {
			munmap(rx->area_mem, (size_t)AREA_PAGES * PAGE);
			munmap(rx->rq_mem, rq_len);
			io_uring_queue_exit(&rx->ring);
			return ret;
		}
		rx->rq_ktail = (unsigned *)(void *)((char *)rx->rq_mem + rx->reg.offsets.tail);
		rx->rqes = (void *)((char *)rx->rq_mem + rx->reg.offsets.rqes);
		rx->rq_mask = rx->reg.rq_entries - 1;
		rx->rq_tail = 0;
		rx->returned = 0;
	} else {
		rx->pbuf_len = msg;
		rx->pbufs = malloc(NR_PBUFS * msg);
		rx->br = io_uring_setup_buf_ring(&rx->ring, NR_PBUFS, BGID, 0, &ret);
		if (!rx->br) {
			free(rx->pbufs);
			io_uring_queue_exit(&rx->ring);
			return ret;
		}
		for (unsigned i = 0; i < NR_PBUFS; i++)
			io_uring_buf_ring_add(rx->br, rx->pbufs + i * msg, (unsigned)msg,
					      (unsigned short)i,
					      io_uring_buf_ring_mask(NR_PBUFS), (int)i);
		io_uring_buf_ring_advance(rx->br, NR_PBUFS);
	}
	return 0;
}

static void rx_arm(struct rx *rx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rx->ring);

	if (rx->zc) {
		io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, rx->fd, NULL, 0, 0);
		sqe->ioprio = IORING_RECV_MULTISHOT;
		sqe->zcrx_ifq_idx = rx->reg.zcrx_id;
	} else {
		io_uring_prep_recv_multishot(sqe, rx->fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
	}
	sqe->user_data = 1;
}

/* Bytes of one CQE (0 when it ended the request: re-armed). */
static size_t rx_cqe(struct rx *rx, const struct io_uring_cqe *cqe)
{
	size_t n = cqe->res > 0 ? (size_t)cqe->res : 0;

	if (rx->zc && n) {
		const struct io_uring_zcrx_cqe *zc = (const void *)(cqe + 1);
		uint64_t off = zc->off & ~IORING_ZCRX_AREA_MASK;
		struct io_uring_zcrx_rqe *rqe = &rx->rqes[rx->rq_tail++ & rx->rq_mask];

		rx->sink += *(const uint64_t *)(const void *)(rx->area_mem + off);
		rqe->off = off | rx->area.rq_area_token;
		rqe->len = (unsigned)n;
		rqe->__pad = 0;
		rx->returned++;
	} else if (n) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		rx->sink += *(const uint64_t *)(const void *)(rx->pbufs + bid * rx->pbuf_len);
		io_uring_buf_ring_add(rx->br, rx->pbufs + bid * rx->pbuf_len,
				      (unsigned)rx->pbuf_len, (unsigned short)bid,
				      io_uring_buf_ring_mask(NR_PBUFS), 0);
		io_uring_buf_ring_advance(rx->br, 1);
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		rx_arm(rx);
	return n;
}

/* Buffers go back once per batch of CQEs. */
static void rx_batch_done(struct rx *rx)
{
	struct zcrx_ctrl c;

	if (!rx->zc || !rx->returned)
		return;
	__atomic_store_n(rx->rq_ktail, rx->rq_tail, __ATOMIC_RELEASE);
	memset(&c, 0, sizeof(c));
	c.zcrx_id = rx->reg.zcrx_id;
	c.op = ZCRX_CTRL_FLUSH_RQ;
	io_uring_register_zcrx_ctrl(&rx->ring, &c);
	rx->returned = 0;
}

/* Bytes per second, or a negative errno if the setup was refused. */
static double measure(enum ursa_backend be, bool zc, size_t msg, double secs)
{
	struct sender s;
	pthread_t th;
	struct rx *rx = calloc(1, sizeof(*rx));
	double t0, t;
	uint64_t bytes = 0;
	int fds[2], ret;

	ursa_set_backend(be);
	ret = rx_setup(rx, zc, msg);
	if (ret) {
		free(rx);
		return ret;
	}
	tcp_pair(fds);
	rx->fd = fds[0];
	s.fd = fds[1];
	s.msg = msg;
	atomic_init(&s.stop, false);
	rx_arm(rx);
	io_uring_submit(&rx->ring);
	pthread_create(&th, NULL, send_main, &s);
	t0 = now_sec();
	do {
		struct io_uring_cqe *cqes[256];
		unsigned n, i;

		io_uring_submit_and_wait(&rx->ring, 1);
		n = io_uring_peek_batch_cqe(&rx->ring, cqes, 256);
		for (i = 0; i < n; i++)
			bytes += rx_cqe(rx, cqes[i]);
		io_uring_cq_advance(&rx->ring, n);
		rx_batch_done(rx);
		t = now_sec();
	} while (t - t0 < secs);
	atomic_store(&s.stop, true);
	shutdown(fds[0], SHUT_RDWR);
	pthread_join(th, NULL);
	close(fds[1]);
	io_uring_queue_exit(&rx->ring);
	close(fds[0]);
	if (zc) {
		munmap(rx->area_mem, (size_t)AREA_PAGES * PAGE);
		munmap(rx->rq_mem, rx->rd.size);
	} else {
		free(rx->pbufs);
	}
	if (rx->sink == 42)
		putchar(' ');	/* keep the reads */
	free(rx);
	return (double)bytes / (t - t0);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	int reps = 3, opt;
	static const enum ursa_backend bes[] = { URSA_BACKEND_URSA, URSA_BACKEND_KERNEL };
	static const char *const be_name[] = { "ursa", "kernel" };

	while ((opt = getopt(argc, argv, "t:r:h")) != -1) {
		switch (opt) {
		case 't':
			secs = atof(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-t seconds] [-r repeats]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (reps < 1)
		reps = 1;
	if (reps > MAX_REPS)
		reps = MAX_REPS;
	if (secs <= 0 || secs > 30)
		secs = 1.0;

	printf("recv-zc: loopback TCP, %.1f s x %d runs each, median MB/s\n", secs, reps);
	printf("%-7s %8s %12s %12s %8s\n", "backend", "msg", "RECV+pbuf", "RECV_ZC", "zc/recv");
	for (unsigned b = 0; b < 2; b++) {
		for (unsigned m = 0; m < sizeof(msg_sizes) / sizeof(msg_sizes[0]); m++) {
			double r[2][MAX_REPS], med[2];

			for (int i = 0; i < reps; i++)
				for (int zc = 0; zc < 2; zc++)
					r[zc][i] = measure(bes[b], zc, msg_sizes[m], secs);
			for (int zc = 0; zc < 2; zc++) {
				qsort(r[zc], (size_t)reps, sizeof(double), cmp_d);
				med[zc] = r[zc][reps / 2];
			}
			printf("%-7s %7zuK", be_name[b], msg_sizes[m] / 1024);
			for (int zc = 0; zc < 2; zc++) {
				if (med[zc] < 0)
					printf(" %12s", "n/a");
				else
					printf(" %12.1f", med[zc] / 1e6);
			}
			if (med[0] > 0 && med[1] > 0)
				printf(" %8.2f\n", med[1] / med[0]);
			else
				printf(" %8s\n", "-");
			fflush(stdout);
		}
	}
	return 0;
}
