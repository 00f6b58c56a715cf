/* SPDX-License-Identifier: MIT */
/*
 * IORING_REGISTER_QUERY: a chain of io_uring_query_hdr entries, each asking
 * one question about this engine (its opcodes and flags, zero-copy receive,
 * ring header sizes).  The answers describe ursa, not the kernel underneath.
 */
#include <string.h>

#include <liburing/io_uring/query.h>

#include "query.h"
#include "zcrx.h"

/* What ursa accepts and reports: the engine's own definitions. */
#define Q_SETUP_FLAGS	URSA_SETUP_FLAGS
#define Q_FEATURES	URSA_FEATURES
#define Q_ENTER_FLAGS	URSA_ENTER_FLAGS
#define Q_SQE_FLAGS	URSA_SQE_FLAGS
#define Q_RINGS_HDR_SIZE	64
#define Q_RINGS_HDR_ALIGN	URSA_CACHELINE

/* A chain this long is taken for a cycle, as the kernel does. */
#define Q_MAX_ENTRIES		1000

union query_data {
	struct io_uring_query_opcode	opcodes;
	struct io_uring_query_zcrx	zcrx;
	struct io_uring_query_scq	scq;
};

/* An answer's size in bytes, or -errno for the entry's result. */
static int query_opcodes(union query_data *d)
{
	struct io_uring_query_opcode *e = &d->opcodes;

	e->nr_request_opcodes = IORING_OP_LAST;
	e->nr_register_opcodes = IORING_REGISTER_LAST;
	e->feature_flags = Q_FEATURES;
	e->ring_setup_flags = Q_SETUP_FLAGS;
	e->enter_flags = Q_ENTER_FLAGS;
	e->sqe_flags = Q_SQE_FLAGS;
	e->nr_query_opcodes = __IO_URING_QUERY_MAX;
	e->__pad = 0;
	return (int)sizeof(*e);
}

static int query_scq(union query_data *d)
{
	struct io_uring_query_scq *e = &d->scq;

	e->hdr_size = Q_RINGS_HDR_SIZE;
	e->hdr_alignment = Q_RINGS_HDR_ALIGN;
	return (int)sizeof(*e);
}

/* Zero len bytes of application memory: -EFAULT if any of it is bad. */
static int clear_user(unsigned char *dst, size_t len)
{
	static const unsigned char zeros[4096];

	while (len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);

		if (ursa_copy_to_user(dst, zeros, n))
			return -EFAULT;
		dst += n;
		len -= n;
	}
	return 0;
}

/*
 * One entry.  Its own problems go into hdr.result (unknown op -EOPNOTSUPP;
 * reserved bits, a non-zero result or a zero size -EINVAL) and the call
 * goes on; only bad memory ends the call (-EFAULT).  The answer buffer gets
 * min(size, answer) bytes and the rest of the caller's size is zeroed, so
 * an older or newer caller's struct is always fully defined; hdr.size says
 * how much was answered.
 */
static int query_entry(void *uhdr, uint64_t *next)
{
	struct io_uring_query_hdr hdr;
	union query_data data;
	unsigned char *udata;
	size_t usize, ksize, res_size = 0;
	int ret = -EINVAL;

	if (ursa_copy_from_user(&hdr, uhdr, sizeof(hdr)))
		return -EFAULT;
	usize = hdr.size;
	ksize = usize < sizeof(data) ? usize : sizeof(data);
	udata = (unsigned char *)(uintptr_t)hdr.query_data;
	memset(&data, 0, sizeof(data));

	if (hdr.query_op >= __IO_URING_QUERY_MAX) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (hdr.__resv[0] || hdr.__resv[1] || hdr.__resv[2] || hdr.result ||
	    !ksize)
		goto out;
	/* Read first, as the kernel does: a buffer that cannot be read
	 * fails the call even though nothing in it is used yet. */
	if (ursa_copy_from_user(&data, udata, ksize))
		return -EFAULT;
	switch (hdr.query_op) {
	case IO_URING_QUERY_OPCODES:
		ret = query_opcodes(&data);
		break;
	case IO_URING_QUERY_ZCRX:
		ret = ursa_query_zcrx(&data);
		break;
	case IO_URING_QUERY_SCQ:
		ret = query_scq(&data);
		break;
	}
	if (ret >= 0) {
		res_size = (size_t)ret;
		ret = 0;
	}
out:
	hdr.result = ret;
	if (res_size > usize)
		res_size = usize;
	hdr.size = (uint32_t)res_size;
	if (usize > res_size && clear_user(udata + res_size, usize - res_size))
		return -EFAULT;
	if (ursa_copy_to_user(udata, &data, res_size))
		return -EFAULT;
	if (ursa_copy_to_user(uhdr, &hdr, sizeof(hdr)))
		return -EFAULT;
	*next = hdr.next_entry;
	return 0;
}

/*
 * The whole chain; 0 when every entry was answered (each entry's own
 * result is in its header).  Needs no ring: the answers are the engine's.
 */
int ursa_register_query(void *arg, unsigned nr)
{
	void *uhdr = arg;
	unsigned n = 0;
	int ret;

	if (nr)
		return -EINVAL;
	while (uhdr) {
		uint64_t next;

		ret = query_entry(uhdr, &next);
		if (ret)
			return ret;
		uhdr = (void *)(uintptr_t)next;
		if (++n >= Q_MAX_ENTRIES)
			return -ERANGE;
	}
	return 0;
}
