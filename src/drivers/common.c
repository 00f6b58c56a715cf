/* SPDX-License-Identifier: MIT */
/* Shared pieces of the shipped drivers: registration, zeroing, a timer. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "drivers.h"
#include "engine/device.h"

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void register_builtins(void)
{
	ursa_driver_register(&ursa_mock_driver);
	ursa_driver_register(&ursa_event_driver);
	ursa_driver_register(&ursa_fuse_chan_driver);
}

void ursa_builtin_drivers_init(void)
{
	pthread_once(&builtin_once, register_builtins);
}

int ursa_driver_zero_user(void *dst, size_t len)
{
	static const char zeroes[4096];
	char *p = dst;

	while (len) {
		size_t n = len < sizeof(zeroes) ? len : sizeof(zeroes);

		if (ursa_copy_to_user(p, zeroes, n))
			return -EFAULT;
		p += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------ the timer */

struct dtimer {
	struct dtimer		*next;
	struct timespec		due;
	struct ursa_kiocb	*iocb;
	ssize_t			res;
};

static pthread_mutex_t dt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dt_cond;
static struct dtimer *dt_list;		/* by due time */
static bool dt_running;

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *dt_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&dt_lock);
	for (;;) {
		struct timespec now;
		struct dtimer *t = dt_list;

		if (!t) {
			pthread_cond_wait(&dt_cond, &dt_lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &t->due)) {
			pthread_cond_timedwait(&dt_cond, &dt_lock, &t->due);
			continue;
		}
		dt_list = t->next;
		pthread_mutex_unlock(&dt_lock);
		ursa_kiocb_complete(t->iocb, t->res);
		free(t);
		pthread_mutex_lock(&dt_lock);
	}
	return NULL;
}

void ursa_driver_timer_add(uint64_t delay_ns, struct ursa_kiocb *iocb,
			   ssize_t res)
{
	struct dtimer *t = calloc(1, sizeof(*t)), **pp;

	if (!t) {
		ursa_kiocb_complete(iocb, -ENOMEM);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t->due);
	t->due.tv_sec += (time_t)(delay_ns / 1000000000ull);
	t->due.tv_nsec += (long)(delay_ns % 1000000000ull);
	if (t->due.tv_nsec >= 1000000000L) {
		t->due.tv_sec++;
		t->due.tv_nsec -= 1000000000L;
	}
	t->iocb = iocb;
	t->res = res;
	pthread_mutex_lock(&dt_lock);
	if (!dt_running) {
		pthread_condattr_t ca;
		pthread_attr_t attr;
		pthread_t th;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&dt_cond, &ca);
		pthread_condattr_destroy(&ca);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		dt_running = pthread_create(&th, &attr, dt_thread, NULL) == 0;
		pthread_attr_destroy(&attr);
		if (!dt_running) {
			pthread_mutex_unlock(&dt_lock);
			free(t);
			ursa_kiocb_complete(iocb, -EAGAIN);
			return;
		}
	}
	for (pp = &dt_list; *pp && !before(&t->due, &(*pp)->due); pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	pthread_cond_signal(&dt_cond);
	pthread_mutex_unlock(&dt_lock);
}
