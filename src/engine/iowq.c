/* SPDX-License-Identifier: MIT */
/*
 * The worker pool (the kernel's io-wq): threads of this process that run
 * work which blocks.  Two accounts, as in the kernel: "bounded" work on
 * regular files and block devices, limited by default to
 * min(sq_entries, 4 * CPUs); "unbounded" work on other files, limited by
 * RLIMIT_NPROC.  Workers start on demand and leave after an idle period.
 *
 * A worker blocked in a syscall is stopped by a signal (URSA_SIG_CANCEL)
 * whose handler does nothing and is installed without SA_RESTART, so the
 * syscall returns EINTR.
 */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "iowq.h"
#include "opdef.h"
#include "timer.h"
#include "cancel.h"

#define URSA_SIG_CANCEL		(SIGRTMAX - 3)
#define WORKER_IDLE_SEC		5

enum { ACCT_BOUND, ACCT_UNBOUND, NR_ACCT };

struct ursa_worker {
	struct ursa_worker	*next;
	pthread_t		thread;
	struct ursa_iowq	*wq;
	struct ursa_ring	*ring;
	struct ursa_req		*cur;	/* guarded by wq->lock */
	int			acct;
	bool			kicking;	/* kick timer queued (wq->lock) */
	bool			exited;
	uint64_t		kick_delay;
	struct ursa_timer	kick;
};

struct ursa_acct {
	pthread_cond_t		cond;	/* its idle workers wait here */
	struct ursa_req		*head, **tail;
	unsigned		nr_workers, nr_idle, max_workers;
};

struct ursa_iowq {
	pthread_mutex_t		lock;
	pthread_cond_t		exit_cond;
	struct ursa_acct	acct[NR_ACCT];
	struct ursa_worker	*workers;
	unsigned		nr_threads;
	bool			exiting;
	cpu_set_t		*aff;
	size_t			aff_size;
};

static pthread_once_t sig_once = PTHREAD_ONCE_INIT;

static void cancel_handler(int sig)
{
	(void)sig;	/* its only purpose: make a blocking syscall return EINTR */
}

static void install_cancel_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cancel_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART */
	sigaction(URSA_SIG_CANCEL, &sa, NULL);
}

int ursa_iowq_create(struct ursa_ring *ring, struct ursa_ring *attach)
{
	struct ursa_iowq *wq = calloc(1, sizeof(*wq));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct rlimit rl;
	int i;

	(void)attach;	/* pools are per ring; ATTACH_WQ is validated only */
	if (!wq)
		return -ENOMEM;
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->exit_cond, NULL);
	for (i = 0; i < NR_ACCT; i++) {
		wq->acct[i].tail = &wq->acct[i].head;
		pthread_cond_init(&wq->acct[i].cond, NULL);
	}
	if (ncpu < 1)
		ncpu = 1;
	wq->acct[ACCT_BOUND].max_workers = ring->sq_entries < 4 * ncpu ?
					   ring->sq_entries : (unsigned)(4 * ncpu);
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < INT_MAX)
		wq->acct[ACCT_UNBOUND].max_workers = (unsigned)rl.rlim_cur;
	else
		wq->acct[ACCT_UNBOUND].max_workers = 1024;
	ring->iowq = wq;
	pthread_once(&sig_once, install_cancel_signal);
	return 0;
}

static struct ursa_req *acct_pop(struct ursa_acct *a)
{
	struct ursa_req *req = a->head;

	if (req) {
		a->head = req->next;
		if (!a->head)
			a->tail = &a->head;
		req->next = NULL;
	}
	return req;
}

/*
 * Interrupt a worker's blocking syscall.  A signal that lands just before
 * the syscall starts is lost, so the kick repeats on a timer (1 ms, then
 * doubling) for as long as the worker is still on a cancelled request.
 * Called with wq->lock held.
 */
static void kick_fn(struct ursa_timer *tm)
{
	struct ursa_worker *w = (struct ursa_worker *)((char *)tm -
				offsetof(struct ursa_worker, kick));
	struct ursa_iowq *wq = w->wq;
	bool again;

	pthread_mutex_lock(&wq->lock);
	again = w->cur && atomic_load(&w->cur->cancel) && !w->exited;
	if (again) {
		pthread_kill(w->thread, URSA_SIG_CANCEL);
		if (w->kick_delay < 64 * 1000 * 1000)
			w->kick_delay *= 2;
		w->kick.expires = ursa_now_ns() + w->kick_delay;
		if (ursa_timer_add(w->ring, &w->kick))
			again = false;
	}
	if (!again)
		ursa_timer_done(&w->kick);
	w->kicking = again;
	pthread_mutex_unlock(&wq->lock);
}

static void worker_kick(struct ursa_ring *ring, struct ursa_worker *w)
{
	pthread_kill(w->thread, URSA_SIG_CANCEL);
	if (w->kicking)
		return;
	w->kick_delay = 1000 * 1000;
	w->kick.fn = kick_fn;
	w->kick.expires = ursa_now_ns() + w->kick_delay;
	w->ring = ring;
	if (!ursa_timer_add(ring, &w->kick))
		w->kicking = true;
}

static void *worker_main(void *arg)
{
	struct ursa_worker *w = arg;
	struct ursa_iowq *wq = w->wq;
	struct ursa_acct *a = &wq->acct[w->acct];
	sigset_t set;

	/* Only the cancel signal reaches workers; the application's signals
	 * go to its own threads. */
	sigfillset(&set);
	sigdelset(&set, URSA_SIG_CANCEL);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	ursa_mark_worker_thread();
	if (wq->aff)
		pthread_setaffinity_np(pthread_self(), wq->aff_size, wq->aff);

	pthread_mutex_lock(&wq->lock);
	for (;;) {
		struct ursa_req *req = acct_pop(a);

		if (!req) {
			struct timespec ts;

			if (wq->exiting)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += WORKER_IDLE_SEC;
			a->nr_idle++;
			if (pthread_cond_timedwait(&a->cond, &wq->lock, &ts) ==
			    ETIMEDOUT && !a->head) {
				a->nr_idle--;
				break;
			}
			a->nr_idle--;
			continue;
		}
		w->cur = req;
		atomic_store(&req->worker_tid, (int)ursa_gettid());
		pthread_mutex_unlock(&wq->lock);

		req->flags |= REQ_F_IN_WORKER;
		if (atomic_load(&req->cancel))
			ursa_req_complete(req, -ECANCELED);
		else
			ursa_req_reissue(req, URSA_ISSUE_WORKER);

		pthread_mutex_lock(&wq->lock);
		w->cur = NULL;
	}
	/* Unlink ourselves; the last one out tells a waiting destroy. */
	{
		struct ursa_worker **pp;

		for (pp = &wq->workers; *pp; pp = &(*pp)->next) {
			if (*pp == w) {
				*pp = w->next;
				break;
			}
		}
	}
	a->nr_workers--;
	w->exited = true;
	{
		bool kicking = w->kicking;

		pthread_mutex_unlock(&wq->lock);
		/* The kick timer takes wq->lock: cancel it unlocked, before
		 * the worker (which holds the timer) goes. */
		if (kicking)
			ursa_timer_cancel(w->ring, &w->kick);
		pthread_mutex_lock(&wq->lock);
	}
	wq->nr_threads--;
	pthread_cond_broadcast(&wq->exit_cond);
	pthread_mutex_unlock(&wq->lock);
	pthread_detach(pthread_self());
	free(w);
	return NULL;
}

static int acct_of(struct ursa_req *req)
{
	struct stat st;

	if (req->fd >= 0 && fstat(req->fd, &st) == 0 &&
	    !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return ACCT_UNBOUND;
	return ACCT_BOUND;
}

void ursa_iowq_enqueue(struct ursa_req *req)
{
	struct ursa_iowq *wq = req->ring->iowq;
	const struct ursa_opdef *def = &ursa_opdefs[req->opcode];
	int acct = def->unbound ? ACCT_UNBOUND :
		   def->needs_file ? acct_of(req) : ACCT_BOUND;
	struct ursa_acct *a = &wq->acct[acct];
	struct ursa_worker *w = NULL;

	pthread_mutex_lock(&wq->lock);
	if (wq->exiting) {
		pthread_mutex_unlock(&wq->lock);
		ursa_req_complete(req, -ECANCELED);
		return;
	}
	req->next = NULL;
	*a->tail = req;
	a->tail = &req->next;
	if (a->nr_idle) {
		pthread_cond_signal(&a->cond);
	} else if (a->nr_workers < a->max_workers) {
		w = calloc(1, sizeof(*w));
		if (w) {
			sigset_t all, old;

			w->wq = wq;
			w->acct = acct;
			/* The new thread starts with every signal blocked. */
			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &old);
			if (pthread_create(&w->thread, NULL, worker_main, w) == 0) {
				w->next = wq->workers;
				wq->workers = w;
				a->nr_workers++;
				wq->nr_threads++;
			} else {
				free(w);
			}
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
	}
	if (!a->nr_workers) {
		/* Could not start any worker: fail rather than hang. */
		struct ursa_req **pp;

		for (pp = &a->head; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				if (!*pp)
					a->tail = pp;
				break;
			}
		}
		pthread_mutex_unlock(&wq->lock);
		ursa_req_complete(req, -EAGAIN);
		return;
	}
	pthread_mutex_unlock(&wq->lock);
}

bool ursa_iowq_cancel(struct ursa_ring *ring, struct ursa_req *req)
{
	struct ursa_iowq *wq = ring->iowq;
	struct ursa_worker *w;
	int i;

	pthread_mutex_lock(&wq->lock);
	for (i = 0; i < NR_ACCT; i++) {
		struct ursa_req **pp;

		for (pp = &wq->acct[i].head; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				if (!*pp)
					wq->acct[i].tail = pp;
				pthread_mutex_unlock(&wq->lock);
				ursa_req_complete(req, -ECANCELED);
				return true;
			}
		}
	}
	for (w = wq->workers; w; w = w->next) {
		if (w->cur == req) {
			atomic_store(&req->cancel, 1);
			worker_kick(ring, w);
			pthread_mutex_unlock(&wq->lock);
			return true;
		}
	}
	pthread_mutex_unlock(&wq->lock);
	return false;
}

/*
 * Waits the kernel does not run on io-wq but parks on their own lists
 * (futex, waitid): a cancel counts them as removed (1), whether they sit in
 * a queue or a worker's syscall, as the kernel's per-list removal does.
 */
static bool own_list_wait(const struct ursa_req *req)
{
	return req->opcode == IORING_OP_FUTEX_WAIT ||
	       req->opcode == IORING_OP_FUTEX_WAITV ||
	       req->opcode == IORING_OP_WAITID;
}

/*
 * A request a worker is running, cancelled: what the kernel would answer
 * for where it keeps such a request.  Its own lists (futex, waitid) count
 * it removed (1); accept/connect, which ursa runs on a worker for blocking
 * sockets, sit in the kernel's poll table and are removed too (0); anything
 * else is io-wq work already running (-EALREADY).
 */
static int running_cancel_answer(const struct ursa_req *req)
{
	if (own_list_wait(req))
		return 1;
	if (req->opcode == IORING_OP_ACCEPT || req->opcode == IORING_OP_CONNECT)
		return 0;
	return -EALREADY;
}

/* Take req off a worker queue (1: the caller completes it), or interrupt
 * the worker running it (it completes by itself: 0, or 2 for waits the
 * kernel keeps on their own lists, which count as removed); -ENOENT if no
 * worker has it. */
int ursa_iowq_remove(struct ursa_ring *ring, struct ursa_req *req)
{
	struct ursa_iowq *wq = ring->iowq;
	struct ursa_worker *w;
	int i, ret = -ENOENT;

	if (!wq)
		return -ENOENT;
	pthread_mutex_lock(&wq->lock);
	for (i = 0; i < NR_ACCT; i++) {
		struct ursa_req **pp;

		for (pp = &wq->acct[i].head; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				if (!*pp)
					wq->acct[i].tail = pp;
				req->next = NULL;
				pthread_mutex_unlock(&wq->lock);
				return 1;
			}
		}
	}
	for (w = wq->workers; w; w = w->next) {
		if (w->cur == req) {
			worker_kick(ring, w);
			ret = running_cancel_answer(req) == -EALREADY ? 0 : 2;
			break;
		}
	}
	pthread_mutex_unlock(&wq->lock);
	return ret;
}

/*
 * Cancel by criteria (IORING_OP_ASYNC_CANCEL): the first matching queued
 * item is taken off and completed with -ECANCELED (0); otherwise the first
 * matching running one is interrupted (-EALREADY); else -ENOENT.
 */
int ursa_iowq_cancel_match(struct ursa_ring *ring, struct ursa_cancel_data *cd)
{
	struct ursa_iowq *wq = ring->iowq;
	struct ursa_worker *w;
	int i, ret;

	if (!wq)
		return -ENOENT;
	pthread_mutex_lock(&wq->lock);
	for (i = 0; i < NR_ACCT; i++) {
		struct ursa_req **pp, *req;

		for (pp = &wq->acct[i].head; (req = *pp); pp = &req->next) {
			if (!ursa_cancel_match(cd, req))
				continue;
			*pp = req->next;
			if (!*pp)
				wq->acct[i].tail = pp;
			req->next = NULL;
			pthread_mutex_unlock(&wq->lock);
			ret = own_list_wait(req) ? 1 : 0;
			ursa_req_complete(req, -ECANCELED);
			return ret;
		}
	}
	for (w = wq->workers; w; w = w->next) {
		if (w->cur && ursa_cancel_match(cd, w->cur)) {
			ret = running_cancel_answer(w->cur);
			atomic_store(&w->cur->cancel, 1);
			worker_kick(ring, w);
			pthread_mutex_unlock(&wq->lock);
			return ret;
		}
	}
	pthread_mutex_unlock(&wq->lock);
	return -ENOENT;
}

/*
 * Teardown: queued work is cancelled, running work is interrupted (again
 * and again, in case the signal lands before the syscall starts) until
 * every worker has left.
 */
void ursa_iowq_destroy(struct ursa_ring *ring)
{
	struct ursa_iowq *wq = ring->iowq;
	struct ursa_req *cancel = NULL, *req;
	int i;

	if (!wq)
		return;
	pthread_mutex_lock(&wq->lock);
	wq->exiting = true;
	for (i = 0; i < NR_ACCT; i++) {
		while ((req = acct_pop(&wq->acct[i]))) {
			req->next = cancel;
			cancel = req;
		}
	}
	for (i = 0; i < NR_ACCT; i++)
		pthread_cond_broadcast(&wq->acct[i].cond);
	pthread_mutex_unlock(&wq->lock);
	while ((req = cancel)) {
		cancel = req->next;
		ursa_req_complete(req, -ECANCELED);
	}

	pthread_mutex_lock(&wq->lock);
	while (wq->nr_threads) {
		struct ursa_worker *w;
		struct timespec ts;

		for (w = wq->workers; w; w = w->next) {
			if (w->cur) {
				atomic_store(&w->cur->cancel, 1);
				pthread_kill(w->thread, URSA_SIG_CANCEL);
			}
		}
		for (i = 0; i < NR_ACCT; i++)
			pthread_cond_broadcast(&wq->acct[i].cond);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wq->exit_cond, &wq->lock, &ts);
	}
	pthread_mutex_unlock(&wq->lock);
	free(wq->aff);
	pthread_mutex_destroy(&wq->lock);
	for (i = 0; i < NR_ACCT; i++)
		pthread_cond_destroy(&wq->acct[i].cond);
	pthread_cond_destroy(&wq->exit_cond);
	free(wq);
	ring->iowq = NULL;
}

int ursa_iowq_max_workers(struct ursa_ring *ring, unsigned vals[2])
{
	struct ursa_iowq *wq = ring->iowq;
	unsigned old[2];
	int i;

	struct rlimit rl;

	for (i = 0; i < 2; i++)
		if (vals[i] > INT_MAX)
			return -EINVAL;
	/* As the kernel: no more workers than the task may have processes. */
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		for (i = 0; i < 2; i++)
			if (vals[i] > rl.rlim_cur)
				vals[i] = (unsigned)rl.rlim_cur;
	pthread_mutex_lock(&wq->lock);
	for (i = 0; i < 2; i++) {
		old[i] = wq->acct[i].max_workers;
		if (vals[i])
			wq->acct[i].max_workers = vals[i];
	}
	pthread_mutex_unlock(&wq->lock);
	vals[0] = old[0];
	vals[1] = old[1];
	return 0;
}

int ursa_iowq_set_affinity(struct ursa_ring *ring, const cpu_set_t *set,
			   size_t setsize)
{
	struct ursa_iowq *wq = ring->iowq;
	cpu_set_t *copy = NULL;
	struct ursa_worker *w;

	if (set) {
		copy = malloc(setsize);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, set, setsize);
	}
	pthread_mutex_lock(&wq->lock);
	free(wq->aff);
	wq->aff = copy;
	wq->aff_size = setsize;
	for (w = wq->workers; w; w = w->next) {
		if (copy) {
			pthread_setaffinity_np(w->thread, setsize, copy);
		} else {
			cpu_set_t all;

			CPU_ZERO(&all);
			for (int c = 0; c < CPU_SETSIZE; c++)
				CPU_SET(c, &all);
			pthread_setaffinity_np(w->thread, sizeof(all), &all);
		}
	}
	pthread_mutex_unlock(&wq->lock);
	return 0;
}
