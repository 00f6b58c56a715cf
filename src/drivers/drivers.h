/* SPDX-License-Identifier: MIT */
/* What the drivers that ship with ursa share (src/drivers/). */
#ifndef URSA_DRIVERS_H
#define URSA_DRIVERS_H

#include <ursa/driver.h>

/* Zero-fill application memory: 0 or -EFAULT. */
int ursa_driver_zero_user(void *dst, size_t len);
/* Complete iocb with res after delay_ns (a timer thread, like an hrtimer). */
void ursa_driver_timer_add(uint64_t delay_ns, struct ursa_kiocb *iocb,
			   ssize_t res);

extern const struct ursa_driver_info ursa_mock_driver;
extern const struct ursa_driver_info ursa_event_driver;
extern const struct ursa_driver_info ursa_fuse_chan_driver;
#endif
