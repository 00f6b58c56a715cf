/* SPDX-License-Identifier: MIT */
/*
 * The engine's mechanism: rings, requests, completion, waiting.  Opcode
 * families (nop.c, rw.c, sync.c, ...) see only what is declared here and in
 * opdef.h; they never touch ring memory directly.
 */
#ifndef URSA_ENGINE_H
#define URSA_ENGINE_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <liburing/io_uring.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define URSA_CACHELINE	64

/* Setup flags the kernel knows, those ursa accepts, and the features ursa
 * reports: one definition for setup, the probe-like QUERY and the docs. */
#define URSA_SETUP_FLAGS_KNOWN (IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL |	\
	IORING_SETUP_SQ_AFF | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP |	\
	IORING_SETUP_ATTACH_WQ | IORING_SETUP_R_DISABLED |		\
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |		\
	IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SQE128 |		\
	IORING_SETUP_CQE32 | IORING_SETUP_SINGLE_ISSUER |		\
	IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_NO_MMAP |		\
	IORING_SETUP_REGISTERED_FD_ONLY | IORING_SETUP_NO_SQARRAY |	\
	IORING_SETUP_HYBRID_IOPOLL | IORING_SETUP_CQE_MIXED |		\
	IORING_SETUP_SQE_MIXED | IORING_SETUP_SQ_REWIND)

/*
 * What ursa honestly supports.  REGISTERED_FD_ONLY needs a ring without an
 * fd (ours always has one): it answers -EINVAL, as an older kernel would.
 * IOPOLL: completions of polled requests (driver commands with an iopoll
 * hook) are found by polling in io_uring_enter (uring_cmd.c); HYBRID_IOPOLL
 * polls the same way (there is no device sleep to model).
 */
#define URSA_SETUP_FLAGS (URSA_SETUP_FLAGS_KNOWN & ~IORING_SETUP_REGISTERED_FD_ONLY)

#define URSA_FEATURES (IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE |	\
	IORING_FEAT_RW_CUR_POS | IORING_FEAT_CUR_PERSONALITY |		\
	IORING_FEAT_FAST_POLL | IORING_FEAT_SQPOLL_NONFIXED |		\
	IORING_FEAT_EXT_ARG | IORING_FEAT_NATIVE_WORKERS |		\
	IORING_FEAT_RSRC_TAGS | IORING_FEAT_CQE_SKIP |			\
	IORING_FEAT_LINKED_FILE | IORING_FEAT_REG_REG_RING |		\
	IORING_FEAT_MIN_TIMEOUT | IORING_FEAT_NO_IOWAIT | IORING_FEAT_RECVSEND_BUNDLE)

/* What io_uring_enter accepts (all of them). */
#define URSA_ENTER_FLAGS (IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP |	\
	IORING_ENTER_SQ_WAIT | IORING_ENTER_EXT_ARG |			\
	IORING_ENTER_REGISTERED_RING | IORING_ENTER_ABS_TIMER |		\
	IORING_ENTER_EXT_ARG_REG | IORING_ENTER_NO_IOWAIT)

/* Valid sqe->flags bits. */
#define URSA_SQE_FLAGS (IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_IO_LINK |	\
	IOSQE_IO_HARDLINK | IOSQE_ASYNC | IOSQE_BUFFER_SELECT |		\
	IOSQE_CQE_SKIP_SUCCESS)

/* Kernel limits we mirror (io_uring/io_uring.c, rsrc.h). */
#define URSA_MAX_ENTRIES	32768u
#define URSA_MAX_CQ_ENTRIES	(2u * URSA_MAX_ENTRIES)
#define URSA_MAX_FIXED_FILES	(1u << 20)
#define URSA_MAX_REG_BUFFERS	(1u << 14)
#define URSA_MAX_RING_FDS	16u
#define URSA_MEMFS_HINTS	64

struct ursa_ring;
struct ursa_req;
struct ursa_iowq;
struct ursa_reactor;
struct ursa_sqpoll;
struct ursa_timers;
struct ursa_kbufs;
struct ursa_memmap;
struct ursa_zcrx;
struct ursa_executor;

/* ---------------------------------------------------------------- requests */

/*
 * req->flags: the low byte is the SQE's IOSQE_* flags as submitted; the bits
 * above are the engine's own state.
 */
enum {
	REQ_F_SQE_MASK		= 0xffu,
	REQ_F_FAIL		= 1u << 8,	/* failed: breaks a (soft) link */
	REQ_F_ASYNC		= 1u << 9,	/* completed away from the submitter */
	REQ_F_BIG_CQE		= 1u << 10,	/* extra1/extra2 carry a CQE32 tail */
	REQ_F_POLLED		= 1u << 11,	/* waited for readiness at least once */
	REQ_F_LINK_HEAD_FAIL	= 1u << 12,	/* chain failed during submission */
	REQ_F_PERSONALITY	= 1u << 13,
	REQ_F_IN_WORKER		= 1u << 14,
	REQ_F_CANCELED		= 1u << 15,
	REQ_F_PREPPED		= 1u << 16,	/* prep ran: cleanup applies */
	REQ_F_NOFAIL		= 1u << 17,	/* a negative result is not a failure */
};

/* Bytes of per-opcode state carried in a request (kernel: io_kiocb.cmd). */
#define URSA_OP_DATA_SIZE	96

struct ursa_file_node;
struct ursa_buf_node;

struct ursa_req {
	struct ursa_ring	*ring;
	uint8_t			opcode;
	uint16_t		ioprio;
	uint32_t		flags;
	int			fd;		/* the real fd the op works on */
	struct ursa_file_node	*file_node;	/* ref held: fixed file */
	struct ursa_buf_node	*buf_node;	/* ref held: fixed buffer */
	uint64_t		user_data;
	int32_t			res;
	uint32_t		cflags;
	uint64_t		extra1, extra2;	/* big CQE payload */
	uint16_t		personality;
	struct ursa_req		*link;		/* next request of the link chain */
	struct ursa_req		*next;		/* queue linkage (one queue at a time) */
	uint64_t		seq;		/* requests submitted before this one */
	unsigned		chain_len;	/* requests in the chain it heads */
	_Atomic int		worker_tid;	/* worker thread running it, or 0 */
	_Atomic unsigned	cancel;		/* set by a canceller (any thread) */
	uint64_t		cancel_seq;	/* last cancel pass that matched it */
	struct ursa_req		*link_timeout;	/* IORING_OP_LINK_TIMEOUT guarding it */
	union {
		unsigned char	bytes[URSA_OP_DATA_SIZE];
		uint64_t	align;
	} op;
};

/* Typed access to the per-opcode state, checked at compile time. */
#define ursa_req_data(req, type) ({					\
	_Static_assert(sizeof(type) <= URSA_OP_DATA_SIZE,		\
		       #type " too large for ursa_req.op");		\
	(type *)(void *)(req)->op.bytes;				\
})

/*
 * What an opcode's issue function returns, besides a result (>= 0 or
 * -errno, completed at once by the core):
 *  URSA_ISSUE_RETRY   would block: wait for readiness, or hand to a worker;
 *  URSA_ISSUE_QUEUED  the op owns the request and completes it later.
 * Both lie outside the errno range, so no result can be mistaken for them.
 */
#define URSA_ISSUE_RETRY	(-100001)
#define URSA_ISSUE_QUEUED	(-100002)
/* must run on a worker (the file cannot be tried without blocking) */
#define URSA_ISSUE_PUNT		(-100003)

/* issue_flags */
enum {
	URSA_ISSUE_NONBLOCK	= 1u << 0,	/* must not block: try once */
	URSA_ISSUE_WORKER	= 1u << 1,	/* running on a worker: may block */
};

/* ----------------------------------------------------------- registered rsrc */

/* A registered file: a private dup of the application's fd, refcounted so an
 * update or unregister never closes it under an in-flight request. */
struct ursa_file_node {
	_Atomic int		refs;
	int			fd;
	uint64_t		tag;
	struct ursa_ring	*ring;		/* where the tag CQE goes */
};

/* A registered buffer: an address range (user space needs no pinning). */
struct ursa_buf_node {
	_Atomic int		refs;
	uint64_t		addr;
	uint64_t		len;
	uint64_t		tag;
	struct ursa_ring	*ring;
};

struct ursa_file_table {
	struct ursa_file_node	**nodes;
	unsigned		nr;
	unsigned		alloc_start, alloc_end, alloc_hint;
};

struct ursa_buf_table {
	struct ursa_buf_node	**nodes;
	unsigned		nr;
};

/* ----------------------------------------------------------------- the ring */

/* An overflowed CQE waiting for room in the CQ (IORING_FEAT_NODROP). */
struct ursa_ocqe {
	struct ursa_ocqe	*next;
	uint64_t		user_data;
	int32_t			res;
	uint32_t		flags;
	uint64_t		big[2];
	bool			has_big;
};

/* Completions produced inline by the submitter, flushed to the CQ once per
 * submission batch (the kernel's submit_state compl_reqs). */
#define URSA_COMPL_BATCH	32
struct ursa_compl {
	uint64_t user_data;
	int32_t res;
	uint32_t flags;
	uint64_t big[2];
};

struct ursa_personality {
	uid_t uid, euid;
	gid_t gid, egid;
};

struct ursa_ring {
	int			fd;		/* the memfd naming the ring, or -1 once closed */
	_Atomic int		refs;		/* the fd, plus each registered-ring slot */
	unsigned		setup_flags;
	unsigned		features;
	bool			enabled;	/* false until ENABLE_RINGS with R_DISABLED */
	bool			dying;
	bool			compat_big_sqe;	/* SQE128 */
	bool			cqe32;		/* CQE32: every CQE is 32 bytes */
	bool			cqe_mixed;
	bool			sqe_mixed;
	enum { URSA_MEM_MMAP, URSA_MEM_USER } mem;

	/* SQ: we are the consumer; head is ours, tail the application's. */
	_Atomic unsigned	*sq_head;
	_Atomic unsigned	*sq_tail;
	_Atomic unsigned	*sq_flags;
	unsigned		*sq_dropped;
	unsigned		*sq_array;	/* NULL with NO_SQARRAY */
	unsigned		sq_mask, sq_entries;
	unsigned		cached_sq_head;
	unsigned char		*sqes;

	/* CQ: we are the producer. */
	_Atomic unsigned	*cq_head;
	_Atomic unsigned	*cq_tail;
	_Atomic unsigned	*cq_flags;
	unsigned		*cq_overflow;
	unsigned		cq_mask, cq_entries;
	unsigned char		*cqes;
	unsigned		cached_cq_tail;

	/* Our own mappings of ring memory (NULL/0 for NO_MMAP). */
	void			*sq_map, *cq_map, *sqe_map;
	size_t			sq_map_sz, cq_map_sz, sqe_map_sz;
	size_t			sq_res_sz, cq_res_sz, sqe_res_sz;	/* reserved */

	/*
	 * uring_lock serialises submission and registration, as the kernel's
	 * ctx->uring_lock.  completion_lock guards the CQ tail, the overflow
	 * list and the completion counters; any thread may post CQEs.
	 */
	pthread_mutex_t		uring_lock;
	pthread_mutex_t		completion_lock;

	struct ursa_ocqe	*ocq_head, **ocq_tail;
	unsigned		nr_overflow;
	struct ursa_compl	compl[URSA_COMPL_BATCH];
	unsigned		nr_compl;
	bool			in_submit;	/* submitter batches completions */

	bool			cq_dropped;	/* a CQE was lost: next wait says -EBADR */
	int			wait_evfd;	/* wakes waiters that sleep in ppoll */

	/* Waiters block on cq_wait_seq (a futex word) while cq_waiters > 0. */
	_Atomic unsigned	cq_wait_seq;
	_Atomic unsigned	cq_waiters;

	/* eventfd notification */
	int			evfd;
	bool			evfd_async_only;

	/* SINGLE_ISSUER: the only thread allowed to submit/register. */
	pid_t			submitter_tid;

	/* Link chain being built during submission. */
	struct ursa_req		*link_head, *link_last;

	/* Drain: deferred requests in submission order, with the counters
	 * deciding when each may start (see submit.c). */
	pthread_mutex_t		defer_lock;
	struct ursa_req		*defer_head, **defer_tail;
	_Atomic bool		drain_active;
	bool			drain_disabled;	/* CQE_SKIP_SUCCESS was used */
	uint64_t		drain_end;	/* requests to finish before non-drain ones go */
	uint64_t		submit_seq;		/* requests submitted */
	_Atomic uint64_t	complete_local;		/* finished on the submitter */
	_Atomic uint64_t	complete_remote;	/* finished elsewhere */

	/* Request allocation: a cache used under uring_lock, refilled from a
	 * list that other threads free into under completion_lock. */
	struct ursa_req		*req_cache;
	struct ursa_req		*req_free_remote;

	pthread_mutex_t		rsrc_lock;	/* file and buffer tables */
	pthread_mutex_t		kbuf_lock;	/* provided buffer lists (kbuf.c) */
	struct ursa_kbufs	*kbufs;
	struct ursa_memmap	*memmaps;	/* memfd regions (memmap.c) */
	struct ursa_zcrx	*zcrx;		/* zcrx interface queues (zcrx.c) */
	/* Commands drivers hold (uring_cmd.c): cancelled and waited for at
	 * teardown. */
	pthread_mutex_t		cmd_lock;
	pthread_cond_t		cmd_cond;
	struct ursa_req		*uring_cmds;
	unsigned		nr_uring_cmds;
	struct ursa_file_table	files;
	struct ursa_buf_table	bufs;

	struct ursa_personality	*personalities[64];

	/* Restrictions (REGISTER_RESTRICTIONS) */
	bool			restricted;	/* restrictions in force (after ENABLE) */
	bool			restrictions_registered;
	uint64_t		restrict_register[4];	/* bitmap of allowed register ops */
	uint64_t		restrict_sqe_op[4];	/* bitmap of allowed opcodes */
	uint8_t			restrict_sqe_flags_allowed;
	uint8_t			restrict_sqe_flags_required;

	struct ursa_iowq	*iowq;
	struct ursa_reactor	*reactor;
	struct ursa_timers	*timers;
	/* Pairs requests with their link timeouts and guards the list of
	 * active timeouts (timeout.c). */
	pthread_mutex_t		timeout_lock;
	struct ursa_req		*timeouts;		/* active IORING_OP_TIMEOUTs */
	_Atomic unsigned	timeouts_fired;		/* wakes waiters (enter) */
	uint64_t		cq_posted;		/* CQEs posted, for timeout counts */
	uint64_t		cq_timeouts;		/* ... of which timeouts' own */
	_Atomic uint64_t	cancel_seq;
	bool			has_count_timeouts;
	unsigned		nr_count_timeouts;	/* under timeout_lock */
	struct ursa_sqpoll	*sqpoll;
	const struct ursa_executor *exec;

	unsigned		sq_thread_idle_ms;
	int			clockid;	/* of enter timeouts: REGISTER_CLOCK */
	struct {
		void		*addr;
		size_t		size;
		bool		user;		/* the application's pages */
		bool		wait_arg;	/* holds io_uring_reg_wait entries */
	} region;				/* IORING_REGISTER_MEM_REGION */
	/* fd + 1 of files seen to be memory-backed (rw.c), by fd % size */
	int			memfs_hint[URSA_MEMFS_HINTS];
};

/*
 * SINGLE_ISSUER without SQPOLL: only the owner thread submits or registers
 * (others get -EEXIST before any lock), so uring_lock has nothing to
 * serialise and is skipped.
 */
static inline bool ursa_ring_lock_needed(const struct ursa_ring *ring)
{
	return !ring->submitter_tid || ring->sqpoll;
}

static inline void ursa_uring_lock(struct ursa_ring *ring)
{
	if (ursa_ring_lock_needed(ring))
		pthread_mutex_lock(&ring->uring_lock);
}

static inline void ursa_uring_unlock(struct ursa_ring *ring)
{
	if (ursa_ring_lock_needed(ring))
		pthread_mutex_unlock(&ring->uring_lock);
}

/* ------------------------------------------------------------- entry points */

struct ursa_ring *ursa_ring_lookup(int fd);
int ursa_ring_setup(unsigned entries, struct io_uring_params *p);
void ursa_ring_destroy(struct ursa_ring *ring);
void ursa_ring_get(struct ursa_ring *ring);
void ursa_ring_put(struct ursa_ring *ring);
int ursa_ring_enter(struct ursa_ring *ring, unsigned to_submit,
		    unsigned min_complete, unsigned flags, const void *arg,
		    size_t argsz);
int ursa_ring_register(struct ursa_ring *ring, unsigned opcode, void *arg,
		       unsigned nr_args);
int ursa_register_blind(unsigned opcode, void *arg, unsigned nr_args);
int ursa_register_resize_rings(struct ursa_ring *ring, void *arg, unsigned nr);

/* Thread id, cached per thread: SINGLE_ISSUER checks must not cost a syscall. */
pid_t ursa_gettid(void);

/* Per-thread registered ring fds (IORING_REGISTER_RING_FDS). */
struct ursa_ring *ursa_registered_ring(unsigned index);
int ursa_register_ring_fds(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_unregister_ring_fds(void *arg, unsigned nr);
int ursa_registered_ring_error(unsigned index);
void ursa_thread_mark_ctx(void);
void ursa_forget_registered_rings(void);
void ursa_atfork_init(void);

/* ----------------------------------------------------------------- submission */

int ursa_submit_sqes(struct ursa_ring *ring, unsigned nr);
/* Issue a prepared request (first attempt, nonblocking). */
void ursa_req_issue(struct ursa_req *req);
/* A request waiting for readiness or a worker tries again. */
void ursa_req_reissue(struct ursa_req *req, unsigned issue_flags);
/* Finish a request: post its CQE (unless skipped), release it, continue or
 * fail its link chain. */
void ursa_req_complete(struct ursa_req *req, int res);
/* Mark a request failed without changing its result (short transfers). */
static inline void ursa_req_set_fail(struct ursa_req *req)
{
	req->flags |= REQ_F_FAIL;
}

/* ----------------------------------------------------------------- completion */

/* Post a CQE from any thread.  big may be NULL. */
void ursa_post_cqe(struct ursa_ring *ring, uint64_t user_data, int32_t res,
		   uint32_t cflags, const uint64_t *big);
bool ursa_post_cqe_more(struct ursa_ring *ring, uint64_t user_data, int32_t res);
bool ursa_post_cqe_more_flags(struct ursa_ring *ring, uint64_t user_data,
			      int32_t res, uint32_t cflags);
bool ursa_post_cqe_more_big(struct ursa_ring *ring, uint64_t user_data,
			    int32_t res, uint32_t cflags, const uint64_t *big);
/* Flush the submitter's completion batch to the CQ. */
void ursa_flush_compl(struct ursa_ring *ring);
/* Move overflowed CQEs into the CQ as room allows. */
void ursa_flush_overflow(struct ursa_ring *ring);
unsigned ursa_cq_ready(struct ursa_ring *ring);
int ursa_cq_wait(struct ursa_ring *ring, unsigned min_complete, unsigned flags,
		 const void *arg, size_t argsz);
void ursa_cq_wake(struct ursa_ring *ring);
void ursa_wake_batch_begin(struct ursa_ring *ring);
void ursa_wake_batch_end(struct ursa_ring *ring);
bool ursa_batch_post(struct ursa_ring *ring, uint64_t user_data, int32_t res,
		     uint32_t cflags, const uint64_t *big);

/* ---------------------------------------------------------------- requests */

struct ursa_req *ursa_req_alloc(struct ursa_ring *ring);
void ursa_req_free(struct ursa_req *req);

void ursa_req_cache_free(struct ursa_ring *ring);
void ursa_drain_defer_cancel(struct ursa_ring *ring);
void ursa_overflow_free(struct ursa_ring *ring);
bool ursa_in_submit(struct ursa_ring *ring);
void ursa_mark_worker_thread(void);
bool ursa_personality_ok(struct ursa_ring *ring, unsigned id);

/* Copy between the engine and application memory that may be invalid:
 * -EFAULT instead of a crash. */
void ursa_usercopy_init(void);
int ursa_copy_from_user(void *dst, const void *src, size_t len);
int ursa_copy_to_user(void *dst, const void *src, size_t len);

/* ---------------------------------------------------------------- futex */

int ursa_futex_wait(_Atomic unsigned *addr, unsigned val,
		    const struct timespec *abs_timeout, int clockid);
void ursa_futex_wake(_Atomic unsigned *addr, int nr);

#endif
