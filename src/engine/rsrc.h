/* SPDX-License-Identifier: MIT */
/* Registered files and buffers: tables of refcounted nodes, tags, clones. */
#ifndef URSA_RSRC_H
#define URSA_RSRC_H

#include <sys/uio.h>
#include "engine.h"

int ursa_rsrc_init(struct ursa_ring *ring);
void ursa_rsrc_exit(struct ursa_ring *ring);

/* Take a reference on fixed file slot index; NULL if empty or out of range. */
struct ursa_file_node *ursa_file_get(struct ursa_ring *ring, unsigned index);
void ursa_file_node_put(struct ursa_file_node *node);
/* The same for registered buffers. */
struct ursa_buf_node *ursa_buf_get(struct ursa_ring *ring, unsigned index);
void ursa_buf_node_put(struct ursa_buf_node *node);
/* Check that [addr, addr+len) lies inside the buffer: 0 or -EFAULT. */
int ursa_buf_check_range(const struct ursa_buf_node *node, uint64_t addr,
			 uint64_t len);

/* Direct descriptors: install fd at slot (or IORING_FILE_INDEX_ALLOC);
 * returns the slot or -errno.  Remove empties a slot. */
int ursa_file_install(struct ursa_ring *ring, int fd, unsigned slot);
int ursa_file_remove(struct ursa_ring *ring, unsigned slot);

/* Is [base, base+len) mapped?  0 or -EFAULT (the kernel pins, and fails
 * like this for unmapped memory). */
int ursa_range_mapped(uint64_t base, uint64_t len);

/* register.c's handlers */
int ursa_register_files(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_files2(struct ursa_ring *ring, void *arg, unsigned size);
int ursa_unregister_files(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_files_update(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_rsrc_update2(struct ursa_ring *ring, void *arg,
			       unsigned size, bool files);
int ursa_register_buffers(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_buffers2(struct ursa_ring *ring, void *arg, unsigned size);
int ursa_unregister_buffers(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_file_alloc_range(struct ursa_ring *ring, void *arg,
				   unsigned nr);
int ursa_register_clone_buffers(struct ursa_ring *ring, void *arg, unsigned nr);
int ursa_register_clone_files(struct ursa_ring *ring, void *arg, unsigned nr);

/* IORING_OP_FILES_UPDATE */
int ursa_files_update_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_files_update(struct ursa_req *req, unsigned issue_flags);
#endif
