/* SPDX-License-Identifier: MIT */
#ifndef URSA_NET_H
#define URSA_NET_H
#include "engine.h"
int ursa_socket_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_socket(struct ursa_req *req, unsigned issue_flags);
int ursa_bind_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_bind(struct ursa_req *req, unsigned issue_flags);
int ursa_listen_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_listen(struct ursa_req *req, unsigned issue_flags);
int ursa_connect_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_connect(struct ursa_req *req, unsigned issue_flags);
void ursa_net_addr_cleanup(struct ursa_req *req);
int ursa_accept_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_accept(struct ursa_req *req, unsigned issue_flags);
int ursa_shutdown_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_shutdown(struct ursa_req *req, unsigned issue_flags);
/* SEND, SENDMSG, SEND_ZC, SENDMSG_ZC */
int ursa_send_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_send(struct ursa_req *req, unsigned issue_flags);
int ursa_send_zc_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
/* RECV, RECVMSG */
int ursa_recv_prep(struct ursa_req *req, const struct io_uring_sqe *sqe);
int ursa_recv(struct ursa_req *req, unsigned issue_flags);
/* All send/recv forms: frees the copies, posts a SEND_ZC notification. */
void ursa_sr_cleanup(struct ursa_req *req);
/* Their ->fail: bytes already moved, held buffers, the ZC notification. */
void ursa_sr_fail(struct ursa_req *req);
#endif
