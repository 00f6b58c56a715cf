/* SPDX-License-Identifier: MIT */
/*
 * Description: a program built against Debian's liburing 2.3 (system
 * <liburing.h>, linked -luring, nothing of ursa's) runs on ursa unchanged:
 * through the drop-in liburing.so.2 (LD_LIBRARY_PATH) and through ursa-run,
 * under a Docker-like filter that answers the io_uring syscalls with EPERM,
 * where the same binary fails without them.  The subject writes and reads
 * a file with linked ops, readv, registered buffers and files, asks the
 * probe, and checks what served its ring.
 */
#include <liburing.h>
#include <link.h>
#include "run-driver.h"

#define CHILD_EPERM	3

/* Which liburing.so.2 is mapped: Debian's, or ursa's drop-in. */
static int which_lib(struct dl_phdr_info *info, size_t size, void *data)
{
	const char **out = data;

	(void)size;
	if (strstr(info->dlpi_name, "liburing.so.2"))
		*out = strstr(info->dlpi_name, "/run/liburing.so.2") ? "ursa" :
		       "system";
	return 0;
}

static int child(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring_probe *probe;
	char path[PATH_MAX], wbuf[16384], rbuf[16384], b2[4096];
	struct iovec iov[2] = { { rbuf, 8192 }, { rbuf + 8192, 8192 } };
	struct iovec fixed = { b2, sizeof(b2) };
	const char *tmp = getenv("TMPDIR"), *lib = "?";
	int fd, ret;

	dl_iterate_phdr(which_lib, &lib);
	ret = io_uring_queue_init(16, &ring, 0);
	if (ret < 0) {
		printf("io_uring_queue_init: %s (liburing=%s)\n", strerror(-ret),
		       lib);
		return ret == -EPERM ? CHILD_EPERM : 1;
	}
	printf("liburing=%s backend=%s\n", lib, rr_backend(ring.ring_fd));

	snprintf(path, sizeof(path), "%s/run-liburing.XXXXXX",
		 tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	unlink(path);
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (char)(i * 13 + 5);

	/* write -> readv, linked */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, wbuf, sizeof(wbuf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, iov, 2, 0);
	sqe->user_data = 2;
	ret = io_uring_submit_and_wait(&ring, 2);
	if (ret != 2) {
		printf("submit_and_wait: %d\n", ret);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret || cqe->res != (int)sizeof(wbuf)) {
			printf("cqe %d: ret %d res %d\n", i, ret, ret ? 0 : cqe->res);
			return 1;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	if (memcmp(wbuf, rbuf, sizeof(wbuf))) {
		printf("readv data differs\n");
		return 1;
	}

	/* the probe */
	probe = io_uring_get_probe_ring(&ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_READ)) {
		printf("probe does not claim READ\n");
		return 1;
	}
	io_uring_free_probe(probe);

	/* registered file + registered buffer: READ_FIXED on fixed file 0 */
	ret = io_uring_register_files(&ring, &fd, 1);
	if (!ret)
		ret = io_uring_register_buffers(&ring, &fixed, 1);
	if (ret) {
		printf("register: %s\n", strerror(-ret));
		return 1;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, 0, b2, sizeof(b2), 8192, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	ret = io_uring_submit(&ring);
	if (ret == 1)
		ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret || cqe->res != (int)sizeof(b2) ||
	    memcmp(b2, wbuf + 8192, sizeof(b2))) {
		printf("read_fixed: ret %d\n", ret);
		return 1;
	}
	io_uring_cqe_seen(&ring, cqe);
	io_uring_unregister_buffers(&ring);
	io_uring_unregister_files(&ring);

	/* a NOP through io_uring_wait_cqe_timeout */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	io_uring_submit(&ring);
	{
		struct __kernel_timespec ts = { .tv_sec = 5 };

		ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
		if (ret || cqe->res) {
			printf("nop: %d\n", ret);
			return 1;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	close(fd);
	printf("child ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct drv_result res;
	const char *deny, *urun;
	char libpath[PATH_MAX + 32];

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
	drv_init();
	deny = drv_tool("deny-io_uring");
	urun = drv_tool("ursa-run");
	drv_need_seccomp();
	snprintf(libpath, sizeof(libpath), "LD_LIBRARY_PATH=%s", drv_run);

	{
		const char *a[] = { deny, drv_self, "--child", NULL };
		const char *want[] = { "Operation not permitted", "liburing=system",
				       NULL };

		drv_run_prog(&res, 20, NULL, a);
		drv_expect("Debian liburing under deny-io_uring: EPERM", &res,
			   CHILD_EPERM, want);
	}
	{
		const char *a[] = { deny, drv_self, "--child", NULL };
		const char *env[] = { libpath, "URSA_BACKEND=ursa", NULL };
		const char *want[] = { "liburing=ursa backend=ursa", "child ok",
				       NULL };

		drv_run_prog(&res, 20, env, a);
		drv_expect("drop-in liburing.so.2 (LD_LIBRARY_PATH) under deny",
			   &res, 0, want);
	}
	{
		const char *a[] = { deny, urun, "--backend=ursa", drv_self,
				    "--child", NULL };
		const char *env[] = { "URSA_LOG=1", NULL };
		const char *want[] = { "liburing=ursa backend=ursa",
				       "served by ursa (--backend=ursa; liburing API)",
				       "child ok", NULL };

		drv_run_prog(&res, 20, env, a);
		drv_expect("ursa-run --backend=ursa under deny", &res, 0, want);
	}
	{
		const char *a[] = { deny, urun, drv_self, "--child", NULL };
		const char *want[] = { "liburing=ursa backend=ursa", "child ok",
				       NULL };

		drv_run_prog(&res, 20, NULL, a);
		drv_expect("ursa-run (auto) under deny", &res, 0, want);
	}
	if (drv_kernel_io_uring()) {
		const char *a[] = { urun, drv_self, "--child", NULL };
		const char *want[] = { "liburing=system backend=kernel",
				       "child ok", NULL };

		drv_run_prog(&res, 20, NULL, a);
		drv_expect("ursa-run (auto) where the kernel works", &res, 0,
			   want);
	} else {
		printf("note: the kernel refuses io_uring here; auto->kernel "
		       "not checked\n");
	}
	return drv_failed;
}
