/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_REGISTER_CLONE_BUFFERS: cloning all of another ring's
 * registered buffers (holes stay holes), ranges with src_off/dst_off/nr,
 * IORING_REGISTER_DST_REPLACE (slots outside the range are kept), cloning
 * from a registered ring index (SRC_REGISTERED), cloned buffers outliving the
 * source's table, and the error table: bad arg / nr_args, unknown flags,
 * non-zero pad (-EINVAL), bad source fd (-EBADF), not a ring (-EOPNOTSUPP),
 * source without buffers (-ENXIO), offsets without nr (-EINVAL), nr larger
 * than the source (-EINVAL), range overflow (-EOVERFLOW), beyond the maximum
 * table size (-EINVAL), destination busy without REPLACE (-EBUSY), a
 * SINGLE_ISSUER source owned by another thread (-EEXIST).
 */
#include <pthread.h>
#include <unistd.h>

#include "helpers/helpers.h"

#define BSZ 4096
#define MAX_BUFS (1U << 14)

static char bufs[4][BSZ];
static int fd;

static int clone_raw(struct io_uring *dst, unsigned src_fd, unsigned flags,
		     unsigned src_off, unsigned dst_off, unsigned nr,
		     unsigned pad)
{
	struct io_uring_clone_buffers arg;

	memset(&arg, 0, sizeof(arg));
	arg.src_fd = src_fd;
	arg.flags = flags;
	arg.src_off = src_off;
	arg.dst_off = dst_off;
	arg.nr = nr;
	arg.pad[1] = pad;
	return io_uring_register((unsigned)dst->ring_fd,
				 IORING_REGISTER_CLONE_BUFFERS, &arg, 1);
}

/* READ_FIXED of len bytes into buf through slot idx of ring r. */
static int read_fixed(struct io_uring *r, void *buf, unsigned len, int idx)
{
	struct io_uring_sqe *sqe = t_get_sqe(r);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_read_fixed(sqe, fd, buf, len, 0, idx);
	sqe->user_data = 0x1234;
	t_submit(r, 1);
	cqe = t_wait_cqe(r);
	t_eq(cqe->user_data, 0x1234);
	res = cqe->res;
	io_uring_cqe_seen(r, cqe);
	return res;
}

static void register_src(struct io_uring *src)
{
	struct iovec iov[4] = {
		{ bufs[0], BSZ }, { bufs[1], BSZ }, { NULL, 0 }, { bufs[3], BSZ },
	};

	t_eq(io_uring_register_buffers(src, iov, 4), 0);
}

static void *make_owned_ring(void *data)
{
	struct io_uring *r = data;

	t_ring_init(r, 4, IORING_SETUP_SINGLE_ISSUER);
	register_src(r);
	return NULL;
}

int main(void)
{
	struct io_uring src, dst, empty, other;
	int fds[2];
	pthread_t th;

	fd = t_temp_fd(BSZ, 21);
	t_ring_init(&src, 4, 0);
	t_ring_init(&dst, 4, 0);
	t_ring_init(&empty, 4, 0);
	register_src(&src);
	t_pipe(fds);

	/* Argument checks. */
	t_eq(io_uring_register((unsigned)dst.ring_fd,
			       IORING_REGISTER_CLONE_BUFFERS, NULL, 1), -EINVAL);
	{
		struct io_uring_clone_buffers arg = { .src_fd = (unsigned)src.ring_fd };

		t_eq(io_uring_register((unsigned)dst.ring_fd,
				       IORING_REGISTER_CLONE_BUFFERS, &arg, 2),
		     -EINVAL);
	}
	t_eq(clone_raw(&dst, (unsigned)src.ring_fd, 1U << 5, 0, 0, 0, 0),
	     -EINVAL);
	t_eq(clone_raw(&dst, (unsigned)src.ring_fd, 0, 0, 0, 0, 1), -EINVAL);
	t_eq(clone_raw(&dst, 999, 0, 0, 0, 0, 0), -EBADF);
	t_eq(clone_raw(&dst, (unsigned)fds[0], 0, 0, 0, 0, 0), -EOPNOTSUPP);
	/* A registered-ring index that is not registered. */
	t_eq(clone_raw(&dst, 7, IORING_REGISTER_SRC_REGISTERED, 0, 0, 0, 0),
	     -EBADF);
	t_eq(clone_raw(&dst, 1000, IORING_REGISTER_SRC_REGISTERED, 0, 0, 0, 0),
	     -EINVAL);
	t_eq(io_uring_clone_buffers(&dst, &empty), -ENXIO);
	/* Offsets with nr == 0. */
	t_eq(io_uring_clone_buffers_offset(&dst, &src, 0, 1, 0, 0), -EINVAL);
	t_eq(io_uring_clone_buffers_offset(&dst, &src, 1, 0, 0, 0), -EINVAL);
	/* More than the source has. */
	t_eq(io_uring_clone_buffers_offset(&dst, &src, 0, 0, 5, 0), -EINVAL);
	t_eq(io_uring_clone_buffers_offset(&dst, &src, 0, 2, 3, 0), -EOVERFLOW);
	t_eq(io_uring_clone_buffers_offset(&dst, &src, ~0u, 0, 1, 0),
	     -EOVERFLOW);
	t_eq(io_uring_clone_buffers_offset(&dst, &src, MAX_BUFS, 0, 1, 0),
	     -EINVAL);

	/* Clone everything: same slots, hole included. */
	t_eq(io_uring_clone_buffers(&dst, &src), 0);
	t_eq(read_fixed(&dst, bufs[0], BSZ, 0), BSZ);
	t_assert(t_check_pattern(bufs[0], BSZ, 0, 21) < 0);
	t_eq(read_fixed(&dst, bufs[1], 100, 1), 100);
	t_eq(read_fixed(&dst, bufs[3], 100, 3), 100);
	t_eq(read_fixed(&dst, bufs[0], 100, 2), -EFAULT);	/* hole */
	t_eq(read_fixed(&dst, bufs[0], 100, 4), -EFAULT);	/* past end */
	/* The same slot in the clone only covers the same memory. */
	t_eq(read_fixed(&dst, bufs[1], 100, 0), -EFAULT);

	/* The destination has a table now. */
	t_eq(io_uring_clone_buffers(&dst, &src), -EBUSY);

	/*
	 * REPLACE with a range: src slot 1 into dst slot 5; dst grows to 6
	 * slots, slots 0..3 are kept, slot 4 is a hole.
	 */
	t_eq(io_uring_clone_buffers_offset(&dst, &src, 5, 1, 1,
					   IORING_REGISTER_DST_REPLACE), 0);
	t_eq(read_fixed(&dst, bufs[1], 100, 5), 100);
	t_eq(read_fixed(&dst, bufs[0], 100, 0), 100);
	t_eq(read_fixed(&dst, bufs[3], 100, 3), 100);
	t_eq(read_fixed(&dst, bufs[0], 100, 4), -EFAULT);
	t_eq(read_fixed(&dst, bufs[0], 100, 6), -EFAULT);
	/* REPLACE over existing slots: dst slot 0 now maps src slot 3. */
	t_eq(io_uring_clone_buffers_offset(&dst, &src, 0, 3, 1,
					   IORING_REGISTER_DST_REPLACE), 0);
	t_eq(read_fixed(&dst, bufs[3], 100, 0), 100);
	t_eq(read_fixed(&dst, bufs[0], 100, 0), -EFAULT);

	/* The source may drop its table: the clones keep the memory. */
	t_eq(io_uring_unregister_buffers(&src), 0);
	t_eq(read_fixed(&dst, bufs[1], BSZ, 1), BSZ);
	t_eq(read_fixed(&src, bufs[1], BSZ, 1), -EFAULT);
	t_eq(io_uring_unregister_buffers(&dst), 0);

	/* A ring may clone within itself (REPLACE): slot 0 into slot 4. */
	register_src(&src);
	t_eq(io_uring_clone_buffers_offset(&src, &src, 4, 0, 1,
					   IORING_REGISTER_DST_REPLACE), 0);
	t_eq(read_fixed(&src, bufs[0], BSZ, 4), BSZ);
	t_eq(read_fixed(&src, bufs[0], BSZ, 0), BSZ);

	/* Source given as a registered ring index. */
	t_eq(io_uring_register_ring_fd(&src), 1);
	t_eq(io_uring_clone_buffers(&empty, &src), 0);
	t_eq(read_fixed(&empty, bufs[3], 10, 3), 10);
	t_eq(io_uring_unregister_ring_fd(&src), 1);

	/* SINGLE_ISSUER source owned by another thread: -EEXIST. */
	pthread_create(&th, NULL, make_owned_ring, &other);
	pthread_join(th, NULL);
	t_eq(io_uring_clone_buffers(&dst, &other), -EEXIST);
	/* ... while a SINGLE_ISSUER source owned by this thread is fine. */
	io_uring_queue_exit(&other);
	make_owned_ring(&other);
	t_eq(io_uring_clone_buffers(&dst, &other), 0);
	io_uring_queue_exit(&other);

	close(fds[0]);
	close(fds[1]);
	close(fd);
	io_uring_queue_exit(&src);
	io_uring_queue_exit(&dst);
	io_uring_queue_exit(&empty);
	return T_EXIT_PASS;
}
