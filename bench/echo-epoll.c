/* SPDX-License-Identifier: MIT */
/*
 * echo-epoll: the baseline for bench/echo, a plain epoll TCP echo server.
 *
 *   echo-epoll [-v] [PORT]          (PORT 0 or absent: ephemeral)
 *
 * One thread, nonblocking sockets, level-triggered epoll.  On readable:
 * read once (up to 64 KiB) and write it straight back.  What the socket
 * does not take is kept, the connection then waits for EPOLLOUT instead of
 * EPOLLIN (so a client that does not read cannot make us buffer without
 * bound), and reading resumes once the backlog is written.  This is the
 * usual shape of an efficient single-threaded echo server: one read and
 * one write per message, and epoll_ctl only when a write falls short.
 *
 * Listens on 127.0.0.1 only, prints "listening on 127.0.0.1:PORT" like
 * examples/echo-server; SIGINT/SIGTERM stop it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE	65536

struct conn {
	int		fd;
	unsigned	off, len;	/* unsent bytes: buf[off, len) */
	unsigned char	*buf;		/* allocated on the first short write */
};

static volatile sig_atomic_t stop;
static bool verbose;
static unsigned long long accepted, closed, bytes, short_writes;

static void on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "echo-epoll: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void conn_close(struct conn *c)
{
	close(c->fd);	/* also removes it from the epoll set */
	free(c->buf);
	free(c);
	closed++;
}

static void watch(int epfd, struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(epfd, op, c->fd, &ev) < 0)
		die("epoll_ctl");
}

/* Write the backlog; true when it is all gone. */
static bool drain(struct conn *c)
{
	while (c->off < c->len) {
		ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off,
				 MSG_NOSIGNAL);

		if (w < 0)
			return false;	/* EAGAIN, or an error seen on read */
		c->off += (unsigned) w;
		bytes += (unsigned long long) w;
	}
	c->off = c->len = 0;
	return true;
}

/* Returns false if the connection was closed. */
static bool on_readable(int epfd, struct conn *c, unsigned char *scratch)
{
	ssize_t r = recv(c->fd, scratch, BUF_SIZE, 0);
	ssize_t w;

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return false;
	}
	if (r < 0)
		return true;
	w = send(c->fd, scratch, (size_t) r, MSG_NOSIGNAL);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return false;
		}
		w = 0;
	}
	bytes += (unsigned long long) w;
	if (w < r) {
		/* Keep the rest and wait until the socket can take it. */
		if (!c->buf && !(c->buf = malloc(BUF_SIZE)))
			die("malloc");
		memcpy(c->buf, scratch + w, (size_t) (r - w));
		c->off = 0;
		c->len = (unsigned) (r - w);
		short_writes++;
		watch(epfd, c, EPOLLOUT, EPOLL_CTL_MOD);
	}
	return true;
}

static void on_writable(int epfd, struct conn *c)
{
	if (drain(c)) {
		watch(epfd, c, EPOLLIN, EPOLL_CTL_MOD);
	} else if (errno != EAGAIN && errno != EINTR) {
		conn_close(c);
	}
}

static void accept_all(int epfd, int lfd)
{
	for (;;) {
		int one = 1;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED && verbose)
				fprintf(stderr, "echo-epoll: accept: %s\n",
					strerror(errno));
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c)
			die("calloc");
		c->fd = fd;
		watch(epfd, c, EPOLLIN, EPOLL_CTL_ADD);
		accepted++;
	}
}

int main(int argc, char **argv)
{
	static struct epoll_event evs[512];
	static unsigned char scratch[BUF_SIZE];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct epoll_event lev = { .events = EPOLLIN };
	struct sigaction sig;
	int lfd, epfd, one = 1, port = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: echo-epoll [-v] [PORT]\n");
			return 0;
		} else {
			port = atoi(argv[i]);
		}
	}
	if (port < 0 || port > 65535) {
		fprintf(stderr, "usage: echo-epoll [-v] [PORT]\n");
		return 2;
	}
	memset(&sig, 0, sizeof(sig));
	sig.sa_handler = on_signal;
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGTERM, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		die("bind 127.0.0.1");
	if (listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *) &sa, &len) < 0)
		die("listen");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	lev.data.ptr = NULL;	/* NULL marks the listener */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0)
		die("epoll_ctl");
	printf("listening on 127.0.0.1:%u\n", ntohs(sa.sin_port));
	fflush(stdout);

	while (!stop) {
		int n = epoll_wait(epfd, evs, 512, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c)
				accept_all(epfd, lfd);
			else if (c->len)
				on_writable(epfd, c);
			else
				on_readable(epfd, c, scratch);
		}
	}
	fprintf(stderr, "echo-epoll: %llu connections (%llu closed), %llu bytes"
		" echoed, %llu short writes\n", accepted, closed, bytes,
		short_writes);
	return 0;
}
