/* SPDX-License-Identifier: MIT */
/*
 * echo-client: load generator and checker for echo servers.
 *
 *   echo-client -p PORT [-c CONNS] [-s SIZE] [-n COUNT | -t SECS] ...
 *
 * Opens CONNS TCP connections to 127.0.0.1:PORT and, on each, sends
 * SIZE-byte messages and waits for them to come back (-d messages in flight
 * per connection, 1 by default: ping-pong).  Every byte that comes back is
 * compared with what was sent: each connection's stream is a fixed
 * pseudo-random pattern, so a lost, duplicated, reordered or corrupted
 * byte is detected at its offset.  Reports messages/s, MB/s (payload
 * echoed, one direction, 10^6 bytes) and round-trip latency percentiles.
 *
 * Plain nonblocking sockets and epoll, not io_uring: the load generator
 * must not depend on the io_uring being measured.  -j spreads the
 * connections over several threads, each with its own epoll instance.
 *
 * Exit status: 0 ok, 1 error (connect, reset, stall), 2 data mismatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAT_PERIOD	65521u		/* prime: streams do not line up */
#define CHUNK		65536u		/* largest single read or write */
#define MAX_DEPTH	64
#define HBUCKETS	(60 * 32)	/* log-linear latency histogram */

struct conn {
	int		fd;
	unsigned	seed;		/* stream offset of byte 0 */
	bool		want_out;	/* EPOLLOUT requested */
	bool		done;		/* no more messages to send */
	uint64_t	sent, recvd;	/* bytes */
	uint64_t	started, finished;	/* messages */
	uint64_t	ts[MAX_DEPTH];	/* send time of messages in flight */
};

struct worker {
	pthread_t	thread;
	int		epfd;
	struct conn	*conns;
	int		nconns;
	int		active;
	unsigned char	*rbuf;
	/* results, counted only inside the measuring window */
	uint64_t	msgs, bytes;
	uint64_t	hist[HBUCKETS];
	uint64_t	lat_max;
	int		err;		/* 0, 1 (error) or 2 (mismatch) */
};

static const char *addr = "127.0.0.1";
static int port = -1, nconn = 1, nthreads = 1, depth = 1;
static unsigned msg_size = 64;
static uint64_t count;			/* per connection; 0: timed */
static double secs = 2.0, warmup, stall_secs = 5.0;
static bool raw, quiet, abort_close;
static unsigned char *pattern;		/* PAT_PERIOD + CHUNK bytes */
static uint64_t t_start, t_measure, t_end;	/* ns, CLOCK_MONOTONIC */
static atomic_int failed;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static unsigned hidx(uint64_t v)
{
	int e;

	if (v < 32)
		return (unsigned) v;
	e = 63 - __builtin_clzll(v);
	return (unsigned) (e - 4) * 32 + (unsigned) ((v >> (e - 5)) & 31);
}

/* The middle of bucket i, in ns. */
static double hval(unsigned i)
{
	unsigned e;

	if (i < 32)
		return i;
	e = i / 32 + 4;
	return ((double) (32 + i % 32) + 0.5) * (double) (1ull << (e - 5));
}

__attribute__((format(printf, 3, 4)))
static void fail(struct worker *w, int code, const char *fmt, ...)
{
	va_list ap;

	if (!quiet) {
		va_start(ap, fmt);
		fprintf(stderr, "echo-client: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	if (w->err < code)
		w->err = code;
	atomic_store(&failed, 1);
}

static void set_out(struct worker *w, struct conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0) };

	if (c->want_out == on)
		return;
	ev.data.ptr = c;
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = on;
}

/* Write as much of the started messages as the socket takes. */
static int flush_out(struct worker *w, struct conn *c)
{
	uint64_t target = c->started * msg_size;

	while (c->sent < target) {
		uint64_t left = target - c->sent;
		size_t n = left < CHUNK ? (size_t) left : CHUNK;
		ssize_t r = send(c->fd, pattern + (c->sent + c->seed) % PAT_PERIOD,
				 n, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EAGAIN) {
				set_out(w, c, true);
				return 0;
			}
			if (errno == EINTR)
				continue;
			fail(w, 1, "connection %d: send: %s",
			     (int) (c - w->conns), strerror(errno));
			return -1;
		}
		c->sent += (uint64_t) r;
	}
	set_out(w, c, false);
	return 0;
}

/* Start messages until depth are in flight, unless this one is done. */
static int start_more(struct worker *w, struct conn *c, uint64_t now)
{
	while (!c->done && c->started - c->finished < (uint64_t) depth) {
		if ((count && c->started >= count) || (!count && now >= t_end)) {
			c->done = true;
			break;
		}
		c->ts[c->started % MAX_DEPTH] = now;
		c->started++;
	}
	return flush_out(w, c);
}

/* Compare n received bytes with the stream at c->recvd. */
static int verify(struct worker *w, struct conn *c, const unsigned char *p,
		  size_t n)
{
	size_t off = 0;

	while (off < n) {
		size_t pos = (size_t) ((c->recvd + off + c->seed) % PAT_PERIOD);
		size_t k = n - off < CHUNK ? n - off : CHUNK;

		if (memcmp(p + off, pattern + pos, k)) {
			size_t i = 0;

			while (p[off + i] == pattern[pos + i])
				i++;
			if (!quiet)
				fprintf(stderr, "echo-client: connection %d: "
					"byte %llu of the stream is 0x%02x, "
					"sent 0x%02x\n", (int) (c - w->conns),
					(unsigned long long) (c->recvd + off + i),
					p[off + i], pattern[pos + i]);
			w->err = 2;
			atomic_store(&failed, 1);
			return -1;
		}
		off += k;
	}
	return 0;
}

static void conn_finished(struct worker *w, struct conn *c)
{
	if (abort_close) {
		/* Leave data in flight and reset: the server's error path. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		send(c->fd, pattern, msg_size < CHUNK ? msg_size : CHUNK,
		     MSG_NOSIGNAL);
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	c->fd = -1;
	w->active--;
}

static int on_readable(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, w->rbuf, 4 * CHUNK, 0);
		uint64_t now;

		if (r < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			fail(w, 1, "connection %d: recv: %s",
			     (int) (c - w->conns), strerror(errno));
			return -1;
		}
		if (r == 0) {
			fail(w, 1, "connection %d: closed by the server",
			     (int) (c - w->conns));
			return -1;
		}
		if (c->recvd + (uint64_t) r > c->sent) {
			fail(w, 2, "connection %d: more bytes came back than"
			     " were sent", (int) (c - w->conns));
			return -1;
		}
		if (verify(w, c, w->rbuf, (size_t) r))
			return -1;
		c->recvd += (uint64_t) r;
		now = now_ns();
		while (c->recvd >= (c->finished + 1) * msg_size) {
			uint64_t lat = now - c->ts[c->finished % MAX_DEPTH];

			c->finished++;
			/* Timed runs count the window only; -n counts all. */
			if (count || (now >= t_measure && now < t_end)) {
				w->msgs++;
				w->bytes += msg_size;
				w->hist[hidx(lat)]++;
				if (lat > w->lat_max)
					w->lat_max = lat;
			}
		}
		if (start_more(w, c, now))
			return -1;
		if (c->done && c->finished == c->started) {
			conn_finished(w, c);
			return 0;
		}
		if ((size_t) r < 4 * CHUNK)
			return 0;	/* probably drained; epoll says if not */
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[256];
	uint64_t last_progress = now_ns(), progress = 0, seen = 0;
	int i;

	for (i = 0; i < w->nconns; i++) {
		if (start_more(w, &w->conns[i], t_start))
			return NULL;
	}
	while (w->active > 0 && !atomic_load(&failed)) {
		int n = epoll_wait(w->epfd, evs, 256, 100);
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			fail(w, 1, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd < 0)
				continue;
			if ((evs[i].events & EPOLLOUT) && flush_out(w, c))
				return NULL;
			if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
			    on_readable(w, c))
				return NULL;
			progress++;
		}
		now = now_ns();
		if (progress != seen) {
			seen = progress;
			last_progress = now;
		} else if ((double) (now - last_progress) / 1e9 > stall_secs) {
			fail(w, 1, "no data came back for %.1f s (server stalled"
			     " or not echoing)", stall_secs);
			break;
		}
		/* Idle connections must notice the end of a timed run too. */
		if (!count && now >= t_end) {
			for (i = 0; i < w->nconns; i++) {
				struct conn *c = &w->conns[i];

				if (c->fd < 0)
					continue;
				start_more(w, c, now);
				if (c->done && c->finished == c->started)
					conn_finished(w, c);
			}
		}
	}
	return NULL;
}

static int connect_one(void)
{
	struct sockaddr_in sa;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		errno = EINVAL;
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static double pct(const uint64_t *hist, uint64_t total, double q)
{
	uint64_t want = (uint64_t) ((double) total * q), acc = 0;
	unsigned i;

	for (i = 0; i < HBUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return hval(i);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: echo-client -p PORT [options]\n"
"  -a ADDR    server address (default 127.0.0.1)\n"
"  -p PORT    server port\n"
"  -c N       connections (default 1)\n"
"  -s BYTES   message size (default 64)\n"
"  -n N       messages per connection (instead of a duration)\n"
"  -t SECS    run for SECS seconds (default 2)\n"
"  -w SECS    warm-up not counted in a timed run (default 0)\n"
"  -d N       messages in flight per connection (default 1, max %d)\n"
"  -j N       threads (default 1)\n"
"  -T SECS    fail if nothing comes back for SECS (default 5)\n"
"  -A         end each connection with a reset, data still in flight\n"
"             (exercises the server's error paths)\n"
"  -r         one machine-readable RESULT line on stdout\n"
"  -q         no diagnostics\n", MAX_DEPTH);
}

int main(int argc, char **argv)
{
	struct worker *ws;
	struct conn *conns;
	uint64_t msgs = 0, bytes = 0, lat_max = 0, t_done;
	static uint64_t hist[HBUCKETS];
	double elapsed, lat_sum = 0;
	int opt, i, t, err = 0;
	unsigned j;
	uint32_t x;

	while ((opt = getopt(argc, argv, "a:p:c:s:n:t:w:d:j:T:Arqh")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': nconn = atoi(optarg); break;
		case 's': msg_size = (unsigned) strtoul(optarg, NULL, 0); break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 't': secs = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'T': stall_secs = atof(optarg); break;
		case 'A': abort_close = true; break;
		case 'r': raw = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (port <= 0 || port > 65535 || nconn < 1 || msg_size < 1 ||
	    depth < 1 || depth > MAX_DEPTH || nthreads < 1 || secs <= 0 ||
	    warmup < 0 || (!count && warmup >= secs)) {
		usage(stderr);
		return 1;
	}
	if (nthreads > nconn)
		nthreads = nconn;
	signal(SIGPIPE, SIG_IGN);

	pattern = malloc(PAT_PERIOD + CHUNK);
	conns = calloc((size_t) nconn, sizeof(*conns));
	ws = calloc((size_t) nthreads, sizeof(*ws));
	if (!pattern || !conns || !ws) {
		fprintf(stderr, "echo-client: out of memory\n");
		return 1;
	}
	/* xorshift bytes; the tail repeats the head so reads never wrap */
	for (j = 0, x = 0x2545f491u; j < PAT_PERIOD; j++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[j] = (unsigned char) (x >> 7);
	}
	for (j = PAT_PERIOD; j < PAT_PERIOD + CHUNK; j++)
		pattern[j] = pattern[j - PAT_PERIOD];

	for (i = 0; i < nconn; i++) {
		conns[i].fd = connect_one();
		if (conns[i].fd < 0) {
			fprintf(stderr, "echo-client: connect %s:%d (%d of %d):"
				" %s\n", addr, port, i + 1, nconn,
				strerror(errno));
			return 1;
		}
		conns[i].seed = (unsigned) ((uint64_t) i * 7919u % PAT_PERIOD);
	}
	for (t = 0; t < nthreads; t++) {
		struct worker *w = &ws[t];
		int lo = (int) ((int64_t) nconn * t / nthreads);
		int hi = (int) ((int64_t) nconn * (t + 1) / nthreads);

		w->conns = conns + lo;
		w->nconns = w->active = hi - lo;
		w->rbuf = malloc(4 * CHUNK);
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (!w->rbuf || w->epfd < 0) {
			fprintf(stderr, "echo-client: worker setup failed\n");
			return 1;
		}
		for (i = 0; i < w->nconns; i++) {
			struct epoll_event ev = { .events = EPOLLIN };

			ev.data.ptr = &w->conns[i];
			fcntl(w->conns[i].fd, F_SETFL, O_NONBLOCK);
			epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->conns[i].fd, &ev);
		}
	}

	t_start = now_ns();
	t_measure = t_start + (uint64_t) (warmup * 1e9);
	t_end = t_start + (uint64_t) (secs * 1e9);
	for (t = 0; t < nthreads; t++) {
		if (pthread_create(&ws[t].thread, NULL, worker_main, &ws[t])) {
			fprintf(stderr, "echo-client: pthread_create failed\n");
			return 1;
		}
	}
	for (t = 0; t < nthreads; t++)
		pthread_join(ws[t].thread, NULL);
	t_done = now_ns();

	for (t = 0; t < nthreads; t++) {
		struct worker *w = &ws[t];

		msgs += w->msgs;
		bytes += w->bytes;
		for (j = 0; j < HBUCKETS; j++) {
			hist[j] += w->hist[j];
			lat_sum += (double) w->hist[j] * hval(j);
		}
		if (w->lat_max > lat_max)
			lat_max = w->lat_max;
		if (w->err > err)
			err = w->err;
	}
	if (count)
		elapsed = (double) (t_done - t_start) / 1e9;
	else
		elapsed = (double) (t_end - t_measure) / 1e9;

	if (raw) {
		printf("RESULT status=%s conns=%d size=%u msgs=%llu bytes=%llu"
		       " secs=%.4f msgs_per_s=%.1f mb_per_s=%.3f"
		       " lat_mean_us=%.2f lat_p50_us=%.2f lat_p99_us=%.2f"
		       " lat_max_us=%.2f\n",
		       err == 2 ? "mismatch" : err ? "error" : "ok",
		       nconn, msg_size, (unsigned long long) msgs,
		       (unsigned long long) bytes, elapsed,
		       (double) msgs / elapsed, (double) bytes / elapsed / 1e6,
		       msgs ? lat_sum / (double) msgs / 1e3 : 0.0,
		       pct(hist, msgs, 0.50) / 1e3, pct(hist, msgs, 0.99) / 1e3,
		       (double) lat_max / 1e3);
	} else {
		printf("%d connection%s, %u-byte messages, depth %d, %d thread%s:"
		       " %llu messages echoed and verified in %.3f s\n",
		       nconn, nconn == 1 ? "" : "s", msg_size, depth, nthreads,
		       nthreads == 1 ? "" : "s", (unsigned long long) msgs,
		       elapsed);
		printf("throughput: %.0f messages/s, %.2f MB/s\n",
		       (double) msgs / elapsed, (double) bytes / elapsed / 1e6);
		if (msgs)
			printf("latency (round trip): mean %.1f us, p50 %.1f us,"
			       " p99 %.1f us, max %.1f us\n",
			       lat_sum / (double) msgs / 1e3,
			       pct(hist, msgs, 0.50) / 1e3,
			       pct(hist, msgs, 0.99) / 1e3,
			       (double) lat_max / 1e3);
		printf("%s\n", err == 2 ? "MISMATCH: echoed data differs" :
		       err ? "FAILED" : "verified: every echoed byte matched");
	}
	for (i = 0; i < nconn; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	}
	for (t = 0; t < nthreads; t++) {
		close(ws[t].epfd);
		free(ws[t].rbuf);
	}
	free(ws);
	free(conns);
	free(pattern);
	return err;
}
