/* SPDX-License-Identifier: MIT */
/*
 * Description: differential test.  The same script of SQEs (NOPs, injected
 * results, reads with short and EOF results, vectored I/O, failing and short
 * link chains, hard links, CQE_SKIP_SUCCESS, prep failures, invalid opcodes
 * and flags, bad fds and buffers, registered files and buffers, pending pipe
 * reads, sync/fallocate/ftruncate) runs on a kernel ring and on an ursa ring
 * in one process; the submit return values, register return values and CQE
 * streams (user_data, res, flags, order) must be identical.  Where the kernel
 * gives no ordering guarantee between independent requests, a step compares
 * the CQEs as a set (keeping each link chain's own order).  Skipped if the
 * kernel refuses io_uring.
 */
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <ursa/ursa.h>

#include "helpers/helpers.h"

#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT (1U << 0)
#endif

#define MAXREC 512
#define FSIZE 10000

/* One observable event: a submit/register return or a CQE. */
struct rec {
	char kind;		/* 'S' submit, 'R' register/other call, 'C' CQE */
	int step;
	uint64_t ud;
	int res;
	unsigned flags;
};

struct run {
	struct io_uring ring;
	struct rec rec[MAXREC];
	int n;
	int step;
	int fd;			/* pattern file */
	int pfd[2];		/* pipe */
	char buf[8][4096];
};

static void add(struct run *r, char kind, uint64_t ud, int res, unsigned flags)
{
	if (r->n >= MAXREC)
		t_fail("too many records");
	r->rec[r->n++] = (struct rec){ kind, r->step, ud, res, flags };
}

static struct io_uring_sqe *sqe_of(struct run *r, uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&r->ring);

	io_uring_prep_nop(sqe);
	sqe->user_data = ud;
	sqe->flags = (uint8_t)flags;
	return sqe;
}

static void submit(struct run *r)
{
	add(r, 'S', 0, io_uring_submit(&r->ring), 0);
}

/* Collect CQEs until none arrives for a short while. */
static void reap(struct run *r)
{
	struct __kernel_timespec ts = { 0, 20 * 1000000 };
	struct io_uring_cqe *cqe;

	while (io_uring_wait_cqe_timeout(&r->ring, &cqe, &ts) == 0) {
		add(r, 'C', cqe->user_data, cqe->res, cqe->flags);
		io_uring_cqe_seen(&r->ring, cqe);
	}
	r->step++;
}

static void rd(struct run *r, uint64_t ud, int fd, unsigned len, uint64_t off,
	       unsigned flags)
{
	struct io_uring_sqe *sqe = sqe_of(r, ud, flags);

	io_uring_prep_read(sqe, fd, r->buf[ud % 8], len, off);
	sqe->user_data = ud;
	sqe->flags = (uint8_t)flags;
}

/* Steps whose CQE order the kernel does not define: compared as sets. */
static int unordered_step[64];

static void script(struct run *r)
{
	struct io_uring_sqe *sqe;
	struct iovec iov[3];

	/* 0: NOPs. */
	for (int i = 0; i < 4; i++)
		sqe_of(r, 1 + i, 0);
	submit(r);
	reap(r);

	/* 1: injected results. */
	sqe = sqe_of(r, 10, 0);
	sqe->nop_flags = IORING_NOP_INJECT_RESULT;
	sqe->len = 42;
	sqe = sqe_of(r, 11, 0);
	sqe->nop_flags = IORING_NOP_INJECT_RESULT;
	sqe->len = (unsigned)-ENOSPC;
	submit(r);
	reap(r);

	/* 2: reads: full, short at EOF, at EOF, past EOF, length 0. */
	rd(r, 20, r->fd, 4096, 0, 0);
	rd(r, 21, r->fd, 4096, FSIZE - 100, 0);
	rd(r, 22, r->fd, 4096, FSIZE, 0);
	rd(r, 23, r->fd, 4096, 4 * FSIZE, 0);
	rd(r, 24, r->fd, 0, 0, 0);
	submit(r);
	/* Independent requests: the kernel happens to complete these inline
	 * in order, but nothing promises it. */
	unordered_step[r->step] = 1;
	reap(r);

	/* 3: failing link chain. */
	sqe_of(r, 30, IOSQE_IO_LINK);
	rd(r, 31, 1000, 10, 0, IOSQE_IO_LINK);
	sqe_of(r, 32, IOSQE_IO_LINK);
	sqe_of(r, 33, 0);
	submit(r);
	reap(r);

	/* 4: a short read breaks its link; hard link does not. */
	rd(r, 40, r->fd, 200, FSIZE - 50, IOSQE_IO_LINK);
	sqe_of(r, 41, 0);
	submit(r);
	reap(r);
	rd(r, 42, r->fd, 200, FSIZE - 50, IOSQE_IO_HARDLINK);
	rd(r, 43, 1000, 1, 0, IOSQE_IO_HARDLINK);
	sqe_of(r, 44, 0);
	submit(r);
	reap(r);

	/* 6: invalid opcode, invalid flags, bad fd, bad buffer, one each. */
	sqe_of(r, 60, 0)->opcode = 0xfe;
	submit(r);
	reap(r);
	sqe_of(r, 61, 1U << 7);
	submit(r);
	reap(r);
	rd(r, 62, -1, 10, 0, 0);
	submit(r);
	reap(r);
	sqe = sqe_of(r, 63, 0);
	io_uring_prep_read(sqe, r->fd, (void *)8, 10, 0);
	sqe->user_data = 63;
	submit(r);
	reap(r);

	/* 10: a prep failure stops the batch; the rest goes next time. */
	sqe_of(r, 100, 0);
	sqe_of(r, 101, 0)->ioprio = 1;
	sqe_of(r, 102, 0);
	submit(r);
	reap(r);
	submit(r);
	reap(r);

	/* 12: prep failure inside a chain, with a loose NOP after it. */
	sqe_of(r, 120, IOSQE_IO_LINK);
	sqe_of(r, 121, IOSQE_IO_LINK)->opcode = 0xfe;
	sqe_of(r, 122, 0);
	sqe_of(r, 123, 0);
	submit(r);
	unordered_step[r->step] = 1;
	reap(r);

	/* 13: CQE_SKIP_SUCCESS. */
	sqe_of(r, 130, IOSQE_CQE_SKIP_SUCCESS);
	rd(r, 131, 1000, 1, 0, IOSQE_CQE_SKIP_SUCCESS);
	sqe_of(r, 132, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK);
	rd(r, 133, r->fd, 100, FSIZE - 10, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK);
	sqe_of(r, 134, 0);
	submit(r);
	unordered_step[r->step] = 1;
	reap(r);

	/* 14: pending pipe read, then the data arrives. */
	rd(r, 140, r->pfd[0], 64, 0, IOSQE_IO_LINK);
	sqe_of(r, 141, 0);
	sqe_of(r, 142, 0);
	submit(r);
	if (write(r->pfd[1], "diff", 4) != 4)
		t_fail("pipe write");
	unordered_step[r->step] = 1;
	reap(r);

	/* 15: vectored write then read back. */
	memset(r->buf[0], 'v', 300);
	iov[0] = (struct iovec){ r->buf[0], 100 };
	iov[1] = (struct iovec){ r->buf[0] + 100, 200 };
	sqe = sqe_of(r, 150, IOSQE_IO_LINK);
	io_uring_prep_writev(sqe, r->fd, iov, 2, FSIZE);
	sqe->user_data = 150;
	sqe->flags = IOSQE_IO_LINK;
	iov[2] = (struct iovec){ r->buf[1], 4096 };
	sqe = sqe_of(r, 151, 0);
	io_uring_prep_readv(sqe, r->fd, &iov[2], 1, FSIZE - 50);
	sqe->user_data = 151;
	submit(r);
	reap(r);

	/* 16: registered files and buffers. */
	{
		int files[3] = { r->fd, -1, r->pfd[0] };
		struct iovec biov = { r->buf[2], 4096 };

		add(r, 'R', 0, io_uring_register_files(&r->ring, files, 3), 0);
		add(r, 'R', 1, io_uring_register_buffers(&r->ring, &biov, 1), 0);
		add(r, 'R', 2, io_uring_register_files(&r->ring, files, 3), 0);
	}
	rd(r, 160, 0, 100, 0, IOSQE_FIXED_FILE);
	rd(r, 161, 1, 100, 0, IOSQE_FIXED_FILE);
	rd(r, 162, 7, 100, 0, IOSQE_FIXED_FILE);
	sqe = sqe_of(r, 163, 0);
	io_uring_prep_read_fixed(sqe, r->fd, r->buf[2], 100, 0, 0);
	sqe->user_data = 163;
	sqe = sqe_of(r, 164, 0);
	io_uring_prep_read_fixed(sqe, r->fd, r->buf[2] + 4000, 100, 0, 0);
	sqe->user_data = 164;
	sqe = sqe_of(r, 165, 0);
	io_uring_prep_read_fixed(sqe, r->fd, r->buf[2], 100, 0, 3);
	sqe->user_data = 165;
	submit(r);
	unordered_step[r->step] = 1;
	reap(r);

	/* 17: file operations. */
	sqe = sqe_of(r, 170, 0);
	io_uring_prep_fsync(sqe, r->fd, IORING_FSYNC_DATASYNC);
	sqe->user_data = 170;
	sqe = sqe_of(r, 171, 0);
	io_uring_prep_fallocate(sqe, r->fd, 0, 0, 3 * FSIZE);
	sqe->user_data = 171;
	submit(r);
	/* Both go to worker threads: no defined order between them. */
	unordered_step[r->step] = 1;
	reap(r);
	sqe = sqe_of(r, 172, 0);
	io_uring_prep_ftruncate(sqe, r->fd, FSIZE / 2);
	sqe->user_data = 172;
	sqe = sqe_of(r, 173, 0);
	io_uring_prep_fsync(sqe, r->fd, 8);
	sqe->user_data = 173;
	submit(r);
	unordered_step[r->step] = 1;
	reap(r);
	rd(r, 174, r->fd, 4096, FSIZE / 2 - 10, 0);
	submit(r);
	reap(r);

	/* 20: unregister twice. */
	add(r, 'R', 3, io_uring_unregister_files(&r->ring), 0);
	add(r, 'R', 4, io_uring_unregister_files(&r->ring), 0);
	add(r, 'R', 5, io_uring_unregister_buffers(&r->ring), 0);
	add(r, 'R', 6, io_uring_unregister_buffers(&r->ring), 0);
	r->step++;
}

static int start(struct run *r, enum ursa_backend b)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ursa_set_backend(b);
	ret = io_uring_queue_init(16, &r->ring, 0);
	if (ret)
		return ret;
	r->fd = t_temp_fd(FSIZE, 17);
	t_pipe(r->pfd);
	return 0;
}

static void finish(struct run *r)
{
	io_uring_queue_exit(&r->ring);
	close(r->fd);
	close(r->pfd[0]);
	close(r->pfd[1]);
}

static void print_rec(const char *who, const struct rec *x)
{
	if (x->kind == 'C')
		fprintf(stderr, "  %s step %d CQE user_data %llu res %d %s flags 0x%x\n",
			who, x->step, (unsigned long long)x->ud, x->res,
			t_errname(x->res), x->flags);
	else
		fprintf(stderr, "  %s step %d %s #%llu -> %d %s\n", who, x->step,
			x->kind == 'S' ? "submit" : "call",
			(unsigned long long)x->ud, x->res, t_errname(x->res));
}

static int same(const struct rec *a, const struct rec *b)
{
	return a->kind == b->kind && a->step == b->step && a->ud == b->ud &&
	       a->res == b->res && a->flags == b->flags;
}

/* Compare one step; unordered steps compare as multisets. */
static int compare_step(const struct rec *k, int nk, const struct rec *u,
			int nu, int ordered)
{
	int used[MAXREC] = { 0 };

	if (nk != nu)
		return 0;
	for (int i = 0; i < nk; i++) {
		int j;

		if (ordered) {
			if (!same(&k[i], &u[i]))
				return 0;
			continue;
		}
		for (j = 0; j < nu; j++)
			if (!used[j] && same(&k[i], &u[j]))
				break;
		if (j == nu)
			return 0;
		used[j] = 1;
	}
	return 1;
}

int main(void)
{
	static struct run kr, ur;
	int ret, bad = 0, i = 0, j = 0;

	ret = start(&kr, URSA_BACKEND_KERNEL);
	if (ret == -ENOSYS || ret == -EPERM)
		t_skip("kernel refuses io_uring (%s)", t_errname(ret));
	if (ret)
		t_fail("kernel ring: %s", t_errname(ret));
	script(&kr);
	finish(&kr);

	ret = start(&ur, URSA_BACKEND_URSA);
	if (ret)
		t_fail("ursa ring: %s", t_errname(ret));
	script(&ur);
	finish(&ur);

	for (int step = 0; step < kr.step || step < ur.step; step++) {
		int i0 = i, j0 = j;

		while (i < kr.n && kr.rec[i].step == step)
			i++;
		while (j < ur.n && ur.rec[j].step == step)
			j++;
		if (compare_step(&kr.rec[i0], i - i0, &ur.rec[j0], j - j0,
				 !unordered_step[step]))
			continue;
		bad++;
		fprintf(stderr, "step %d differs%s:\n", step,
			unordered_step[step] ? " (compared as a set)" : "");
		for (int x = i0; x < i; x++)
			print_rec("kernel", &kr.rec[x]);
		for (int x = j0; x < j; x++)
			print_rec("ursa  ", &ur.rec[x]);
	}
	if (bad)
		t_fail("%d of %d steps differ between kernel and ursa", bad,
		       kr.step);
	return T_EXIT_PASS;
}
