/* SPDX-License-Identifier: MIT */
/*
 * Kernel-managed buffer rings (seed 000, IOU_PBUF_RING_KERNEL_MANAGED):
 * the registration rules, the engine's buffers pre-filled and seen through
 * mmap of the ring fd, selection that commits at once with the buffer id in
 * the CQE (a receive, and a driver's ursa_ring_buffer_select), recycling and
 * its -EINVAL cases, is_kmbuf, pinning exactly as the seed (-EINVAL,
 * -EALREADY, unregister -EBUSY after the -ENOENT/-EINVAL checks), and
 * teardown with a pinned list.  The kernel lacks the flag (the series was
 * dropped), so the kernel backend only checks that it refuses it.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ursa/driver.h>
#include <ursa/ursa.h>
#include "helpers/helpers.h"

#define BGID	3
#define ENTRIES	8
#define BUFSZ	8192

enum { OP_PIN = 1, OP_UNPIN, OP_RECYCLE, OP_IS_KM, OP_SELECT };

static struct ursa_buffer_list *pinned;

/* sqe->buf_group = group; OP_RECYCLE: addr, len, addr3 = bid (off is
 * cmd_op's slot). */
static int drv_cmd(struct ursa_uring_cmd *cmd, unsigned issue_flags)
{
	const struct io_uring_sqe *sqe = cmd->sqe;
	struct ursa_br_sel sel;
	size_t len = 0;

	switch (cmd->cmd_op) {
	case OP_PIN:
		return ursa_buf_ring_pin(cmd, sqe->buf_group, issue_flags, &pinned);
	case OP_UNPIN:
		return ursa_buf_ring_unpin(cmd, sqe->buf_group, issue_flags);
	case OP_RECYCLE:
		return ursa_kmbuf_recycle(cmd, sqe->buf_group, sqe->addr, sqe->len,
					  (unsigned)sqe->addr3, issue_flags);
	case OP_IS_KM:
		return ursa_is_kmbuf_ring(cmd, sqe->buf_group, issue_flags);
	case OP_SELECT:
		sel = ursa_ring_buffer_select(cmd, &len, pinned, issue_flags);
		if (!sel.addr)
			return -ENOBUFS;
		memset(sel.addr, 'k', 16);
		return (int)len;
	}
	return -EOPNOTSUPP;
}

static const struct ursa_file_operations drv_fops = { .uring_cmd = drv_cmd };

static int reg_km(struct io_uring *ring, unsigned bgid, unsigned entries,
		  unsigned flags, uint32_t buf_size)
{
	struct io_uring_buf_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.buf_size = buf_size;
	reg.ring_entries = entries;
	reg.bgid = (uint16_t)bgid;
	reg.flags = (uint16_t)flags;
	return io_uring_register_buf_ring(ring, &reg, 0);
}

static struct io_uring_cqe *cmd(struct io_uring *ring, int fd, unsigned op,
				unsigned bgid, uint64_t addr, unsigned len,
				uint64_t off)
{
	struct io_uring_sqe *sqe = t_get_sqe(ring);

	io_uring_prep_uring_cmd(sqe, op, fd);
	sqe->buf_group = (uint16_t)bgid;
	sqe->addr = addr;
	sqe->len = len;
	sqe->addr3 = off;
	sqe->user_data = op;
	t_submit(ring, 1);
	return t_wait_cqe(ring);
}

static int cmd_res(struct io_uring *ring, int fd, unsigned op, unsigned bgid,
		   uint64_t addr, unsigned len, uint64_t off)
{
	struct io_uring_cqe *cqe = cmd(ring, fd, op, bgid, addr, len, off);
	int res = cqe->res;

	io_uring_cqe_seen(ring, cqe);
	return res;
}

static void test_register_rules(struct io_uring *ring)
{
	const unsigned KM = IOU_PBUF_RING_KERNEL_MANAGED;

	t_eq(reg_km(ring, 1, ENTRIES, KM, BUFSZ), -EINVAL);	/* no MMAP */
	t_eq(reg_km(ring, 1, ENTRIES, KM | IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC,
		    BUFSZ), -EINVAL);
	t_eq(reg_km(ring, 1, ENTRIES, KM | IOU_PBUF_RING_MMAP, 0), -EINVAL);
	t_eq(reg_km(ring, 1, ENTRIES, KM | IOU_PBUF_RING_MMAP, 4097), -EINVAL);
	t_eq(reg_km(ring, 1, 6, KM | IOU_PBUF_RING_MMAP, BUFSZ), -EINVAL);
	t_eq(reg_km(ring, 1, 65536, KM | IOU_PBUF_RING_MMAP, BUFSZ), -EINVAL);
}

static void test_recv_into_km(struct io_uring *ring, unsigned char *map)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int sv[2];
	unsigned bid;

	t_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t_eq(write(sv[1], "hello kmbuf", 11), 11);
	sqe = t_get_sqe(ring);
	io_uring_prep_recv(sqe, sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 9;
	t_submit(ring, 1);
	cqe = t_wait_cqe(ring);
	t_eq(cqe->res, 11);
	t_assert(cqe->flags & IORING_CQE_F_BUFFER);
	bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	t_eq(bid, 0);			/* the ring starts full, from entry 0 */
	io_uring_cqe_seen(ring, cqe);
	t_assert(!memcmp(map + bid * BUFSZ, "hello kmbuf", 11));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_buf_reg reg;
	unsigned char *map;
	int fd, i;

	t_ring_init(&ring, 16, 0);
	if (t_backend_is_kernel()) {
		/* Not in the kernel: the flag is refused like any unknown. */
		t_eq(reg_km(&ring, BGID, ENTRIES, IOU_PBUF_RING_KERNEL_MANAGED |
			    IOU_PBUF_RING_MMAP, BUFSZ), -EINVAL);
		return T_EXIT_PASS;
	}
	test_register_rules(&ring);
	t_eq(reg_km(&ring, BGID, ENTRIES, IOU_PBUF_RING_KERNEL_MANAGED |
		    IOU_PBUF_RING_MMAP, BUFSZ), 0);
	/* The buffers, one after another, at the group's offset. */
	map = mmap(NULL, ENTRIES * BUFSZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ring.ring_fd, IORING_OFF_PBUF_RING |
		   ((uint64_t)BGID << IORING_OFF_PBUF_SHIFT));
	t_assert(map != MAP_FAILED);
	memset(map, 0, ENTRIES * BUFSZ);

	fd = ursa_device_create(&drv_fops, NULL, URSA_DEV_NOWAIT, NULL);
	t_assert(fd >= 0);
	t_eq(cmd_res(&ring, fd, OP_IS_KM, BGID, 0, 0, 0), 1);
	t_eq(cmd_res(&ring, fd, OP_IS_KM, 77, 0, 0, 0), 0);

	test_recv_into_km(&ring, map);

	/* Pinning: no group / legacy group -EINVAL, twice -EALREADY. */
	t_eq(cmd_res(&ring, fd, OP_PIN, 77, 0, 0, 0), -EINVAL);
	{
		static char lb[64];
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_provide_buffers(sqe, lb, 64, 1, 5, 0);
		sqe->user_data = 1;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 1, 0, 0);
		t_eq(cmd_res(&ring, fd, OP_PIN, 5, 0, 0, 0), -EINVAL);
	}
	t_eq(cmd_res(&ring, fd, OP_PIN, BGID, 0, 0, 0), 0);
	t_eq(cmd_res(&ring, fd, OP_PIN, BGID, 0, 0, 0), -EALREADY);
	/* Unregister: -ENOENT and -EINVAL first, then -EBUSY while pinned. */
	memset(&reg, 0, sizeof(reg));
	reg.bgid = 77;
	t_eq(io_uring_unregister_buf_ring(&ring, 77), -ENOENT);
	t_eq(io_uring_unregister_buf_ring(&ring, 5), -EINVAL);
	t_eq(io_uring_unregister_buf_ring(&ring, BGID), -EBUSY);

	/* Selection from the pinned list: committed, bid in the CQE. */
	cqe = cmd(&ring, fd, OP_SELECT, 0, 0, 0, 0);
	t_eq(cqe->res, BUFSZ);
	t_assert(cqe->flags & IORING_CQE_F_BUFFER);
	t_eq(cqe->flags >> IORING_CQE_BUFFER_SHIFT, 1);	/* after the recv's 0 */
	io_uring_cqe_seen(&ring, cqe);
	t_assert(!memcmp(map + 1 * BUFSZ, "kkkkkkkkkkkkkkkk", 16));
	/* Drain the rest: 6 more, then none. */
	for (i = 2; i < ENTRIES; i++)
		t_eq(cmd_res(&ring, fd, OP_SELECT, 0, 0, 0, 0), BUFSZ);
	t_eq(cmd_res(&ring, fd, OP_SELECT, 0, 0, 0, 0), -ENOBUFS);

	/* Recycle: bad group, not kernel-managed -> -EINVAL; then all
	 * eight back; a ninth (ring full) -> -EINVAL. */
	t_eq(cmd_res(&ring, fd, OP_RECYCLE, 77, (uintptr_t)map, BUFSZ, 0), -EINVAL);
	t_eq(cmd_res(&ring, fd, OP_RECYCLE, 5, (uintptr_t)map, BUFSZ, 0), -EINVAL);
	for (i = 0; i < ENTRIES; i++)
		t_eq(cmd_res(&ring, fd, OP_RECYCLE, BGID, (uintptr_t)map + i * BUFSZ,
			     BUFSZ, i), 0);
	t_eq(cmd_res(&ring, fd, OP_RECYCLE, BGID, (uintptr_t)map, BUFSZ, 0), -EINVAL);

	/* Unpin: only a pinned ring; then it may go. */
	t_eq(cmd_res(&ring, fd, OP_UNPIN, BGID, 0, 0, 0), 0);
	t_eq(cmd_res(&ring, fd, OP_UNPIN, BGID, 0, 0, 0), -EINVAL);
	t_eq(io_uring_unregister_buf_ring(&ring, BGID), 0);
	munmap(map, ENTRIES * BUFSZ);

	/* Teardown with a pinned kernel-managed list frees it (ASan). */
	t_eq(reg_km(&ring, 9, 4, IOU_PBUF_RING_KERNEL_MANAGED |
		    IOU_PBUF_RING_MMAP, 32768), 0);	/* 128 KiB: 2 slots */
	t_eq(cmd_res(&ring, fd, OP_PIN, 9, 0, 0, 0), 0);
	/* Neighbouring groups whose mmap ranges would overlap: -ENOMEM. */
	t_eq(reg_km(&ring, 10, 4, IOU_PBUF_RING_KERNEL_MANAGED |
		    IOU_PBUF_RING_MMAP, 4096), -ENOMEM);
	io_uring_queue_exit(&ring);
	t_eq(ursa_close(fd), 0);
	return T_EXIT_PASS;
}
