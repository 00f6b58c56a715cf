/* SPDX-License-Identifier: MIT */
/*
 * echo-server: a TCP echo server written against the liburing API.
 *
 *   echo-server [options] [PORT]          (PORT 0 or absent: ephemeral)
 *
 * One thread, one ring:
 *  - one multishot ACCEPT on the listening socket yields every connection;
 *  - one multishot RECV per connection, drawing buffers from a provided
 *    buffer ring (IOSQE_BUFFER_SELECT); the buffer id comes back in the
 *    CQE flags;
 *  - the received bytes are sent back straight from that buffer (SEND;
 *    SENDMSG gathering several buffers when more have queued up), one
 *    send in flight per connection so the bytes keep their order, and a
 *    buffer goes back to the ring only once it has been sent in full.
 * A multishot request whose CQE lacks IORING_CQE_F_MORE has ended and is
 * armed again (after -ENOBUFS, once buffers have been returned).
 *
 * The same binary runs on ursa (the default) and on the kernel's io_uring:
 * --backend selects which one serves the ring; nothing else changes.
 * It listens on 127.0.0.1 only and prints "listening on 127.0.0.1:PORT".
 * SIGINT or SIGTERM stops it; it then prints a summary to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
/* Only to choose the backend: without ursa this builds on liburing >= 2.4. */
#if defined(__has_include)
#if __has_include(<ursa/ursa.h>)
#include <ursa/ursa.h>
#define HAVE_URSA 1
#endif
#endif

#define BGID		7	/* our buffer group; any 16-bit number */
#define MAX_IOV		16	/* buffers gathered into one sendmsg */

/* user_data: operation in the top byte, socket fd in the low 32 bits. */
enum { OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3 };
#define UD(op, fd)	(((uint64_t) (op) << 56) | (uint32_t) (fd))
#define UD_OP(ud)	((unsigned) ((ud) >> 56))
#define UD_FD(ud)	((int) (uint32_t) (ud))

/*
 * Per connection, indexed by fd.  The fd is closed only when no request
 * on it is in flight, so its number cannot be reused (and a CQE misrouted
 * to a new connection) while a CQE for the old one may still come.
 */
struct conn {
	bool		open;
	bool		recv_armed;	/* a multishot recv is in flight */
	bool		send_inflight;	/* at most one, to keep byte order */
	bool		closing;	/* stop reading; close when idle */
	bool		failed;		/* hard error: drop unsent data */
	bool		parked;		/* recv waits for buffers (-ENOBUFS) */
	int		q_head, q_tail;	/* buffers to send, via buf_next[] */
	unsigned	q_off;		/* bytes of q_head already sent */
	unsigned	inflight;	/* bytes in the send in flight */
	int		park_next;
	struct sendvec	*sv;		/* kept across reuse of the fd */
};

/*
 * Several queued buffers go out in one SENDMSG.  Its msghdr and iovecs
 * live apart from the conns[] array, which may move when it grows, and
 * stay untouched until the send completes.
 */
struct sendvec {
	struct msghdr	msg;
	struct iovec	iov[MAX_IOV];
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static unsigned nbufs = 1024, buf_size = 16384;
static unsigned char *buf_base;
static int *buf_next;		/* send queue links, per buffer id */
static unsigned *buf_len;	/* bytes received into each buffer */
static unsigned bufs_held;	/* buffers out of the ring, held by us */
static unsigned pending_adds;	/* returned but not yet published */

static struct conn *conns;
static int nconns_cap;
static int park_head = -1, park_tail = -1;	/* FIFO of connections
						 * waiting for buffers */
static int listen_fd = -1;
static bool verbose;
static volatile sig_atomic_t stop;

static struct {
	unsigned long long accepted, closed, recvs, sends, short_sends;
	unsigned long long bytes, enobufs, recv_rearms, accept_rearms;
	unsigned long long gathered, park_timeouts;
	unsigned long long conn_errors;
} st;

static void on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "echo-server: %s: %s\n", what, strerror(err));
	exit(1);
}

static struct io_uring_sqe *get_sqe(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe) {
		/* SQ full: hand what we have to the ring and try again. */
		int ret = io_uring_submit(&ring);

		if (ret < 0 && ret != -EBUSY && ret != -EAGAIN)
			die("io_uring_submit", -ret);
		sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			die("io_uring_get_sqe", EBUSY);
	}
	return sqe;
}

static unsigned char *buf_addr(int bid)
{
	return buf_base + (size_t) bid * buf_size;
}

/* Give buffer bid back to the ring; published at the end of the batch. */
static void buf_return(int bid)
{
	io_uring_buf_ring_add(br, buf_addr(bid), buf_size, (unsigned short) bid,
			      io_uring_buf_ring_mask(nbufs), (int) pending_adds);
	pending_adds++;
	bufs_held--;
}

static void arm_accept(void)
{
	struct io_uring_sqe *sqe = get_sqe();

	io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_ACCEPT, listen_fd));
}

static void arm_recv(int fd)
{
	struct io_uring_sqe *sqe = get_sqe();

	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, UD(OP_RECV, fd));
	conns[fd].recv_armed = true;
}

/*
 * Send what fd has queued, from q_off in the head buffer: one buffer with
 * SEND, several (up to MAX_IOV) with one SENDMSG, rather than one round
 * trip through the ring per buffer when a large message filled several.
 */
static void send_queued(int fd)
{
	struct conn *c = &conns[fd];
	struct io_uring_sqe *sqe;
	int bid = c->q_head;

	if (buf_next[bid] < 0) {
		c->inflight = buf_len[bid] - c->q_off;
		sqe = get_sqe();
		io_uring_prep_send(sqe, fd, buf_addr(bid) + c->q_off,
				   c->inflight, MSG_NOSIGNAL);
	} else {
		struct sendvec *sv = c->sv;
		unsigned n = 0, off = c->q_off;

		if (!sv && !(sv = c->sv = malloc(sizeof(*sv))))
			die("malloc", ENOMEM);
		c->inflight = 0;
		for (; bid >= 0 && n < MAX_IOV; bid = buf_next[bid], n++) {
			sv->iov[n].iov_base = buf_addr(bid) + off;
			sv->iov[n].iov_len = buf_len[bid] - off;
			c->inflight += buf_len[bid] - off;
			off = 0;
		}
		memset(&sv->msg, 0, sizeof(sv->msg));
		sv->msg.msg_iov = sv->iov;
		sv->msg.msg_iovlen = n;
		sqe = get_sqe();
		io_uring_prep_sendmsg(sqe, fd, &sv->msg, MSG_NOSIGNAL);
		st.gathered++;
	}
	io_uring_sqe_set_data64(sqe, UD(OP_SEND, fd));
	c->send_inflight = true;
	st.sends++;
}

static void queue_drop(struct conn *c)
{
	while (c->q_head >= 0) {
		int bid = c->q_head;

		c->q_head = buf_next[bid];
		buf_return(bid);
	}
	c->q_tail = -1;
	c->q_off = 0;
}

/* Close fd once nothing is in flight on it and nothing is left to send. */
static void maybe_close(int fd)
{
	struct conn *c = &conns[fd];

	if (!c->closing || c->recv_armed || c->send_inflight || c->parked ||
	    c->q_head >= 0)
		return;
	close(fd);
	c->open = false;
	st.closed++;
	if (verbose)
		fprintf(stderr, "echo-server: fd %d closed\n", fd);
}

/* A hard error on the connection: drop its data, end its recv, close. */
static void conn_fail(int fd, const char *what, int err)
{
	struct conn *c = &conns[fd];

	if (!c->failed)
		st.conn_errors++;
	if (verbose)
		fprintf(stderr, "echo-server: fd %d: %s: %s\n", fd, what,
			strerror(err));
	if (!c->closing && c->recv_armed)
		shutdown(fd, SHUT_RDWR);	/* the recv then ends with 0 */
	c->closing = true;
	c->failed = true;
	if (!c->send_inflight)
		queue_drop(c);
	maybe_close(fd);
}

/* Errors that mean the ring cannot do what this program needs at all. */
static bool fatal_errno(int err)
{
	return err == EINVAL || err == EOPNOTSUPP || err == ENOSYS ||
	       err == EFAULT || err == EBADF || err == ENOTSOCK;
}

static void grow_conns(int fd)
{
	int cap = nconns_cap ? nconns_cap : 1024;

	while (cap <= fd)
		cap *= 2;
	conns = realloc(conns, (size_t) cap * sizeof(*conns));
	if (!conns)
		die("realloc", ENOMEM);
	memset(conns + nconns_cap, 0,
	       (size_t) (cap - nconns_cap) * sizeof(*conns));
	nconns_cap = cap;
}

static void handle_accept(struct io_uring_cqe *cqe)
{
	int fd = cqe->res;

	if (fd >= 0) {
		int one = 1;
		struct sendvec *sv;
		struct conn *c;

		if (fd >= nconns_cap)
			grow_conns(fd);
		c = &conns[fd];
		sv = c->sv;
		memset(c, 0, sizeof(*c));
		c->sv = sv;
		c->open = true;
		c->q_head = c->q_tail = -1;
		c->park_next = -1;
		/* As the epoll baseline does: small echoes go out at once. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		st.accepted++;
		if (verbose)
			fprintf(stderr, "echo-server: fd %d accepted\n", fd);
		arm_recv(fd);
	} else if (fatal_errno(-fd)) {
		die("multishot accept", -fd);
	} else if (verbose) {
		fprintf(stderr, "echo-server: accept: %s\n", strerror(-fd));
	}
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		st.accept_rearms++;
		arm_accept();
	}
}

/* First come, first served, so that no connection starves. */
static void park(int fd)
{
	conns[fd].parked = true;
	conns[fd].park_next = -1;
	if (park_tail >= 0)
		conns[park_tail].park_next = fd;
	else
		park_head = fd;
	park_tail = fd;
}

static void handle_recv(struct io_uring_cqe *cqe)
{
	int fd = UD_FD(cqe->user_data);
	struct conn *c = &conns[fd];
	int res = cqe->res;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		int bid = (int) (cqe->flags >> IORING_CQE_BUFFER_SHIFT);

		bufs_held++;
		if (res > 0 && !c->closing) {
			/* Append to the send queue; send now if idle. */
			buf_len[bid] = (unsigned) res;
			buf_next[bid] = -1;
			if (c->q_tail >= 0)
				buf_next[c->q_tail] = bid;
			else
				c->q_head = bid;
			c->q_tail = bid;
			st.recvs++;
			if (!c->send_inflight)
				send_queued(fd);
		} else {
			buf_return(bid);
		}
	}
	if (cqe->flags & IORING_CQE_F_MORE)
		return;

	/* The multishot recv has ended: find out why. */
	c->recv_armed = false;
	if (res == -ENOBUFS) {
		/* The group ran dry: wait for buffers to come back. */
		st.enobufs++;
		if (c->closing)
			maybe_close(fd);
		else
			park(fd);
	} else if (res > 0) {
		if (c->closing) {
			maybe_close(fd);
		} else {
			st.recv_rearms++;
			arm_recv(fd);
		}
	} else if (res == 0) {
		/* Peer closed: echo what is queued, then close. */
		c->closing = true;
		maybe_close(fd);
	} else if (fatal_errno(-res)) {
		die("multishot recv", -res);
	} else {
		conn_fail(fd, "recv", -res);
	}
}

static void handle_send(struct io_uring_cqe *cqe)
{
	int fd = UD_FD(cqe->user_data);
	struct conn *c = &conns[fd];
	unsigned left;

	c->send_inflight = false;
	if (cqe->res <= 0) {
		if (cqe->res < 0 && fatal_errno(-cqe->res))
			die("send", -cqe->res);
		conn_fail(fd, "send", cqe->res ? -cqe->res : EPIPE);
		return;
	}
	left = (unsigned) cqe->res;
	st.bytes += left;
	if (left < c->inflight)
		st.short_sends++;	/* the rest goes in the next send */
	/* Return every buffer that has now been sent in full. */
	while (left && c->q_head >= 0) {
		int bid = c->q_head;
		unsigned avail = buf_len[bid] - c->q_off;

		if (left < avail) {
			c->q_off += left;
			break;
		}
		left -= avail;
		c->q_head = buf_next[bid];
		c->q_off = 0;
		buf_return(bid);
	}
	if (c->q_head < 0)
		c->q_tail = -1;
	if (c->failed)
		queue_drop(c);
	if (c->q_head >= 0)
		send_queued(fd);
	else
		maybe_close(fd);
}

/*
 * Buffers came back: let parked connections receive again, one per free
 * buffer (re-arming more would only earn them another -ENOBUFS).
 */
static void unpark(void)
{
	unsigned avail = nbufs - bufs_held;

	while (park_head >= 0 && avail) {
		int fd = park_head;
		struct conn *c = &conns[fd];

		park_head = c->park_next;
		if (park_head < 0)
			park_tail = -1;
		c->parked = false;
		if (c->closing) {
			maybe_close(fd);
		} else {
			st.recv_rearms++;
			arm_recv(fd);
			avail--;
		}
	}
}

static int make_listener(int port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket", errno);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		die("bind 127.0.0.1", errno);
	if (listen(fd, 4096) < 0)
		die("listen", errno);
	if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
		die("getsockname", errno);
	printf("listening on 127.0.0.1:%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

/* DEFER_TASKRUN suits one thread doing all the work; older kernels lack it. */
static void setup_ring(unsigned entries, const char *mode)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = entries * 8;
	if (!strcmp(mode, "defer"))
		p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	else if (!strcmp(mode, "coop"))
		p.flags |= IORING_SETUP_COOP_TASKRUN;
	ret = io_uring_queue_init_params(entries, &ring, &p);
	if (ret == -EINVAL && strcmp(mode, "plain")) {
		fprintf(stderr, "echo-server: setup mode %s refused, using plain\n",
			mode);
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = entries * 8;
		ret = io_uring_queue_init_params(entries, &ring, &p);
	}
	if (ret < 0)
		die("io_uring_queue_init_params", -ret);
}

static void check_opcodes(void)
{
	static const struct { int op; const char *name; } need[] = {
		{ IORING_OP_ACCEPT, "ACCEPT" },
		{ IORING_OP_RECV, "RECV" },
		{ IORING_OP_SEND, "SEND" },
		{ IORING_OP_SENDMSG, "SENDMSG" },
	};
	struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
	size_t i;

	if (!probe)
		return;		/* no probe: find out by trying */
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!io_uring_opcode_supported(probe, need[i].op)) {
			fprintf(stderr, "echo-server: this io_uring does not"
				" support IORING_OP_%s\n", need[i].name);
			exit(1);
		}
	}
	io_uring_free_probe(probe);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: echo-server [options] [PORT]   (PORT 0 or absent: ephemeral)\n"
"  --backend ursa|kernel  which io_uring serves the ring (default: ursa,\n"
"                         or $URSA_BACKEND)\n"
"  --setup defer|coop|plain  ring flags: SINGLE_ISSUER+DEFER_TASKRUN (default),\n"
"                         COOP_TASKRUN, or none\n"
"  --entries N            SQ entries (default 1024; CQ gets 8x)\n"
"  --buffers N            provided buffers, a power of two (default 1024)\n"
"  --buf-size BYTES       size of each buffer (default 16384)\n"
"  -v, --verbose          log connections and errors\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "setup", required_argument, NULL, 's' },
		{ "entries", required_argument, NULL, 'e' },
		{ "buffers", required_argument, NULL, 'n' },
		{ "buf-size", required_argument, NULL, 'z' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *backend = NULL, *mode = "defer";
	unsigned entries = 1024;
	struct sigaction sa;
	int port = 0, opt, ret;
	unsigned i;

	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'b': backend = optarg; break;
		case 's': mode = optarg; break;
		case 'e': entries = (unsigned) strtoul(optarg, NULL, 0); break;
		case 'n': nbufs = (unsigned) strtoul(optarg, NULL, 0); break;
		case 'z': buf_size = (unsigned) strtoul(optarg, NULL, 0); break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		port = atoi(argv[optind]);
	if (port < 0 || port > 65535 || !entries || !buf_size ||
	    !nbufs || nbufs > 32768 || (nbufs & (nbufs - 1)) ||
	    (strcmp(mode, "defer") && strcmp(mode, "coop") &&
	     strcmp(mode, "plain"))) {
		usage(stderr);
		return 2;
	}
	if (backend) {
#ifdef HAVE_URSA
		if (!strcmp(backend, "kernel"))
			ursa_set_backend(URSA_BACKEND_KERNEL);
		else if (!strcmp(backend, "ursa"))
			ursa_set_backend(URSA_BACKEND_URSA);
		else {
			usage(stderr);
			return 2;
		}
#else
		if (strcmp(backend, "kernel")) {
			fprintf(stderr, "echo-server: built without ursa\n");
			return 2;
		}
#endif
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits end in EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	setup_ring(entries, mode);
#ifdef HAVE_URSA
	fprintf(stderr, "echo-server: ring served by %s\n",
		ursa_is_ring_fd(ring.ring_fd) ? "ursa" :
		"the kernel's io_uring");
#endif
	check_opcodes();
	/* Saves the kernel a file lookup per enter; optional. */
	io_uring_register_ring_fd(&ring);

	buf_base = mmap(NULL, (size_t) nbufs * buf_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf_next = calloc(nbufs, sizeof(*buf_next));
	buf_len = calloc(nbufs, sizeof(*buf_len));
	if (buf_base == MAP_FAILED || !buf_next || !buf_len)
		die("allocating buffers", ENOMEM);
	br = io_uring_setup_buf_ring(&ring, nbufs, BGID, 0, &ret);
	if (!br)
		die("io_uring_setup_buf_ring", -ret);
	bufs_held = nbufs;	/* buf_return() counts them back in */
	for (i = 0; i < nbufs; i++)
		buf_return((int) i);
	io_uring_buf_ring_advance(br, (int) pending_adds);
	pending_adds = 0;

	grow_conns(0);
	listen_fd = make_listener(port);
	arm_accept();

	while (!stop) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		if (park_head < 0) {
			ret = io_uring_submit_and_wait(&ring, 1);
		} else {
			/*
			 * Parked receivers normally resume when buffers come
			 * back (below), but the buffers that ended them may
			 * have been returned just before their -ENOBUFS was
			 * seen: so do not sleep for long while any is parked.
			 */
			struct __kernel_timespec ts = { .tv_nsec = 1000000 };

			ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1,
							       &ts, NULL);
			if (ret == -ETIME) {
				st.park_timeouts++;
				unpark();
			}
		}
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN &&
		    ret != -EBUSY && ret != -ETIME)
			die("io_uring_submit_and_wait", -ret);

		io_uring_for_each_cqe(&ring, head, cqe) {
			switch (UD_OP(cqe->user_data)) {
			case OP_ACCEPT: handle_accept(cqe); break;
			case OP_RECV: handle_recv(cqe); break;
			case OP_SEND: handle_send(cqe); break;
			default:
				fprintf(stderr, "echo-server: stray CQE %llx\n",
					(unsigned long long) cqe->user_data);
			}
			seen++;
		}
		io_uring_cq_advance(&ring, seen);
		if (pending_adds) {
			io_uring_buf_ring_advance(br, (int) pending_adds);
			pending_adds = 0;
			/* Re-arming before any came back would just spin. */
			if (park_head >= 0)
				unpark();
		}
	}

	fprintf(stderr,
		"echo-server: %llu connections (%llu closed, %llu errors), "
		"%llu bytes echoed, %llu recvs, %llu sends (%llu gathered, "
		"%llu short), "
		"%llu ENOBUFS (%llu timed retries), %llu recv re-arms, "
		"%llu accept re-arms\n",
		st.accepted, st.closed, st.conn_errors, st.bytes, st.recvs,
		st.sends, st.gathered, st.short_sends, st.enobufs,
		st.park_timeouts, st.recv_rearms,
		st.accept_rearms);
	if (verbose) {
		int fd;

		for (fd = 0; fd < nconns_cap; fd++) {
			struct conn *c = &conns[fd];

			if (c->open)
				fprintf(stderr, "echo-server: fd %d still open:"
					" recv %d send %d closing %d parked %d"
					" queued %d\n", fd, c->recv_armed,
					c->send_inflight, c->closing, c->parked,
					c->q_head >= 0);
		}
		fprintf(stderr, "echo-server: %u of %u buffers held\n",
			bufs_held, nbufs);
	}
	/* Tearing the ring down cancels what is still in flight. */
	io_uring_queue_exit(&ring);
	close(listen_fd);
	return 0;
}
