#include "splice.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

void splice_init(struct splice *s, int a, int b) {
    memset(s, 0, sizeof *s);
    s->fd[0] = a;
    s->fd[1] = b;
}

static int fail(struct splice *s, int e) {
    if (!s->err) {
        s->err = e;
    }
    return -1;
}

/* One direction: fd[from] -> q[from] -> fd[1 - from]. */
static int pump_one(struct splice *s, int from) {
    int to = 1 - from;
    struct buf *q = &s->q[from];
    for (;;) {
        int progressed = 0;
        if (!s->rd_eof[from] && !s->connecting[from] && buf_used(q) < SPLICE_QUEUE_MAX) {
            size_t room = SPLICE_QUEUE_MAX - buf_used(q);
            if (room > 65536) {
                room = 65536;
            }
            buf_reserve(q, room);
            ssize_t n = read(s->fd[from], q->data + q->len, room);
            if (n > 0) {
                q->len += (size_t)n;
                progressed = 1;
            } else if (n == 0) {
                s->rd_eof[from] = 1;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return fail(s, errno);
            }
        }
        if (buf_used(q) > 0 && !s->connecting[to]) {
            ssize_t n = send(s->fd[to], buf_head(q), buf_used(q), MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                n = write(s->fd[to], buf_head(q), buf_used(q));
            }
            if (n > 0) {
                buf_consume(q, (size_t)n);
                progressed = 1;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return fail(s, errno);
            }
        }
        if (s->rd_eof[from] && buf_used(q) == 0 && !s->wr_shut[to] && !s->connecting[to]) {
            if (shutdown(s->fd[to], SHUT_WR) < 0 && errno != ENOTCONN) {
                return fail(s, errno);
            }
            s->wr_shut[to] = 1;
        }
        if (!progressed) {
            return 0;
        }
    }
}

int splice_pump(struct splice *s) {
    if (s->err) {
        return -1;
    }
    if (pump_one(s, 0) < 0 || pump_one(s, 1) < 0) {
        return -1;
    }
    return s->wr_shut[0] && s->wr_shut[1] ? 1 : 0;
}

uint32_t splice_events(const struct splice *s, int side) {
    uint32_t ev = 0;
    if (s->connecting[side]) {
        return EPOLLOUT;
    }
    if (!s->rd_eof[side] && buf_used(&s->q[side]) < SPLICE_QUEUE_MAX) {
        ev |= EPOLLIN;
    }
    if (buf_used(&s->q[1 - side]) > 0) {
        ev |= EPOLLOUT;
    }
    return ev;
}

void splice_close(struct splice *s, int abortive) {
    for (int i = 0; i < 2; i++) {
        if (s->fd[i] >= 0) {
            if (abortive) {
                struct linger l = {.l_onoff = 1, .l_linger = 0};
                setsockopt(s->fd[i], SOL_SOCKET, SO_LINGER, &l, sizeof l); /* fails harmlessly on vsock/pipes */
            }
            close(s->fd[i]);
            s->fd[i] = -1;
        }
        buf_free(&s->q[i]);
    }
}
