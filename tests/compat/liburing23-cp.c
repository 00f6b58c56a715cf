/* SPDX-License-Identifier: MIT */
/*
 * Description: drop-in compatibility check.  Written against Debian's
 * liburing 2.3 headers (<liburing.h> from the system, none of ursa's), it
 * copies a file with linked READ -> WRITE pairs, several pairs in flight,
 * waits with io_uring_wait_cqe / peek, and verifies the copy byte for byte.
 * Built against the system header and linked to libursa.so, it proves the
 * struct io_uring layout and the exported functions match what liburing 2.3
 * programs expect.  Self-contained on purpose (no test helpers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <liburing.h>

#define QD 8
#define BS (32 * 1024)
/* Not a multiple of BS, so the last block is short. */
#define FILE_SIZE (3 * 1024 * 1024 + 12345)

struct slot {
	char *buf;
	off_t off;
	size_t len;
	int pending;		/* CQEs still due for this pair (0..2) */
};

static unsigned char pattern(off_t off)
{
	return (unsigned char)((off * 131 + (off >> 9)) & 0xff);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "FAIL: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static int make_source(const char *path)
{
	static char block[BS];
	off_t off = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -errno;
	while (off < FILE_SIZE) {
		size_t n = FILE_SIZE - off < BS ? (size_t)(FILE_SIZE - off) : BS;

		for (size_t i = 0; i < n; i++)
			block[i] = (char)pattern(off + (off_t)i);
		if (pwrite(fd, block, n, off) != (ssize_t)n) {
			close(fd);
			return -EIO;
		}
		off += (off_t)n;
	}
	close(fd);
	return 0;
}

/* Queue one linked read -> write pair for the block at off. */
static int queue_pair(struct io_uring *ring, struct slot *s, int in, int out,
		      unsigned idx, off_t off)
{
	struct io_uring_sqe *sqe;

	s->off = off;
	s->len = FILE_SIZE - off < BS ? (size_t)(FILE_SIZE - off) : BS;
	s->pending = 2;

	sqe = io_uring_get_sqe(ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, in, s->buf, (unsigned)s->len, (__u64)off);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data(sqe, (void *)(uintptr_t)(idx * 2));

	sqe = io_uring_get_sqe(ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_write(sqe, out, s->buf, (unsigned)s->len, (__u64)off);
	io_uring_sqe_set_data(sqe, (void *)(uintptr_t)(idx * 2 + 1));
	return 0;
}

int main(void)
{
	const char *dir = getenv("TMPDIR");
	const char *backend = getenv("URSA_BACKEND");
	char src[4096], dst[4096];
	struct slot slots[QD];
	struct io_uring ring;
	off_t next = 0;
	unsigned inflight = 0;
	int in, out, ret;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(src, sizeof(src), "%s/compat-src-%d", dir, (int)getpid());
	snprintf(dst, sizeof(dst), "%s/compat-dst-%d", dir, (int)getpid());

	ret = io_uring_queue_init(QD * 2, &ring, 0);
	if (ret < 0) {
		if (backend && !strcmp(backend, "kernel") &&
		    (ret == -ENOSYS || ret == -EPERM)) {
			printf("kernel refuses io_uring\n");
			return 77;
		}
		return fail("io_uring_queue_init", ret);
	}

	ret = make_source(src);
	if (ret)
		return fail("creating the source file", ret);
	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0)
		return fail("open", errno);

	for (unsigned i = 0; i < QD; i++) {
		slots[i].buf = malloc(BS);
		slots[i].pending = 0;
		if (!slots[i].buf)
			return fail("malloc", ENOMEM);
	}

	/* Prime the queue. */
	for (unsigned i = 0; i < QD && next < FILE_SIZE; i++) {
		if (queue_pair(&ring, &slots[i], in, out, i, next))
			return fail("queue_pair", EBUSY);
		next += (off_t)slots[i].len;
		inflight++;
	}
	ret = io_uring_submit(&ring);
	if (ret != (int)inflight * 2)
		return fail("io_uring_submit", ret < 0 ? ret : EIO);

	while (inflight) {
		struct io_uring_cqe *cqe;
		unsigned tag, idx;
		struct slot *s;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret)
			return fail("io_uring_wait_cqe", ret);
		tag = (unsigned)(uintptr_t)io_uring_cqe_get_data(cqe);
		idx = tag / 2;
		if (idx >= QD)
			return fail("bad user_data", EINVAL);
		s = &slots[idx];
		if (cqe->res != (int)s->len) {
			fprintf(stderr, "FAIL: %s at %lld: res %d, expected %zu\n",
				tag & 1 ? "write" : "read", (long long)s->off,
				cqe->res, s->len);
			return 1;
		}
		io_uring_cqe_seen(&ring, cqe);
		if (--s->pending)
			continue;
		/* Both halves done: reuse the slot for the next block. */
		inflight--;
		if (next < FILE_SIZE) {
			if (queue_pair(&ring, s, in, out, idx, next))
				return fail("queue_pair", EBUSY);
			next += (off_t)s->len;
			inflight++;
			ret = io_uring_submit(&ring);
			if (ret != 2)
				return fail("io_uring_submit", ret < 0 ? ret : EIO);
		}
	}

	/* Nothing left over. */
	{
		struct io_uring_cqe *cqe;

		if (io_uring_peek_cqe(&ring, &cqe) == 0)
			return fail("stray CQE", EINVAL);
	}
	io_uring_queue_exit(&ring);
	close(in);
	close(out);

	/* Verify. */
	{
		struct stat st;
		static char block[BS];
		off_t off = 0;
		int fd = open(dst, O_RDONLY);

		if (fd < 0 || fstat(fd, &st))
			return fail("open copy", errno);
		if (st.st_size != FILE_SIZE) {
			fprintf(stderr, "FAIL: copy has %lld bytes, expected %d\n",
				(long long)st.st_size, FILE_SIZE);
			return 1;
		}
		while (off < FILE_SIZE) {
			ssize_t n = pread(fd, block, BS, off);

			if (n <= 0)
				return fail("pread copy", errno);
			for (ssize_t i = 0; i < n; i++) {
				if ((unsigned char)block[i] != pattern(off + i)) {
					fprintf(stderr, "FAIL: copy differs at %lld\n",
						(long long)(off + i));
					return 1;
				}
			}
			off += n;
		}
		close(fd);
	}
	unlink(src);
	unlink(dst);
	for (unsigned i = 0; i < QD; i++)
		free(slots[i].buf);
	return 0;
}
