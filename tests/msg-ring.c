/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_MSG_RING with IORING_MSG_DATA.  The target gets
 * {user_data = sqe->off, res = sqe->len, flags 0 or the FLAGS_PASS flags},
 * the sender res 0; to another ring or to itself, inline or from a worker
 * (IOSQE_ASYNC); the target's CQE shape
 * (CQE32: 32-byte slots; CQE_MIXED: 16 bytes, 32 when IORING_CQE_F_32 is
 * passed, padded at the wrap); a full target CQ overflows in order, nothing
 * lost; DEFER_TASKRUN targets; a target waiting in another thread is woken,
 * its eventfd signalled.  Errors (sender CQE, target untouched): reserved
 * fields, flags and commands -EINVAL, not a ring -EBADFD (checked before the
 * command), bad fd -EBADF, disabled target -EBADFD; fixed files cannot hold
 * a ring (-EBADF at registration), so a fixed-file target is -EBADFD or
 * -EBADF; failures break links, CQE_SKIP_SUCCESS hides only the sender's
 * CQE.  On ursa, a data message to a kernel ring is delivered too.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <ursa/ursa.h>
#include "helpers/helpers.h"

static struct io_uring src, dst;

static struct io_uring_sqe *prep_msg(struct io_uring *r, int fd,
				     unsigned len, uint64_t data, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(r);

	io_uring_prep_msg_ring(sqe, fd, len, data, 0);
	sqe->user_data = ud;
	return sqe;
}

/* One message from src; returns the sender's result. */
static int send_one(struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	uint64_t ud = sqe->user_data;
	int res;

	t_submit(&src, 1);
	cqe = t_wait_cqe(&src);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&src, cqe);
	return res;
}

static void test_basic(void)
{
	struct io_uring_sqe *sqe;
	struct t_cqe_want w[2] = {
		{ .ud = 2, .res = 0 }, { .ud = 0xabc, .res = 7 },
	};

	prep_msg(&src, dst.ring_fd, 0x10, 0x1234, 1);
	t_submit(&src, 1);
	t_expect_cqe(&src, 1, 0, 0);
	t_expect_cqe(&dst, 0x1234, 0x10, 0);

	/* res is the 32-bit len as is: it may look like an error */
	t_eq(send_one(prep_msg(&src, dst.ring_fd, (unsigned)-16, 9, 3)), 0);
	t_expect_cqe(&dst, 9, -16, 0);

	/* The kernel keeps the command and the source slot 32 bits wide:
	 * upper halves are ignored. */
	sqe = prep_msg(&src, dst.ring_fd, 5, 10, 4);
	sqe->addr = (1ULL << 32) | IORING_MSG_DATA;
	sqe->addr3 = 1ULL << 32;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&dst, 10, 5, 0);

	/* From a worker. */
	sqe = prep_msg(&src, dst.ring_fd, 6, 11, 5);
	sqe->flags |= IOSQE_ASYNC;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&dst, 11, 6, 0);

	/* To itself: both CQEs on the one ring. */
	prep_msg(&src, src.ring_fd, 7, 0xabc, 2);
	t_submit(&src, 1);
	t_reap_cqes(&src, w, 2);
	t_expect_no_cqe(&dst);
}

static void test_flags_pass(void)
{
	struct io_uring_sqe *sqe = t_get_sqe(&src);

	io_uring_prep_msg_ring_cqe_flags(sqe, dst.ring_fd, 3, 0x77, 0,
					 0x12340002);
	sqe->user_data = 1;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&dst, 0x77, 3, 0x12340002);

	/* FLAGS_PASS with flags 0 is fine too */
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_cqe_flags(sqe, dst.ring_fd, 4, 0x78, 0, 0);
	sqe->user_data = 2;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&dst, 0x78, 4, 0);
}

static void test_errors(void)
{
	struct io_uring_sqe *sqe;
	int fds[2], closed, pers;
	char *path = t_create_file(64, 1);
	int file = open(path, O_RDONLY);

	t_assert(file >= 0);
	t_pipe(fds);
	closed = dup(fds[0]);
	close(closed);

	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 1);
	sqe->file_index = 1;			/* CQE flags without PASS */
	t_eq(send_one(sqe), -EINVAL);
	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 2);
	sqe->addr3 = 1;				/* a source slot */
	t_eq(send_one(sqe), -EINVAL);
	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 3);
	sqe->msg_ring_flags = IORING_MSG_RING_CQE_SKIP;	/* fd passing only */
	t_eq(send_one(sqe), -EINVAL);
	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 4);
	sqe->msg_ring_flags = 1U << 2;		/* unknown flag */
	t_eq(send_one(sqe), -EINVAL);
	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 5);
	sqe->addr = 2;				/* unknown command */
	t_eq(send_one(sqe), -EINVAL);
	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 6);
	sqe->buf_index = 1;
	t_eq(send_one(sqe), -EINVAL);
	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 7);
	sqe->ioprio = 1;
	t_eq(send_one(sqe), -EINVAL);
	pers = io_uring_register_personality(&src);
	t_assert(pers > 0);
	sqe = prep_msg(&src, dst.ring_fd, 1, 1, 8);
	sqe->personality = (uint16_t)pers;
	t_eq(send_one(sqe), -EINVAL);
	t_eq(io_uring_unregister_personality(&src, pers), 0);

	/* Not a ring: -EBADFD, before the command is looked at. */
	t_eq(send_one(prep_msg(&src, fds[0], 1, 1, 10)), -EBADFD);
	t_eq(send_one(prep_msg(&src, file, 1, 1, 11)), -EBADFD);
	sqe = prep_msg(&src, fds[1], 1, 1, 12);
	sqe->addr = 9;
	t_eq(send_one(sqe), -EBADFD);
	/* Not an fd at all. */
	t_eq(send_one(prep_msg(&src, closed, 1, 1, 13)), -EBADF);
	t_eq(send_one(prep_msg(&src, -1, 1, 1, 14)), -EBADF);

	t_expect_no_cqe(&dst);
	close(fds[0]);
	close(fds[1]);
	close(file);
	unlink(path);
	free(path);
}

static void test_disabled(void)
{
	struct io_uring off;

	t_ring_init(&off, 4, IORING_SETUP_R_DISABLED);
	t_eq(send_one(prep_msg(&src, off.ring_fd, 1, 2, 1)), -EBADFD);
	t_eq(io_uring_enable_rings(&off), 0);
	t_eq(send_one(prep_msg(&src, off.ring_fd, 1, 2, 2)), 0);
	t_expect_cqe(&off, 2, 1, 0);
	io_uring_queue_exit(&off);
}

/*
 * A fixed file can never be a ring: the kernel refuses to register io_uring
 * files.  So a MSG_RING through a fixed slot meets a plain file (-EBADFD)
 * or an empty or missing slot (-EBADF).
 */
static void test_fixed_target(void)
{
	struct io_uring_sqe *sqe;
	int fds[2], files[2];

	t_pipe(fds);
	t_eq(io_uring_register_files(&src, &dst.ring_fd, 1), -EBADF);
	files[0] = fds[0];
	files[1] = -1;
	t_eq(io_uring_register_files(&src, files, 2), 0);
	sqe = prep_msg(&src, 0, 1, 1, 1);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(send_one(sqe), -EBADFD);
	sqe = prep_msg(&src, 1, 1, 1, 2);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(send_one(sqe), -EBADF);
	sqe = prep_msg(&src, 2, 1, 1, 3);
	sqe->flags |= IOSQE_FIXED_FILE;
	t_eq(send_one(sqe), -EBADF);
	t_eq(io_uring_unregister_files(&src), 0);
	close(fds[0]);
	close(fds[1]);
	t_expect_no_cqe(&dst);
}

static void test_link_and_skip(void)
{
	struct io_uring_sqe *sqe;
	int fds[2];

	t_pipe(fds);
	/* A failed message breaks its link. */
	sqe = prep_msg(&src, fds[0], 1, 1, 1);
	sqe->flags |= IOSQE_IO_LINK;
	t_prep_nop(&src, 2);
	t_submit(&src, 2);
	t_expect_cqe(&src, 1, -EBADFD, 0);
	t_expect_cqe(&src, 2, -ECANCELED, 0);
	/* A successful one lets it run. */
	sqe = prep_msg(&src, dst.ring_fd, 1, 5, 3);
	sqe->flags |= IOSQE_IO_LINK;
	t_prep_nop(&src, 4);
	t_submit(&src, 2);
	t_expect_cqe(&src, 3, 0, 0);
	t_expect_cqe(&src, 4, 0, 0);
	t_expect_cqe(&dst, 5, 1, 0);
	/* CQE_SKIP_SUCCESS is the sender's: the target still hears. */
	sqe = prep_msg(&src, dst.ring_fd, 2, 6, 5);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	t_prep_nop(&src, 6);
	t_submit(&src, 2);
	t_expect_cqe(&src, 6, 0, 0);
	t_expect_cqe(&dst, 6, 2, 0);
	t_expect_no_cqe(&src);
	close(fds[0]);
	close(fds[1]);
}

/* Eight messages into a 4-entry CQ: all delivered, in order. */
static void test_overflow(void)
{
	struct io_uring_params p;
	struct io_uring small;
	struct t_cqe_want w[8];

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = 4;
	t_eq(t_setup_ring_params(&small, 4, &p), 0);
	for (unsigned i = 0; i < 8; i++) {
		prep_msg(&src, small.ring_fd, i, 100 + i, i);
		w[i] = (struct t_cqe_want){ .ud = i, .res = 0 };
	}
	t_submit(&src, 8);
	t_reap_cqes(&src, w, 8);
	t_assert(IO_URING_READ_ONCE(*small.sq.kflags) & IORING_SQ_CQ_OVERFLOW);
	for (unsigned i = 0; i < 8; i++)
		t_expect_cqe(&small, 100 + i, (int)i, 0);
	t_expect_no_cqe(&small);
	t_assert(!(IO_URING_READ_ONCE(*small.sq.kflags) & IORING_SQ_CQ_OVERFLOW));
	io_uring_queue_exit(&small);
}

/* A CQE32 target: message CQEs are 32 bytes apart like every other; on
 * ursa their extra half is zero, even in slots that held payloads before. */
static void test_cqe32(void)
{
	struct io_uring big;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;

	t_ring_init(&big, 2, IORING_SETUP_CQE32);
	t_eq(big.cq.ring_entries, 4);
	for (unsigned i = 0; i < 4; i++) {
		sqe = t_prep_nop(&big, i);
		sqe->nop_flags = 1U << 5;	/* IORING_NOP_CQE32 */
		sqe->off = 0x1111;
		sqe->addr = 0x2222;
		t_submit(&big, 1);
	}
	for (unsigned i = 0; i < 4; i++) {
		cqe = t_wait_cqe(&big);
		if (cqe->res == -EINVAL)
			t_skip("kernel without IORING_NOP_CQE32");
		t_eq(cqe->big_cqe[0], 0x1111);
		io_uring_cqe_seen(&big, cqe);
	}
	for (unsigned i = 0; i < 4; i++) {
		t_eq(send_one(prep_msg(&src, big.ring_fd, i, 50 + i, i)), 0);
		cqe = t_wait_cqe(&big);
		t_check_cqe(cqe, 50 + i, (int)i, 0);
		/* 6.18 leaves the slot's old extra half (it sizes aux CQEs
		 * by IORING_CQE_F_32 only); ursa writes zeros. */
		if (!t_backend_is_kernel()) {
			t_eq(cqe->big_cqe[0], 0);
			t_eq(cqe->big_cqe[1], 0);
		}
		io_uring_cqe_seen(&big, cqe);
	}
	io_uring_queue_exit(&big);
}

/*
 * A CQE_MIXED target: a message CQE is 16 bytes; passing IORING_CQE_F_32
 * makes it a 32-byte one (zero extra half), which never wraps: a skip CQE
 * pads the last slot when needed.
 */
static void test_mixed(void)
{
	struct io_uring mix;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned head, tail;
	int ret;

	ret = t_setup_ring(&mix, 2, IORING_SETUP_CQE_MIXED);
	if (ret == -EINVAL && t_backend_is_kernel())
		t_skip("kernel without IORING_SETUP_CQE_MIXED");
	t_eq(ret, 0);
	t_eq(mix.cq.ring_entries, 4);
	/* slots 0, 1, 2: three small CQEs */
	for (unsigned i = 0; i < 3; i++) {
		t_eq(send_one(prep_msg(&src, mix.ring_fd, i, 10 + i, i)), 0);
		t_expect_cqe(&mix, 10 + i, (int)i, 0);
	}
	/* slot 3 is last: the big one goes to slots 0-1 after a pad */
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_cqe_flags(sqe, mix.ring_fd, 9, 20, 0,
					 IORING_CQE_F_32);
	sqe->user_data = 5;
	t_eq(send_one(sqe), 0);
	head = *mix.cq.khead;
	tail = IO_URING_READ_ONCE(*mix.cq.ktail);
	t_eq(tail - head, 3);
	t_eq(mix.cq.cqes[3].flags, IORING_CQE_F_SKIP);
	t_eq(mix.cq.cqes[3].user_data, 0);
	cqe = &mix.cq.cqes[0];
	t_check_cqe(cqe, 20, 9, IORING_CQE_F_32);
	t_eq(cqe->big_cqe[0], 0);
	t_eq(cqe->big_cqe[1], 0);
	/* liburing steps over the pad and the big CQE's two slots */
	cqe = t_wait_cqe(&mix);
	t_check_cqe(cqe, 20, 9, IORING_CQE_F_32);
	io_uring_cqe_seen(&mix, cqe);
	t_eq(send_one(prep_msg(&src, mix.ring_fd, 1, 21, 6)), 0);
	t_expect_cqe(&mix, 21, 1, 0);
	io_uring_queue_exit(&mix);
}

static void test_defer(void)
{
	struct io_uring d;
	int ret;

	ret = t_setup_ring(&d, 4, IORING_SETUP_SINGLE_ISSUER |
			   IORING_SETUP_DEFER_TASKRUN);
	t_eq(ret, 0);
	t_eq(send_one(prep_msg(&src, d.ring_fd, 3, 30, 1)), 0);
	t_expect_cqe(&d, 30, 3, 0);
	io_uring_queue_exit(&d);
}

struct waiter {
	unsigned flags;
	int ring_fd;
	int evfd;
	pthread_barrier_t ready;
	int fail;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct io_uring_cqe *cqe;
	struct io_uring r;

	if (io_uring_queue_init(4, &r, w->flags)) {
		w->fail = 1;
		pthread_barrier_wait(&w->ready);
		return NULL;
	}
	w->ring_fd = r.ring_fd;
	if (w->evfd >= 0 && io_uring_register_eventfd(&r, w->evfd))
		w->fail = 2;
	pthread_barrier_wait(&w->ready);
	if (io_uring_wait_cqe_timeout(&r, &cqe, &ts))
		w->fail = 3;
	else if (cqe->user_data != 0xfeed || cqe->res != 42 || cqe->flags)
		w->fail = 4;
	io_uring_queue_exit(&r);
	return NULL;
}

/* A target whose owner sleeps in io_uring_wait_cqe in another thread. */
static void test_thread(unsigned flags, bool evfd)
{
	struct waiter w = { .flags = flags, .evfd = -1 };
	pthread_t th;
	uint64_t v;

	if (evfd)
		w.evfd = eventfd(0, EFD_CLOEXEC);
	pthread_barrier_init(&w.ready, NULL, 2);
	pthread_create(&th, NULL, waiter_fn, &w);
	pthread_barrier_wait(&w.ready);
	t_eq(w.fail, 0);
	usleep(20000);
	t_eq(send_one(prep_msg(&src, w.ring_fd, 42, 0xfeed, 1)), 0);
	pthread_join(th, NULL);
	t_eq(w.fail, 0);
	if (evfd) {
		t_eq(read(w.evfd, &v, sizeof(v)), sizeof(v));
		t_assert(v >= 1);
		close(w.evfd);
	}
	pthread_barrier_destroy(&w.ready);
}

/* ursa: a data message to a ring of the kernel's io_uring. */
static void test_kernel_target(void)
{
	struct io_uring kr;
	struct io_uring_sqe *sqe;
	int ret;

	if (t_backend_is_kernel())
		return;
	ursa_set_backend(URSA_BACKEND_KERNEL);
	ret = io_uring_queue_init(4, &kr, 0);
	ursa_set_backend(URSA_BACKEND_URSA);
	if (ret) {
		printf("no kernel ring (%s): kernel target not tested\n",
		       t_errname(ret));
		return;
	}
	t_assert(!ursa_is_ring_fd(kr.ring_fd));
	t_eq(send_one(prep_msg(&src, kr.ring_fd, 8, 0x4b, 1)), 0);
	t_expect_cqe(&kr, 0x4b, 8, 0);
	sqe = t_get_sqe(&src);
	io_uring_prep_msg_ring_cqe_flags(sqe, kr.ring_fd, 9, 0x4c, 0, 0x40000);
	sqe->user_data = 2;
	t_eq(send_one(sqe), 0);
	t_expect_cqe(&kr, 0x4c, 9, 0x40000);
	sqe = prep_msg(&src, kr.ring_fd, 1, 1, 3);
	sqe->file_index = 1;
	t_eq(send_one(sqe), -EINVAL);
	sqe = prep_msg(&src, kr.ring_fd, 1, 1, 4);
	sqe->addr = 7;
	t_eq(send_one(sqe), -EINVAL);
	t_expect_no_cqe(&kr);
	io_uring_queue_exit(&kr);
}

int main(void)
{
	t_ring_init(&src, 8, 0);
	t_ring_init(&dst, 8, 0);

	test_basic();
	test_flags_pass();
	test_errors();
	test_disabled();
	test_fixed_target();
	test_link_and_skip();
	test_overflow();
	test_defer();
	test_thread(0, true);
	test_thread(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		    false);
	test_kernel_target();
	test_cqe32();
	test_mixed();

	t_expect_no_cqe(&dst);
	io_uring_queue_exit(&src);
	io_uring_queue_exit(&dst);
	return T_EXIT_PASS;
}
