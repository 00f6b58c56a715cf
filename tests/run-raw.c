/* SPDX-License-Identifier: MIT */
/*
 * Description: ursa-run serves a program that makes the io_uring syscalls
 * itself (no liburing), both through libc's syscall() (interposed) and by
 * its own syscall instructions (trapped): setup, mmap of the rings at the
 * kernel's offsets (three maps unless IORING_FEAT_SINGLE_MMAP),
 * NOP/WRITE/READ/READ_FIXED,
 * the probe, registered buffers, close() tearing the ring down.  Under a
 * Docker-like filter (deny-io_uring: EPERM) the program fails without
 * ursa-run and passes with it; with --backend=auto it gets ursa there and
 * the kernel where the kernel works; URSA_LOG says which and why.
 */
#include "run-driver.h"

#define CHILD_EPERM	3	/* the subject's exit code for "io_uring refused" */

static int subject(void)
{
	struct rring r;
	char path[PATH_MAX], wbuf[8192], rbuf[8192], fbuf[4096];
	const char *tmp = getenv("TMPDIR");
	struct io_uring_probe *probe;
	struct iovec iov = { fbuf, sizeof(fbuf) };
	unsigned long long ud;
	long ret;
	int fd, res;
	const char *base;

	ret = rr_init(&r, 8);
	if (ret) {
		printf("io_uring_setup: %s\n", strerror((int)-ret));
		return ret == -EPERM ? CHILD_EPERM : 1;
	}
	printf("ring fd %d backend=%s features=0x%x single_mmap=%d\n", r.fd,
	       rr_backend(r.fd), r.features,
	       !!(r.features & IORING_FEAT_SINGLE_MMAP));
	base = getenv("URSA_RUN_FD_BASE");
	if (!strcmp(rr_backend(r.fd), "ursa") && base && r.fd < atoi(base)) {
		printf("ring fd %d below the reserved base %s\n", r.fd, base);
		return 1;
	}

	if (rr_nops(&r, 4)) {
		printf("nops failed\n");
		return 1;
	}

	snprintf(path, sizeof(path), "%s/run-raw.XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	unlink(path);
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (char)(i * 7 + 3);

	/* WRITE linked to READ of the same range */
	{
		struct io_uring_sqe *w = rr_sqe(&r), *rd;

		w->opcode = IORING_OP_WRITE;
		w->fd = fd;
		w->addr = (unsigned long)wbuf;
		w->len = sizeof(wbuf);
		w->flags = IOSQE_IO_LINK;
		w->user_data = 1;
		rd = rr_sqe(&r);
		rd->opcode = IORING_OP_READ;
		rd->fd = fd;
		rd->addr = (unsigned long)rbuf;
		rd->len = sizeof(rbuf);
		rd->user_data = 2;
	}
	ret = rr_enter(r.fd, 2, 2, IORING_ENTER_GETEVENTS);
	if (ret != 2) {
		printf("enter(write+read): %ld\n", ret);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		res = rr_reap(&r, &ud);
		if (res != (int)sizeof(wbuf)) {
			printf("cqe %llu: res %d\n", ud, res);
			return 1;
		}
	}
	if (memcmp(wbuf, rbuf, sizeof(wbuf))) {
		printf("read back differs\n");
		return 1;
	}

	/* the probe: truthful, claims READ */
	probe = calloc(1, sizeof(*probe) + 256 * sizeof(struct io_uring_probe_op));
	ret = rr_register(r.fd, IORING_REGISTER_PROBE, probe, 256);
	if (ret < 0 || probe->last_op < IORING_OP_READ ||
	    !(probe->ops[IORING_OP_READ].flags & IO_URING_OP_SUPPORTED)) {
		printf("probe: %ld\n", ret);
		return 1;
	}
	free(probe);

	/* registered buffer and READ_FIXED */
	ret = rr_register(r.fd, IORING_REGISTER_BUFFERS, &iov, 1);
	if (ret) {
		printf("register buffers: %ld\n", ret);
		return 1;
	}
	{
		struct io_uring_sqe *sqe = rr_sqe(&r);

		sqe->opcode = IORING_OP_READ_FIXED;
		sqe->fd = fd;
		sqe->addr = (unsigned long)fbuf;
		sqe->len = sizeof(fbuf);
		sqe->off = 4096;
		sqe->buf_index = 0;
		sqe->user_data = 3;
	}
	ret = rr_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS);
	res = rr_reap(&r, &ud);
	if (ret != 1 || res != 4096 || memcmp(fbuf, wbuf + 4096, 4096)) {
		printf("read_fixed: enter %ld res %d\n", ret, res);
		return 1;
	}
	close(fd);

	/* an fd that is no ring: the kernel's answers */
	if (rr_enter(0, 0, 0, 0) != -EOPNOTSUPP ||
	    rr_enter(12345, 0, 0, 0) != -EBADF) {
		printf("enter on non-ring fds: %ld %ld\n", rr_enter(0, 0, 0, 0),
		       rr_enter(12345, 0, 0, 0));
		return 1;
	}

	/* close() ends the ring; the fd is gone */
	rr_unmap(&r);
	if (close(r.fd)) {
		printf("close(ring): %s\n", strerror(errno));
		return 1;
	}
	ret = rr_enter(r.fd, 0, 0, 0);
	if (ret != -EBADF) {
		printf("enter after close: %ld\n", ret);
		return 1;
	}
	return 0;
}

/* Everything twice: through libc's syscall() (interposed under ursa-run)
 * and by syscall instructions of this program (trapped under ursa-run). */
static int child(void)
{
	int ret = subject();

	if (ret)
		return ret;
	printf("libc syscall() ok\n");
	rr_asm = true;
	ret = subject();
	if (ret)
		return ret;
	printf("syscall instruction ok\n");
	printf("child ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct drv_result res;
	const char *deny = NULL, *urun = NULL;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
	drv_init();
	deny = drv_tool("deny-io_uring");
	urun = drv_tool("ursa-run");
	drv_need_seccomp();

	{
		const char *a[] = { deny, drv_self, "--child", NULL };
		const char *want[] = { "Operation not permitted", NULL };

		drv_run_prog(&res, 20, NULL, a);
		drv_expect("deny-io_uring alone: EPERM", &res, CHILD_EPERM, want);
	}
	{
		const char *a[] = { deny, urun, "--backend=ursa", drv_self,
				    "--child", NULL };
		const char *env[] = { "URSA_LOG=1", NULL };
		const char *want[] = { "backend=ursa", "single_mmap=0",
				       "served by ursa (--backend=ursa; libc "
				       "syscall())", "served by ursa "
				       "(--backend=ursa; trapped io_uring_setup)",
				       "closed: ursa tears the ring down",
				       "libc syscall() ok", "syscall instruction ok",
				       "child ok", NULL };

		drv_run_prog(&res, 20, env, a);
		drv_expect("deny + ursa-run --backend=ursa", &res, 0, want);
	}
	{
		const char *a[] = { deny, urun, drv_self, "--child", NULL };
		const char *env[] = { "URSA_LOG=1", NULL };
		const char *want[] = { "backend=ursa", "served by ursa (auto: "
				       "the kernel refused io_uring_setup "
				       "(Operation not permitted", "child ok",
				       NULL };

		drv_run_prog(&res, 20, env, a);
		drv_expect("deny + ursa-run (auto)", &res, 0, want);
	}
	{
		const char *a[] = { deny, urun, "--backend=kernel", drv_self,
				    "--child", NULL };
		const char *want[] = { "Operation not permitted", NULL };

		drv_run_prog(&res, 20, NULL, a);
		drv_expect("deny + ursa-run --backend=kernel: EPERM", &res,
			   CHILD_EPERM, want);
	}
	{
		const char *a[] = { deny, urun, "--signals=wrap", drv_self,
				    "--child", NULL };
		const char *want[] = { "backend=ursa", "child ok", NULL };

		drv_run_prog(&res, 20, NULL, a);
		drv_expect("deny + ursa-run --signals=wrap", &res, 0, want);
	}
	if (drv_kernel_io_uring()) {
		const char *a[] = { urun, drv_self, "--child", NULL };
		const char *env[] = { "URSA_LOG=1", NULL };
		const char *want[] = { "backend=kernel", "served by the kernel "
				       "(auto: the kernel's io_uring works",
				       "child ok", NULL };

		drv_run_prog(&res, 20, env, a);
		drv_expect("ursa-run (auto) where the kernel works", &res, 0,
			   want);
	} else {
		printf("note: the kernel refuses io_uring here; auto->kernel "
		       "not checked\n");
	}
	{
		/* where seccomp() is refused: a clear message, exit 98, from
		 * the launcher's check and from the preload's own */
		const char *a[] = { deny, "-s", urun, drv_self, "--child", NULL };
		const char *want[] = { "refuses prctl(PR_SET_NO_NEW_PRIVS) or "
				       "seccomp() (Operation not permitted)", NULL };
		char pre[2 * PATH_MAX + 80];
		/* (env sets LD_PRELOAD after deny-io_uring, not for it) */
		const char *b[] = { deny, "-s", "/usr/bin/env", pre, drv_self,
				    "--child", NULL };
		const char *want2[] = { "seccomp(SECCOMP_SET_MODE_FILTER) refused "
					"(Operation not permitted)", NULL };

		drv_run_prog(&res, 20, NULL, a);
		drv_expect("seccomp refused: ursa-run says so, exit 98", &res,
			   98, want);
		snprintf(pre, sizeof(pre), "LD_PRELOAD=%s:%s",
			 drv_tool("libursa-preload.so"), drv_tool("liburing.so.2"));
		drv_run_prog(&res, 20, NULL, b);
		drv_expect("seccomp refused: the preload says so, exit 98", &res,
			   98, want2);
	}
	{
		/* a ring fd base chosen by the user */
		const char *a[] = { deny, urun, drv_self, "--child", NULL };
		const char *env[] = { "URSA_RUN_FD_BASE=700", NULL };
		const char *want[] = { "ring fd 700 ", "child ok", NULL };

		drv_run_prog(&res, 20, env, a);
		drv_expect("URSA_RUN_FD_BASE=700", &res, 0, want);
	}
	return drv_failed;
}
