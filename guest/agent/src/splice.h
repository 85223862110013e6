/* Two non-blocking stream sockets joined both ways (a redirected guest TCP connection and its vsock stream),
 * with a bounded buffer per direction, half-close passed on, and errors passed on as a reset. Pure fd work, no
 * epoll: the caller registers splice_events() and calls splice_pump() when either fd is ready. */
#ifndef PADDOCK_SPLICE_H
#define PADDOCK_SPLICE_H

#include <stdint.h>

#include "buf.h"

/* Bytes read ahead of a slow writer, per direction: a side whose queue is full is not read (back-pressure). */
#define SPLICE_QUEUE_MAX (256u * 1024u)

struct splice {
    int fd[2];
    struct buf q[2];   /* q[i]: read from fd[i], to be written to fd[1 - i] */
    int rd_eof[2];     /* fd[i] reached end-of-file */
    int wr_shut[2];    /* fd[i]'s sending side was shut down after q[1 - i] drained */
    int connecting[2]; /* fd[i] has a non-blocking connect in progress: not written until it completes */
    int err;           /* errno of the first failure, 0 if none */
};

void splice_init(struct splice *s, int a, int b);

/* Moves what it can without blocking. Returns 1 when both directions have ended (each side read EOF and the
 * other was shut down), -1 on an error (s->err), 0 to be called again when splice_events() says so. */
int splice_pump(struct splice *s);

/* The epoll events fd[side] waits for now (EPOLLIN / EPOLLOUT). */
uint32_t splice_events(const struct splice *s, int side);

/* Closes both fds and frees the queues. With abortive, a reset (SO_LINGER 0) on TCP sockets, so the guest
 * program sees ECONNRESET as the host proxy's denial meant. */
void splice_close(struct splice *s, int abortive);

#endif
