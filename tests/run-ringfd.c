/* SPDX-License-Identifier: MIT */
/*
 * Description: under ursa-run a ring fd behaves like the kernel's in the
 * ways programs use besides the three syscalls.  dup(), fcntl(F_DUPFD_
 * CLOEXEC) and dup2() (into the ring range and below it) of a ring fd give
 * fds that name the same ring: enter and mmap work through them, the ring
 * outlives the close of its first fd and ends with its last name.  poll()
 * and epoll on a ring fd report CQ readiness (POLLIN with CQEs to reap,
 * not after they are reaped; POLLOUT with SQ room) and wake up when a CQE
 * arrives.  A provided-buffer ring (IOU_PBUF_RING_MMAP) is mapped with a
 * raw mmap of the ring fd at IORING_OFF_PBUF_RING | bgid << 16 and used by
 * a buffer-select read.  With RLIMIT_NOFILE lowered below the ring fd
 * range, io_uring_setup fails with EMFILE (the kernel's answer when no fd
 * is left).  The same child runs on the kernel's io_uring where it works.
 */
/* ursa's uAPI header (same guard as the kernel's, which is older here):
 * it has the provided-buffer ring mmap definitions */
#include <liburing/io_uring.h>
#include "run-driver.h"

#include <sys/epoll.h>
#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("line %d: ", __LINE__);			\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			return 1;					\
		}							\
	} while (0)

/* enter on fd (any name of the ring r) with one NOP. */
static int nop_via(struct rring *r, int fd)
{
	struct io_uring_sqe *sqe = rr_sqe(r);
	unsigned long long ud;
	long ret;

	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = 0x4e4f50;
	ret = rr_enter(fd, 1, 1, IORING_ENTER_GETEVENTS);
	if (ret != 1)
		return (int)(ret < 0 ? ret : -EIO);
	return rr_reap(r, &ud) == 0 && ud == 0x4e4f50 ? 0 : -EPROTO;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A TIMEOUT of ms milliseconds, submitted without waiting. */
static int submit_timeout(struct rring *r, struct __kernel_timespec *ts, long ms)
{
	struct io_uring_sqe *sqe = rr_sqe(r);

	ts->tv_sec = 0;
	ts->tv_nsec = ms * 1000000;
	sqe->opcode = IORING_OP_TIMEOUT;
	sqe->addr = (unsigned long)ts;
	sqe->len = 1;
	sqe->user_data = 0x7173;
	return rr_enter(r->fd, 1, 0, 0) == 1 ? 0 : -1;
}

static int dup_test(void)
{
	struct rring r;
	int d1, d2, low = 200;
	long ret;
	void *m;

	CHECK(rr_init(&r, 8) == 0, "setup");
	d1 = dup(r.fd);
	CHECK(d1 >= 0, "dup: %s", strerror(errno));
	d2 = fcntl(r.fd, F_DUPFD_CLOEXEC, 10);
	CHECK(d2 >= 10, "F_DUPFD_CLOEXEC: %s", strerror(errno));
	CHECK(fcntl(d2, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC lost cloexec");
	CHECK(dup2(r.fd, low) == low, "dup2 to %d: %s", low, strerror(errno));
	CHECK(nop_via(&r, r.fd) == 0, "nop via the ring fd");
	CHECK(nop_via(&r, d1) == 0, "nop via dup()");
	CHECK(nop_via(&r, d2) == 0, "nop via F_DUPFD_CLOEXEC");
	CHECK(nop_via(&r, low) == 0, "nop via dup2() to %d", low);
	/* mmap through a dup: the same SQ ring */
	m = mmap(NULL, r.sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, d1,
		 IORING_OFF_SQ_RING);
	CHECK(m != MAP_FAILED, "mmap via dup: %s", strerror(errno));
	CHECK(*(unsigned *)((char *)m + ((char *)r.sq_tail - (char *)r.sq_map)) ==
	      *r.sq_tail, "mmap via dup shows another SQ");
	munmap(m, r.sq_len);
	/* the ring outlives its first fd */
	CHECK(close(r.fd) == 0, "close(ring fd)");
	CHECK(rr_enter(r.fd, 0, 0, 0) == -EBADF, "closed fd still enters");
	CHECK(nop_via(&r, d1) == 0, "nop via dup() after closing the first fd");
	CHECK(close(d1) == 0, "close(dup)");
	CHECK(nop_via(&r, low) == 0, "nop via the low dup2()");
	CHECK(close(low) == 0, "close(low dup)");
	ret = rr_enter(low, 0, 0, 0);
	CHECK(ret == -EBADF, "closed low name still enters: %ld", ret);
	CHECK(nop_via(&r, d2) == 0, "nop via the last name");
	CHECK(close(d2) == 0, "close(last name)");
	CHECK(rr_enter(d2, 0, 0, 0) == -EBADF, "closed last name still enters");
	rr_unmap(&r);
	printf("dup ok\n");
	return 0;
}

static int poll_test(void)
{
	struct __kernel_timespec ts;
	struct pollfd p;
	struct rring r;
	struct timespec t0;
	long el;
	int n;

	CHECK(rr_init(&r, 8) == 0, "setup");
	p = (struct pollfd){ .fd = r.fd, .events = POLLIN };
	n = poll(&p, 1, 0);
	CHECK(n == 0, "poll(POLLIN) on an idle ring: %d revents %#x", n, p.revents);
	p.events = POLLIN | POLLOUT;
	n = poll(&p, 1, 0);
	CHECK(n == 1 && p.revents == POLLOUT, "poll(POLLIN|POLLOUT): %d %#x",
	      n, p.revents);
	/* a CQE arriving while poll sleeps wakes it */
	CHECK(submit_timeout(&r, &ts, 60) == 0, "timeout submit");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p.events = POLLIN;
	n = poll(&p, 1, 5000);
	el = ms_since(&t0);
	CHECK(n == 1 && (p.revents & POLLIN), "poll woke with %d %#x", n,
	      p.revents);
	CHECK(el >= 30 && el < 3000, "poll woke after %ld ms (timeout 60 ms)", el);
	CHECK(rr_reap(&r, NULL) == -ETIME, "timeout CQE");
	n = poll(&p, 1, 0);
	CHECK(n == 0, "poll after reaping: %d %#x", n, p.revents);
	/* ppoll with a timeout and nothing coming */
	{
		struct timespec tmo = { 0, 50 * 1000000 };

		clock_gettime(CLOCK_MONOTONIC, &t0);
		n = ppoll(&p, 1, &tmo, NULL);
		el = ms_since(&t0);
		CHECK(n == 0 && el >= 30, "ppoll timeout: %d after %ld ms", n, el);
	}
	rr_unmap(&r);
	close(r.fd);
	printf("poll ok\n");
	return 0;
}

/* The kernel's task work (a TIMEOUT completing) can interrupt epoll_wait
 * with EINTR, as a signal would: programs retry, and so does this. */
static int epwait(int ep, struct epoll_event *out, int n, int ms)
{
	int r;

	do
		r = epoll_wait(ep, out, n, ms);
	while (r < 0 && errno == EINTR);
	return r;
}

static int epoll_test(void)
{
	struct __kernel_timespec ts;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xabcdef };
	struct epoll_event out[4];
	struct rring r;
	struct timespec t0;
	int ep, n;
	long el;

	CHECK(rr_init(&r, 8) == 0, "setup");
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0, "epoll_create1");
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, r.fd, &ev) == 0,
	      "epoll_ctl(ADD, ring fd): %s", strerror(errno));
	n = epwait(ep, out, 4, 0);
	CHECK(n == 0, "idle ring ready in epoll: %d", n);
	CHECK(submit_timeout(&r, &ts, 60) == 0, "timeout submit");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = epwait(ep, out, 4, 5000);
	el = ms_since(&t0);
	CHECK(n == 1 && out[0].data.u64 == 0xabcdef && (out[0].events & EPOLLIN),
	      "epoll_wait: %d events (data %#llx, %s)", n,
	      n > 0 ? (unsigned long long)out[0].data.u64 : 0ull,
	      strerror(errno));
	CHECK(el >= 30 && el < 3000, "epoll woke after %ld ms (timeout 60 ms)",
	      el);
	/* level-triggered: still ready until reaped */
	n = epwait(ep, out, 4, 0);
	CHECK(n == 1, "unreaped CQE no longer ready: %d", n);
	CHECK(rr_reap(&r, NULL) == -ETIME, "timeout CQE");
	n = epwait(ep, out, 4, 0);
	CHECK(n == 0, "reaped ring still ready in epoll: %d", n);
	n = epwait(ep, out, 4, 50);
	CHECK(n == 0, "reaped ring ready in epoll after a wait: %d", n);
	/* a NOP completes at once: ready again */
	{
		struct io_uring_sqe *sqe = rr_sqe(&r);

		sqe->opcode = IORING_OP_NOP;
		CHECK(rr_enter(r.fd, 1, 0, 0) == 1, "nop submit");
	}
	n = epwait(ep, out, 4, 1000);
	CHECK(n == 1, "NOP CQE not reported: %d", n);
	CHECK(rr_reap(&r, NULL) == 0, "nop CQE");
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, r.fd, NULL) == 0,
	      "epoll_ctl(DEL): %s", strerror(errno));
	close(ep);
	rr_unmap(&r);
	close(r.fd);
	printf("epoll ok\n");
	return 0;
}

/* Provided buffers: the ring mapped by a raw mmap of the ring fd. */
static int pbuf_test(void)
{
	enum { BGID = 3, NBUF = 8, BLEN = 64 };
	struct io_uring_buf_reg reg;
	struct io_uring_buf_ring *br;
	static char bufs[NBUF][BLEN];
	struct rring r;
	unsigned long long ud;
	unsigned bid;
	int pfd[2], res;
	struct io_uring_sqe *sqe;
	size_t len = NBUF * sizeof(struct io_uring_buf);

	CHECK(rr_init(&r, 8) == 0, "setup");
	memset(&reg, 0, sizeof(reg));
	reg.ring_entries = NBUF;
	reg.bgid = BGID;
	reg.flags = IOU_PBUF_RING_MMAP;
	res = (int)rr_register(r.fd, IORING_REGISTER_PBUF_RING, &reg, 1);
	if (res == -EINVAL) {
		printf("note: IOU_PBUF_RING_MMAP refused (EINVAL); pbuf skipped\n");
		return 0;
	}
	CHECK(res == 0, "REGISTER_PBUF_RING: %d", res);
	br = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  r.fd, (off_t)(IORING_OFF_PBUF_RING |
				((unsigned long long)BGID << IORING_OFF_PBUF_SHIFT)));
	CHECK(br != MAP_FAILED, "mmap of the pbuf ring: %s", strerror(errno));
	for (unsigned i = 0; i < NBUF; i++) {
		br->bufs[i].addr = (unsigned long)bufs[i];
		br->bufs[i].len = BLEN;
		br->bufs[i].bid = (unsigned short)(100 + i);
	}
	__atomic_store_n(&br->tail, NBUF, __ATOMIC_RELEASE);
	CHECK(pipe(pfd) == 0, "pipe");
	CHECK(write(pfd[1], "provided", 8) == 8, "write");
	sqe = rr_sqe(&r);
	sqe->opcode = IORING_OP_READ;
	sqe->fd = pfd[0];
	sqe->len = BLEN;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 9;
	CHECK(rr_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS) == 1, "enter read");
	{
		unsigned head = *r.cq_head;
		struct io_uring_cqe *cqe = &r.cqes[head & *r.cq_mask];

		res = cqe->res;
		ud = cqe->user_data;
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		CHECK(cqe->flags & IORING_CQE_F_BUFFER, "no buffer in the CQE "
		      "(res %d)", res);
		__atomic_store_n(r.cq_head, head + 1, __ATOMIC_RELEASE);
	}
	CHECK(res == 8 && ud == 9, "read res %d", res);
	CHECK(bid >= 100 && bid < 100 + NBUF && !memcmp(bufs[bid - 100], "provided", 8),
	      "buffer %u does not hold the data", bid);
	munmap(br, len);
	close(pfd[0]);
	close(pfd[1]);
	rr_unmap(&r);
	close(r.fd);
	printf("pbuf ok (buffer %u)\n", bid);
	return 0;
}

/* Ring fds cannot be placed once RLIMIT_NOFILE is below the range. */
static int emfile_test(void)
{
	const char *base = getenv("URSA_RUN_FD_BASE");
	struct io_uring_params p;
	struct rlimit rl;
	long fd;

	if (!base) {
		printf("note: not under ursa-run; EMFILE check skipped\n");
		return 0;
	}
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	rl.rlim_cur = 256;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
	memset(&p, 0, sizeof(p));
	fd = rr_setup(4, &p);
	CHECK(fd == -EMFILE, "setup with RLIMIT_NOFILE below the ring range: "
	      "%ld, want -EMFILE", fd);
	printf("emfile ok\n");
	return 0;
}

static int child(void)
{
	if (dup_test() || poll_test() || epoll_test() || pbuf_test() ||
	    emfile_test())
		return 1;
	printf("child ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct drv_result res;
	const char *deny, *urun;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
#ifdef UNDER_SANITIZER
	drv_skip("ursa-run is not built with sanitizers");
#endif
	drv_init();
	deny = drv_tool("deny-io_uring");
	urun = drv_tool("ursa-run");
	if (access(urun, X_OK))
		drv_skip("%s is not built", urun);
	drv_need_seccomp();
	{
		const char *a[] = { deny, urun, "--backend=ursa", drv_self,
				    "--child", NULL };
		const char *env[] = { "URSA_LOG=1", NULL };
		const char *want[] = { "duplicated to", "dup ok", "poll ok",
				       "epoll ok", "pbuf ok", "emfile ok",
				       "child ok", NULL };

		drv_run_prog(&res, 60, env, a);
		drv_expect("ring fds under deny + ursa-run", &res, 0, want);
	}
	{
		const char *a[] = { deny, urun, "--backend=ursa", "--signals=wrap",
				    drv_self, "--child", NULL };
		const char *want[] = { "child ok", NULL };

		drv_run_prog(&res, 60, NULL, a);
		drv_expect("ring fds, --signals=wrap", &res, 0, want);
	}
	if (drv_kernel_io_uring()) {
		const char *a[] = { drv_self, "--child", NULL };
		const char *env[] = { "-URSA_RUN_FD_BASE", NULL };
		const char *want[] = { "child ok", NULL };

		drv_run_prog(&res, 60, env, a);
		drv_expect("the same child on the kernel's io_uring", &res, 0,
			   want);
	}
	return drv_failed;
}
