/* SPDX-License-Identifier: MIT */
/*
 * Socket helpers for the network tests: listeners and connected pairs on
 * loopback TCP (127.0.0.1, ::1), UDP and Unix sockets (abstract names, so
 * nothing is left behind).  Everything here uses plain syscalls, so it means
 * the same under both backends.
 */
#ifndef URSA_TEST_NET_UTIL_H
#define URSA_TEST_NET_UTIL_H

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "helpers/helpers.h"

/* Families the tests run over. */
enum { T_INET = AF_INET, T_INET6 = AF_INET6, T_UNIX = AF_UNIX };

static inline const char *t_family_name(int family)
{
	return family == AF_INET ? "127.0.0.1" : family == AF_INET6 ? "::1" : "unix";
}

/* Is ::1 usable here?  (A container may have IPv6 off.) */
static inline int t_have_ipv6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* A loopback address of the family with port 0 (or a fresh abstract Unix
 * name), and its length. */
static inline void t_loopback_addr(int family, struct sockaddr_storage *ss,
				   socklen_t *len)
{
	static unsigned counter;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	} else {
		struct sockaddr_un *a = (struct sockaddr_un *)ss;
		int n;

		a->sun_family = AF_UNIX;
		/* abstract: sun_path[0] = 0 */
		n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
			     "ursa-test-%d-%u", (int)getpid(), counter++);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
}

/*
 * A listening socket of the family and type (SOCK_STREAM or
 * SOCK_SEQPACKET, possibly with SOCK_NONBLOCK) on loopback; its bound
 * address goes to ss and len.
 */
static inline int t_listener(int family, int type, struct sockaddr_storage *ss,
			     socklen_t *len)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		t_fail("socket(%s): %s", t_family_name(family), strerror(errno));
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	t_loopback_addr(family, ss, len);
	if (bind(fd, (struct sockaddr *)ss, *len) < 0)
		t_fail("bind(%s): %s", t_family_name(family), strerror(errno));
	if (listen(fd, 128) < 0)
		t_fail("listen: %s", strerror(errno));
	*len = sizeof(*ss);
	if (getsockname(fd, (struct sockaddr *)ss, len) < 0)
		t_fail("getsockname: %s", strerror(errno));
	return fd;
}

/* A client socket connected (blocking connect) to ss. */
static inline int t_connect_to(const struct sockaddr_storage *ss, socklen_t len,
			       int type)
{
	int fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		t_fail("socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)ss, len) < 0)
		t_fail("connect(%s): %s", t_family_name(ss->ss_family),
		       strerror(errno));
	return fd;
}

/* A connected stream pair: fds[0] the client, fds[1] the accepted end. */
static inline void t_stream_pair(int family, int fds[2])
{
	struct sockaddr_storage ss;
	socklen_t len;
	int l = t_listener(family, SOCK_STREAM, &ss, &len);

	fds[0] = t_connect_to(&ss, len, SOCK_STREAM);
	fds[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (fds[1] < 0)
		t_fail("accept: %s", strerror(errno));
	close(l);
}

/* Two UDP sockets on loopback, each connected to the other. */
static inline void t_udp_pair(int family, int fds[2])
{
	struct sockaddr_storage a, b;
	socklen_t la, lb;
	int i;

	for (i = 0; i < 2; i++) {
		fds[i] = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			t_fail("socket(udp): %s", strerror(errno));
	}
	t_loopback_addr(family, &a, &la);
	t_loopback_addr(family, &b, &lb);
	if (bind(fds[0], (struct sockaddr *)&a, la) < 0 ||
	    bind(fds[1], (struct sockaddr *)&b, lb) < 0)
		t_fail("bind(udp): %s", strerror(errno));
	la = lb = sizeof(a);
	getsockname(fds[0], (struct sockaddr *)&a, &la);
	getsockname(fds[1], (struct sockaddr *)&b, &lb);
	if (connect(fds[0], (struct sockaddr *)&b, lb) < 0 ||
	    connect(fds[1], (struct sockaddr *)&a, la) < 0)
		t_fail("connect(udp): %s", strerror(errno));
}

static inline void t_unix_pair(int type, int fds[2])
{
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) < 0)
		t_fail("socketpair: %s", strerror(errno));
}

/* Readable within ms milliseconds? */
static inline int t_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* The port of an inet address (0 for Unix). */
static inline int t_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* Submit one prepared SQE (user_data ud) and return the CQE's res. */
#define t_sqe_ud(sqe, ud) ((sqe)->user_data = (ud))

/* Fill fd's send path until it would block (until it stays full: what
 * leaves for the peer frees room again; ever smaller sends, since a short
 * one may fit where a long one does not). */
static inline void t_fill_sndbuf(int fd)
{
	static char junk[4096];

	for (int quiet = 0, i = 0; quiet < 3 && i < 500; i++) {
		int sent = 0;

		for (size_t len = sizeof(junk); len; len /= 8)
			while (send(fd, junk, len, MSG_DONTWAIT) > 0)
				sent = 1;
		quiet = sent ? 0 : quiet + 1;
		usleep(5000);
	}
}

/* A thread reading want bytes from fd into data (t_reader_fn). */
struct t_reader {
	int fd;
	size_t want, got;
	char *data;
};

static inline void *t_reader_fn(void *arg)
{
	struct t_reader *r = arg;

	while (r->got < r->want) {
		ssize_t n;

		if (!t_readable(r->fd, 5000))
			break;
		n = recv(r->fd, r->data + r->got, r->want - r->got, 0);
		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	return NULL;
}

#endif
