/* SPDX-License-Identifier: MIT */
/*
 * io_uring-cp: copy a file through io_uring, using only the liburing API.
 *
 *   io_uring-cp [-q depth] [-b blocksize] [-v] SRC DST
 *
 * The source is cut into blocks; up to `depth` blocks are in flight at once.
 * Each block is one READ into the block's buffer, linked (IOSQE_IO_LINK) to
 * a WRITE of the same buffer, so the write only starts once the read has
 * fully succeeded.  A short read breaks the link (the write completes with
 * -ECANCELED); the rest of the block is then read again, linked to a write
 * of everything not yet written.  A short write is finished by resubmitting
 * the remainder on its own.
 *
 * -v prints the ring's setup, what its file descriptor refers to (which
 * tells a kernel io_uring, "anon_inode:[io_uring]", from anything else) and
 * the time the copy itself took.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <liburing.h>

#define DEF_DEPTH	32
#define DEF_BS		(64 * 1024)
#define MAX_DEPTH	4096
#define MAX_BS		(64u * 1024 * 1024)
/* Give up on a block after this many consecutive no-progress retries. */
#define MAX_RETRIES	1000

enum { OP_READ = 0, OP_WRITE = 1 };

/*
 * One block in flight.  Bytes [0, rdone) of the buffer hold source data,
 * bytes [0, wdone) of the block have reached the destination; the block is
 * finished when wdone == len.
 */
struct slot {
	char *buf;
	off_t off;
	size_t len;
	size_t rdone;
	size_t wdone;
	unsigned pending;	/* CQEs still expected for this slot */
	unsigned retries;
	bool busy;
};

struct copy {
	struct io_uring ring;
	int infd, outfd;
	off_t size;		/* bytes to copy */
	off_t next_off;		/* first byte not yet assigned to a slot */
	size_t bs;
	unsigned depth;
	struct slot *slots;
	unsigned busy;		/* slots holding a block */
};

static const char *prog = "io_uring-cp";

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [-q depth] [-b blocksize] [-v] SRC DST\n"
		"  -q depth      blocks in flight (default %d, max %d)\n"
		"  -b blocksize  bytes per block, suffix k/m allowed (default %dk)\n"
		"  -v            print ring details and what served it\n",
		prog, DEF_DEPTH, MAX_DEPTH, DEF_BS / 1024);
}

/* Parses "123", "64k", "1m"; returns 0 on a bad or out-of-range value. */
static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	default: break;
	}
	if (*end != '\0')
		return 0;
	return v;
}

static int file_size(int fd, const char *name, off_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: stat %s: %s\n", prog, name, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		*size = st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode)) {
		unsigned long long bytes;

		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
			fprintf(stderr, "%s: %s: BLKGETSIZE64: %s\n", prog,
				name, strerror(errno));
			return -1;
		}
		*size = (off_t)bytes;
		return 0;
	}
	fprintf(stderr, "%s: %s: not a regular file or block device\n",
		prog, name);
	return -1;
}

/* O_TRUNC on the source itself would destroy it before it is read. */
static bool same_file(int infd, const char *dst)
{
	struct stat a, b;

	if (fstat(infd, &a) < 0 || stat(dst, &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static inline uint64_t make_tag(unsigned idx, int op)
{
	return ((uint64_t)idx << 1) | (unsigned)op;
}

/* Returns an SQE, submitting what is queued if the SQ is full. */
static struct io_uring_sqe *get_sqe(struct copy *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);

	if (!sqe) {
		int ret = io_uring_submit(&c->ring);

		if (ret < 0) {
			fprintf(stderr, "%s: io_uring_submit: %s\n", prog,
				strerror(-ret));
			return NULL;
		}
		sqe = io_uring_get_sqe(&c->ring);
		if (!sqe)
			fprintf(stderr, "%s: submission queue stuck full\n",
				prog);
	}
	return sqe;
}

/*
 * Queues whatever the slot still needs: a read of the missing bytes linked
 * to a write of everything unwritten, or just the unwritten tail.
 */
static int queue_slot(struct copy *c, unsigned idx)
{
	struct slot *s = &c->slots[idx];
	struct io_uring_sqe *sqe;

	if (s->rdone < s->len) {
		/* Two SQEs that must sit in the same submission. */
		if (io_uring_sq_space_left(&c->ring) < 2) {
			int ret = io_uring_submit(&c->ring);

			if (ret < 0) {
				fprintf(stderr, "%s: io_uring_submit: %s\n",
					prog, strerror(-ret));
				return -1;
			}
		}
		sqe = get_sqe(c);
		if (!sqe)
			return -1;
		io_uring_prep_read(sqe, c->infd, s->buf + s->rdone,
				   (unsigned)(s->len - s->rdone),
				   (uint64_t)(s->off + (off_t)s->rdone));
		io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
		io_uring_sqe_set_data64(sqe, make_tag(idx, OP_READ));
		s->pending++;
	}
	sqe = get_sqe(c);
	if (!sqe)
		return -1;
	io_uring_prep_write(sqe, c->outfd, s->buf + s->wdone,
			    (unsigned)(s->len - s->wdone),
			    (uint64_t)(s->off + (off_t)s->wdone));
	io_uring_sqe_set_data64(sqe, make_tag(idx, OP_WRITE));
	s->pending++;
	return 0;
}

/* Gives a free slot the next block of the file, if any is left. */
static int start_block(struct copy *c, unsigned idx)
{
	struct slot *s = &c->slots[idx];
	off_t left = c->size - c->next_off;

	if (left <= 0) {
		s->busy = false;
		return 0;
	}
	s->off = c->next_off;
	s->len = left < (off_t)c->bs ? (size_t)left : c->bs;
	s->rdone = s->wdone = 0;
	s->pending = 0;
	s->retries = 0;
	s->busy = true;
	c->busy++;
	c->next_off += (off_t)s->len;
	return queue_slot(c, idx);
}

static bool transient(int err)
{
	return err == -EAGAIN || err == -EINTR;
}

/* Accounts one completion; returns -1 on a fatal error. */
static int handle_cqe(struct copy *c, uint64_t tag, int res)
{
	unsigned idx = (unsigned)(tag >> 1);
	int op = (int)(tag & 1);
	struct slot *s;

	if (idx >= c->depth || !c->slots[idx].busy ||
	    !c->slots[idx].pending) {
		fprintf(stderr, "%s: unexpected completion (user_data %" PRIu64
			", res %d)\n", prog, tag, res);
		return -1;
	}
	s = &c->slots[idx];
	s->pending--;

	if (op == OP_READ) {
		if (res > 0) {
			s->rdone += (size_t)res;
			s->retries = 0;
		} else if (res == 0) {
			fprintf(stderr, "%s: unexpected end of source at offset "
				"%jd (did it shrink?)\n", prog,
				(intmax_t)(s->off + (off_t)s->rdone));
			return -1;
		} else if (!transient(res)) {
			fprintf(stderr, "%s: read of %zu bytes at offset %jd: "
				"%s\n", prog, s->len - s->rdone,
				(intmax_t)(s->off + (off_t)s->rdone),
				strerror(-res));
			return -1;
		}
	} else {
		if (res > 0) {
			s->wdone += (size_t)res;
			s->retries = 0;
		} else if (res == -ECANCELED) {
			/* The linked read fell short; redone below. */
		} else if (res == 0 || transient(res)) {
			/* No progress; just try again. */
		} else {
			fprintf(stderr, "%s: write of %zu bytes at offset %jd: "
				"%s\n", prog, s->len - s->wdone,
				(intmax_t)(s->off + (off_t)s->wdone),
				strerror(-res));
			return -1;
		}
	}
	if (s->pending)
		return 0;

	/*
	 * Both halves are in.  A write can never legitimately cover bytes
	 * that were not read; if one claims to, redo it from valid data.
	 */
	if (s->wdone > s->rdone)
		s->wdone = s->rdone;
	if (s->wdone == s->len) {
		c->busy--;
		s->busy = false;
		return start_block(c, idx);
	}
	if (++s->retries > MAX_RETRIES) {
		fprintf(stderr, "%s: no progress on block at offset %jd after "
			"%d attempts\n", prog, (intmax_t)s->off, MAX_RETRIES);
		return -1;
	}
	return queue_slot(c, idx);
}

static int run_copy(struct copy *c)
{
	unsigned i;
	int ret;

	for (i = 0; i < c->depth; i++)
		if (start_block(c, i) < 0)
			return -1;

	while (c->busy) {
		struct io_uring_cqe *cqe;
		ret = io_uring_submit_and_wait(&c->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
			fprintf(stderr, "%s: io_uring_submit_and_wait: %s\n",
				prog, strerror(-ret));
			return -1;
		}
		/*
		 * Copy out each CQE before handling it: handling may queue
		 * and submit new SQEs, so the CQ slot must be released first.
		 */
		for (;;) {
			uint64_t tag;
			int res;

			ret = io_uring_peek_cqe(&c->ring, &cqe);
			if (ret == -EAGAIN)
				break;
			if (ret < 0) {
				fprintf(stderr, "%s: io_uring_peek_cqe: %s\n",
					prog, strerror(-ret));
				return -1;
			}
			tag = io_uring_cqe_get_data64(cqe);
			res = cqe->res;
			io_uring_cqe_seen(&c->ring, cqe);
			if (handle_cqe(c, tag, res) < 0)
				return -1;
		}
	}
	return 0;
}

static void describe_ring(struct copy *c)
{
	char path[64], target[PATH_MAX];
	ssize_t n;

	fprintf(stderr, "%s: ring fd %d, %u SQ / %u CQ entries, features "
		"0x%x, depth %u, block %zu bytes\n", prog, c->ring.ring_fd,
		c->ring.sq.ring_entries, c->ring.cq.ring_entries,
		c->ring.features, c->depth, c->bs);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->ring.ring_fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		fprintf(stderr, "%s: ring fd: %s\n", prog, strerror(errno));
		return;
	}
	target[n] = '\0';
	fprintf(stderr, "%s: ring fd refers to: %s\n", prog, target);
}

int main(int argc, char **argv)
{
	struct copy c;
	struct timespec t0, t1;
	unsigned long long v;
	bool verbose = false;
	unsigned entries, i;
	int opt, ret, status = 1;

	memset(&c, 0, sizeof(c));
	c.depth = DEF_DEPTH;
	c.bs = DEF_BS;
	c.infd = c.outfd = -1;

	while ((opt = getopt(argc, argv, "q:b:vh")) != -1) {
		switch (opt) {
		case 'q':
			v = parse_size(optarg);
			if (v < 1 || v > MAX_DEPTH) {
				fprintf(stderr, "%s: bad depth '%s' (1..%d)\n",
					prog, optarg, MAX_DEPTH);
				return 2;
			}
			c.depth = (unsigned)v;
			break;
		case 'b':
			v = parse_size(optarg);
			if (v < 1 || v > MAX_BS) {
				fprintf(stderr, "%s: bad block size '%s' "
					"(1..%u)\n", prog, optarg, MAX_BS);
				return 2;
			}
			c.bs = (size_t)v;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}

	c.infd = open(argv[optind], O_RDONLY);
	if (c.infd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", prog, argv[optind],
			strerror(errno));
		return 1;
	}
	if (file_size(c.infd, argv[optind], &c.size) < 0)
		goto out;
	if (same_file(c.infd, argv[optind + 1])) {
		fprintf(stderr, "%s: %s and %s are the same file\n", prog,
			argv[optind], argv[optind + 1]);
		goto out;
	}
	c.outfd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (c.outfd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", prog, argv[optind + 1],
			strerror(errno));
		goto out;
	}

	/* No point in more slots than blocks. */
	if ((off_t)c.depth * (off_t)c.bs > c.size) {
		off_t blocks = (c.size + (off_t)c.bs - 1) / (off_t)c.bs;

		c.depth = blocks ? (unsigned)blocks : 1;
	}
	c.slots = calloc(c.depth, sizeof(*c.slots));
	if (!c.slots) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	for (i = 0; i < c.depth; i++) {
		/* Page-aligned so the same buffers would also do O_DIRECT. */
		if (posix_memalign((void **)&c.slots[i].buf, 4096, c.bs)) {
			fprintf(stderr, "%s: out of memory for %u x %zu byte "
				"buffers\n", prog, c.depth, c.bs);
			goto out;
		}
	}

	/* A read and its write per block in flight. */
	entries = 2 * c.depth;
	ret = io_uring_queue_init(entries, &c.ring, 0);
	if (ret < 0) {
		fprintf(stderr, "%s: io_uring_queue_init(%u): %s\n", prog,
			entries, strerror(-ret));
		goto out;
	}
	if (verbose)
		describe_ring(&c);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (run_copy(&c) == 0) {
		status = 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (verbose)
			fprintf(stderr, "%s: copied %jd bytes in %.6f s\n", prog,
				(intmax_t)c.size,
				(double)(t1.tv_sec - t0.tv_sec) +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	io_uring_queue_exit(&c.ring);
out:
	if (c.slots) {
		for (i = 0; i < c.depth; i++)
			free(c.slots[i].buf);
		free(c.slots);
	}
	if (c.outfd >= 0 && close(c.outfd) < 0 && status == 0) {
		fprintf(stderr, "%s: close %s: %s\n", prog, argv[optind + 1],
			strerror(errno));
		status = 1;
	}
	if (c.infd >= 0)
		close(c.infd);
	return status;
}
