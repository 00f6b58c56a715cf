/* SPDX-License-Identifier: MIT */
/*
 * Drivers and devices (include/ursa/driver.h).
 *
 * A device's fd is one end of a Unix stream socket pair: a real fd the
 * application can register, poll, close and cancel by, with a unique inode
 * that names the device.  ursa keeps the other end (to make the fd readable
 * by sending a byte) and a private dup of the application's end (to drain
 * that byte; the application's fd number may be closed and reused).
 *
 * Finding the device behind an fd: a table by fd number (filled for the fd
 * a device was created as and for ursa's own dups of it in fixed-file
 * tables) whose entries are confirmed by the inode, so a number that was
 * closed and reused for another file is never taken for the device.  When no
 * device exists the lookup is one atomic load.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"

struct ursa_device {
	_Atomic int				refs;
	int					fd;	/* the application's, or -1 */
	int					own;	/* our dup of the application's end */
	int					peer;	/* the other end */
	dev_t					st_dev;
	ino_t					st_ino;
	const struct ursa_file_operations	*fops;
	void					*private_data;
	unsigned				flags;
	bool					readable;	/* under dev_lock */
	struct ursa_device			*next;		/* all devices */
};

struct ursa_driver {
	struct ursa_driver_info	info;
	struct ursa_driver	*next;
};

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ursa_device *devices;
static struct ursa_driver *drivers;
_Atomic unsigned ursa_nr_devices;
static struct ursa_device **fd_table;	/* by fd number, unreferenced */
static unsigned fd_table_len;

/* --------------------------------------------------------------- drivers */

struct ursa_driver *ursa_driver_register(const struct ursa_driver_info *info)
{
	struct ursa_driver *drv;

	if (!info || !info->name || !info->open)
		return NULL;
	pthread_mutex_lock(&dev_lock);
	for (drv = drivers; drv; drv = drv->next)
		if (!strcmp(drv->info.name, info->name))
			break;
	if (drv) {
		pthread_mutex_unlock(&dev_lock);
		errno = EEXIST;
		return NULL;
	}
	drv = calloc(1, sizeof(*drv));
	if (drv) {
		drv->info = *info;
		drv->next = drivers;
		drivers = drv;
	}
	pthread_mutex_unlock(&dev_lock);
	return drv;
}

int ursa_driver_unregister(struct ursa_driver *drv)
{
	struct ursa_driver **pp;

	pthread_mutex_lock(&dev_lock);
	for (pp = &drivers; *pp; pp = &(*pp)->next) {
		if (*pp == drv) {
			*pp = drv->next;
			pthread_mutex_unlock(&dev_lock);
			free(drv);
			return 0;
		}
	}
	pthread_mutex_unlock(&dev_lock);
	return -ENOENT;
}

int ursa_driver_open(const char *name, int flags)
{
	struct ursa_driver *drv;

	ursa_builtin_drivers_init();
	pthread_mutex_lock(&dev_lock);
	for (drv = drivers; drv; drv = drv->next)
		if (name && !strcmp(drv->info.name, name))
			break;
	pthread_mutex_unlock(&dev_lock);
	if (!drv)
		return -ENODEV;
	return drv->info.open(drv, flags);
}

void *ursa_driver_private(struct ursa_driver *drv)
{
	return drv ? drv->info.private_data : NULL;
}

/* --------------------------------------------------------------- devices */

static int fd_table_set(int fd, struct ursa_device *dev)
{
	if (fd < 0)
		return 0;
	if ((unsigned)fd >= fd_table_len) {
		unsigned n = fd_table_len ? fd_table_len : 64;
		struct ursa_device **t;

		while (n <= (unsigned)fd)
			n *= 2;
		t = realloc(fd_table, n * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + fd_table_len, 0, (n - fd_table_len) * sizeof(*t));
		fd_table = t;
		fd_table_len = n;
	}
	fd_table[fd] = dev;
	return 0;
}

static void fd_table_forget(struct ursa_device *dev)
{
	for (unsigned i = 0; i < fd_table_len; i++)
		if (fd_table[i] == dev)
			fd_table[i] = NULL;
}

int ursa_device_create(const struct ursa_file_operations *fops,
		       void *private_data, unsigned flags,
		       struct ursa_device **out)
{
	struct ursa_device *dev;
	struct stat st;
	int sv[2], ret;

	if (!fops || (flags & ~(URSA_DEV_NOWAIT | URSA_DEV_READABLE)))
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		ret = -errno;
		free(dev);
		return ret;
	}
	dev->fd = sv[0];
	dev->peer = sv[1];
	dev->own = fcntl(sv[0], F_DUPFD_CLOEXEC, 0);
	if (dev->own < 0 || fstat(sv[0], &st) < 0) {
		ret = -errno;
		goto fail;
	}
	/* Only readiness travels here: no buffering to speak of. */
	fcntl(dev->peer, F_SETFL, O_NONBLOCK);
	fcntl(dev->own, F_SETFL, O_NONBLOCK);
	dev->st_dev = st.st_dev;
	dev->st_ino = st.st_ino;
	dev->fops = fops;
	dev->private_data = private_data;
	dev->flags = flags;
	atomic_init(&dev->refs, 1);
	pthread_mutex_lock(&dev_lock);
	ret = fd_table_set(dev->fd, dev);
	if (ret) {
		pthread_mutex_unlock(&dev_lock);
		goto fail;
	}
	dev->next = devices;
	devices = dev;
	atomic_fetch_add(&ursa_nr_devices, 1);
	pthread_mutex_unlock(&dev_lock);
	if (flags & URSA_DEV_READABLE)
		ursa_device_set_readable(dev, true);
	if (out)
		*out = dev;
	return dev->fd;
fail:
	if (dev->own >= 0)
		close(dev->own);
	close(sv[0]);
	close(sv[1]);
	free(dev);
	return ret;
}

static bool same_file(const struct ursa_device *dev, int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_ino == dev->st_ino &&
	       st.st_dev == dev->st_dev;
}

struct ursa_device *ursa_device_lookup(int fd)
{
	struct ursa_device *dev = NULL;

	if (likely(!atomic_load_explicit(&ursa_nr_devices, memory_order_relaxed)) ||
	    fd < 0)
		return NULL;
	pthread_mutex_lock(&dev_lock);
	if ((unsigned)fd < fd_table_len && fd_table[fd]) {
		dev = fd_table[fd];
		atomic_fetch_add(&dev->refs, 1);
	}
	pthread_mutex_unlock(&dev_lock);
	if (dev && !same_file(dev, fd)) {
		/* The number now names another file. */
		pthread_mutex_lock(&dev_lock);
		if ((unsigned)fd < fd_table_len && fd_table[fd] == dev)
			fd_table[fd] = NULL;
		pthread_mutex_unlock(&dev_lock);
		ursa_device_put(dev);
		dev = NULL;
	}
	return dev;
}

struct ursa_device *ursa_device_lookup_slow(int fd)
{
	struct ursa_device *dev;
	struct stat st;

	dev = ursa_device_lookup(fd);
	if (dev || !atomic_load(&ursa_nr_devices))
		return dev;
	/* A number the table does not know (a dup): match the inode. */
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	pthread_mutex_lock(&dev_lock);
	for (dev = devices; dev; dev = dev->next) {
		if (dev->st_ino == st.st_ino && dev->st_dev == st.st_dev) {
			atomic_fetch_add(&dev->refs, 1);
			fd_table_set(fd, dev);
			break;
		}
	}
	pthread_mutex_unlock(&dev_lock);
	return dev;
}

void ursa_device_note_dup(int fd, int newfd)
{
	struct ursa_device *dev = ursa_device_lookup(fd);

	if (!dev)
		return;
	pthread_mutex_lock(&dev_lock);
	fd_table_set(newfd, dev);
	pthread_mutex_unlock(&dev_lock);
	ursa_device_put(dev);
}

struct ursa_device *ursa_device_get(int fd)
{
	return ursa_device_lookup_slow(fd);
}

void ursa_device_ref(struct ursa_device *dev)
{
	atomic_fetch_add(&dev->refs, 1);
}

void ursa_device_put(struct ursa_device *dev)
{
	struct ursa_device **pp;

	if (!dev || atomic_fetch_sub(&dev->refs, 1) != 1)
		return;
	pthread_mutex_lock(&dev_lock);
	for (pp = &devices; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	fd_table_forget(dev);
	atomic_fetch_sub(&ursa_nr_devices, 1);
	pthread_mutex_unlock(&dev_lock);
	if (dev->fops->release)
		dev->fops->release(dev);
	close(dev->own);
	close(dev->peer);
	free(dev);
}

int ursa_device_close(struct ursa_device *dev)
{
	int fd;

	if (!dev)
		return -EBADF;
	pthread_mutex_lock(&dev_lock);
	fd = dev->fd;
	dev->fd = -1;
	if (fd >= 0 && (unsigned)fd < fd_table_len && fd_table[fd] == dev)
		fd_table[fd] = NULL;
	pthread_mutex_unlock(&dev_lock);
	if (fd < 0)
		return -EBADF;
	close(fd);
	ursa_device_put(dev);
	return 0;
}

int ursa_device_fd(const struct ursa_device *dev)
{
	return dev ? dev->fd : -EBADF;
}

void *ursa_device_private(const struct ursa_device *dev)
{
	return dev ? dev->private_data : NULL;
}

const struct ursa_file_operations *ursa_device_fops(const struct ursa_device *dev)
{
	return dev->fops;
}

unsigned ursa_device_flags(const struct ursa_device *dev)
{
	return dev->flags;
}

void ursa_device_set_readable(struct ursa_device *dev, bool readable)
{
	char c = 0;

	pthread_mutex_lock(&dev_lock);
	if (readable && !dev->readable) {
		if (send(dev->peer, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
			dev->readable = true;
	} else if (!readable && dev->readable) {
		while (recv(dev->own, &c, 1, MSG_DONTWAIT) == 1)
			;
		dev->readable = false;
	}
	pthread_mutex_unlock(&dev_lock);
}

/* ------------------------------------------------------------ read/write */

struct dev_iocb {
	struct ursa_kiocb	iocb;
	struct ursa_req		*req;
	uint64_t		total;
};

static int rw_result(struct ursa_req *req, ssize_t res, uint64_t total)
{
	if (res >= 0 && (uint64_t)res != total)
		ursa_req_set_fail(req);	/* a short transfer breaks a link */
	return res > INT32_MAX ? INT32_MAX : (int)res;
}

int ursa_device_rw(struct ursa_req *req, struct ursa_device *dev,
		   const struct iovec *iov, int nr_segs, int64_t pos,
		   bool write, int rw_flags, uint64_t total, unsigned issue_flags)
{
	ssize_t (*fn)(struct ursa_kiocb *, const struct iovec *, int);
	struct dev_iocb *d;
	ssize_t res;

	fn = write ? dev->fops->write_iter : dev->fops->read_iter;
	if (!fn)
		return -EINVAL;		/* the kernel: no ->read_iter/->write_iter */
	if ((issue_flags & URSA_ISSUE_NONBLOCK) && !(dev->flags & URSA_DEV_NOWAIT))
		return URSA_ISSUE_PUNT;	/* no FMODE_NOWAIT: io-wq runs it */
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->iocb.file = dev;
	d->iocb.pos = pos;
	d->iocb.rw_flags = rw_flags;
	d->iocb.flags = (issue_flags & URSA_ISSUE_NONBLOCK) ? URSA_IOCB_NOWAIT : 0;
	d->req = req;
	d->total = total;
	ursa_device_ref(dev);
	res = fn(&d->iocb, iov, nr_segs);
	if (res == -URSA_EIOCBQUEUED)
		return URSA_ISSUE_QUEUED;	/* d belongs to the driver now */
	ursa_device_put(dev);
	free(d);
	if (res == -EAGAIN && (issue_flags & URSA_ISSUE_NONBLOCK))
		return URSA_ISSUE_PUNT;
	return rw_result(req, res, total);
}

void ursa_kiocb_complete(struct ursa_kiocb *iocb, ssize_t res)
{
	struct dev_iocb *d = (struct dev_iocb *)iocb;
	struct ursa_req *req = d->req;
	struct ursa_device *dev = iocb->file;
	int r = rw_result(req, res, d->total);

	free(d);
	ursa_req_complete(req, r);
	ursa_device_put(dev);
}
