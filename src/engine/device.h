/* SPDX-License-Identifier: MIT */
/* Devices behind fds, for the engine's side (see device.c). */
#ifndef URSA_DEVICE_H
#define URSA_DEVICE_H

#include <ursa/driver.h>
#include "engine.h"

/* The device fd names, referenced, or NULL: by the fd table only (cheap;
 * what read/write use), or also by inode for numbers it does not know. */
struct ursa_device *ursa_device_lookup(int fd);
/* False while no device exists: the fast test for every read and write. */
extern _Atomic unsigned ursa_nr_devices;
static inline bool ursa_device_lookup_possible(void)
{
	return atomic_load_explicit(&ursa_nr_devices, memory_order_relaxed);
}
struct ursa_device *ursa_device_lookup_slow(int fd);
/* ursa dup'ed fd into newfd (a fixed-file slot): same device. */
void ursa_device_note_dup(int fd, int newfd);
void ursa_device_ref(struct ursa_device *dev);
const struct ursa_file_operations *ursa_device_fops(const struct ursa_device *dev);
unsigned ursa_device_flags(const struct ursa_device *dev);
/* READ/WRITE on a device: a result, URSA_ISSUE_PUNT or URSA_ISSUE_QUEUED. */
int ursa_device_rw(struct ursa_req *req, struct ursa_device *dev,
		   const struct iovec *iov, int nr_segs, int64_t pos,
		   bool write, int rw_flags, uint64_t total, unsigned issue_flags);
/* The drivers that ship with ursa (src/drivers/), registered once. */
void ursa_builtin_drivers_init(void);
#endif
