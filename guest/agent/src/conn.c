/* Connections and their streams: frame dispatch, flow control (PROTOCOL.md §5), exec and socket streams. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

static struct stream *graveyard; /* ended streams, freed after the current epoll batch */
static uint8_t io_chunk[PA_MAX_PAYLOAD];

static void conn_flush(struct conn *c);
static void conn_destroy(struct conn *c);
static void stream_update(struct stream *s);
static void stream_check_done(struct stream *s);

/* ---- sending ---- */

static void conn_fail(struct conn *c, uint32_t code, const char *msg) {
    logf_agent("connection error %s: %s", pa_err_name(code), msg);
    pa_error_frame(&c->out, 0, 0, code, 0, msg);
    conn_flush(c);
    if (!c->dead) {
        conn_destroy(c);
    }
}

static void reply_error(struct conn *c, uint32_t id, uint8_t flags, uint32_t code, int sys_errno,
                        const char *msg) {
    pa_error_frame(&c->out, id, flags, code, (uint32_t)sys_errno, msg);
}

static void reply_empty(struct conn *c, uint32_t id, uint8_t op, uint8_t chan) {
    size_t f = pa_frame_begin(&c->out, id, op, chan, 0);
    pa_frame_end(&c->out, f);
}

static void reply_u32(struct conn *c, uint32_t id, uint8_t op, uint8_t chan, uint32_t v) {
    size_t f = pa_frame_begin(&c->out, id, op, chan, 0);
    pa_put_u32(&c->out, v);
    pa_frame_end(&c->out, f);
}

static void conn_update(struct conn *c) {
    if (c->dead) {
        return;
    }
    uint32_t ev = 0;
    if (buf_used(&c->out) > 0) {
        ev |= EPOLLOUT;
    }
    if (buf_used(&c->out) < CONN_READ_PAUSE) {
        ev |= EPOLLIN;
    }
    ep_set(&c->ep, ev);
}

static void conn_flush(struct conn *c) {
    if (c->dead) {
        return;
    }
    int was_high = buf_used(&c->out) >= OUTQ_HIGH;
    while (buf_used(&c->out) > 0) {
        ssize_t n = send(c->ep.fd, buf_head(&c->out), buf_used(&c->out), MSG_NOSIGNAL);
        if (n > 0) {
            buf_consume(&c->out, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            logf_agent("connection write failed: %s; dropping the connection", strerror(errno));
            conn_destroy(c);
            return;
        }
    }
    if (was_high && buf_used(&c->out) < OUTQ_HIGH) {
        for (struct stream *s = c->streams; s; s = s->next) {
            stream_update(s);
        }
    }
    conn_update(c);
}

/* ---- stream lifecycle ---- */

static struct stream *stream_find(struct conn *c, uint32_t id) {
    for (struct stream *s = c->streams; s; s = s->next) {
        if (s->id == id) {
            return s;
        }
    }
    return NULL;
}

static struct stream *stream_new(struct conn *c, uint32_t id, enum stream_kind kind) {
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "paddock-agent: out of memory for a stream\n");
        abort();
    }
    s->id = id;
    s->kind = kind;
    s->c = c;
    s->in_credit = PA_AGENT_WINDOW;
    s->out_window[1] = s->out_window[2] = c->peer_window;
    for (int i = 0; i < 3; i++) {
        s->eps[i].kind = EP_STREAM;
        s->eps[i].fd = -1;
        s->eps[i].s = s;
    }
    s->next = c->streams;
    c->streams = s;
    c->nstreams++;
    return s;
}

static void ep_close(struct ep *e) {
    if (e->fd >= 0) {
        ep_forget(e);
        close(e->fd);
        e->fd = -1;
    }
}

/* Forgets the stream: closes its fds, kills a still-running exec's process group when kill_group. */
static void stream_end(struct stream *s, int kill_group) {
    struct conn *c = s->c;
    for (struct stream **p = &c->streams; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            c->nstreams--;
            break;
        }
    }
    for (int i = 0; i < 3; i++) {
        ep_close(&s->eps[i]);
    }
    if (s->kind == ST_EXEC && kill_group && s->pid > 0 && (!s->exited || s->drain_deadline)) {
        kill(-s->pid, SIGKILL); /* the child leads its own process group (setsid in spawn.c) */
        if (!s->exited) {
            kill(s->pid, SIGKILL);
        }
    }
    children_detach(s);
    buf_free(&s->inq);
    s->c = NULL;
    s->next = graveyard;
    graveyard = s;
}

static void stream_fail(struct stream *s, uint32_t code, int sys_errno, const char *msg) {
    reply_error(s->c, s->id, 0, code, sys_errno, msg);
    stream_end(s, 1);
}

static struct ep *stream_ep(struct stream *s, int role) {
    for (int i = 0; i < s->neps; i++) {
        if (s->eps[i].fd >= 0 && (s->eps[i].roles & role)) {
            return &s->eps[i];
        }
    }
    return NULL;
}

static void stream_update(struct stream *s) {
    if (!s->c) {
        return;
    }
    int conn_room = buf_used(&s->c->out) < OUTQ_HIGH;
    for (int i = 0; i < s->neps; i++) {
        struct ep *e = &s->eps[i];
        if (e->fd < 0) {
            continue;
        }
        uint32_t ev = 0;
        if (s->connecting) {
            ev = EPOLLOUT;
        } else {
            if ((e->roles & ROLE_WRITE_IN) && !s->in_closed && buf_used(&s->inq) > 0) {
                ev |= EPOLLOUT;
            }
            if ((e->roles & ROLE_READ_OUT) && !s->out_eof[1] && s->out_window[1] > 0 && conn_room) {
                ev |= EPOLLIN;
            }
            if ((e->roles & ROLE_READ_ERR) && !s->out_eof[2] && s->out_window[2] > 0 && conn_room) {
                ev |= EPOLLIN;
            }
        }
        ep_set(e, ev);
    }
}

/* Returns the credit for bytes the agent has consumed (written or discarded), PROTOCOL.md §5. */
static void stream_grant(struct stream *s) {
    if (s->in_pending > 0) {
        reply_u32(s->c, s->id, PA_OP_WINDOW, PA_CHAN_IN, s->in_pending);
        s->in_credit += s->in_pending;
        s->in_pending = 0;
    }
}

static void stream_close_in(struct stream *s) {
    s->in_closed = 1;
    s->in_pending += (uint32_t)buf_used(&s->inq);
    buf_consume(&s->inq, buf_used(&s->inq));
    if (s->kind == ST_EXEC && !s->tty) {
        ep_close(&s->eps[0]);
    } else if (s->kind == ST_SOCKET && s->eps[0].fd >= 0) {
        shutdown(s->eps[0].fd, SHUT_WR);
    }
    /* a pty master stays open: it also carries the output (PROTOCOL.md §6.2 step 3) */
}

static void stream_write_in(struct stream *s) {
    struct ep *e = stream_ep(s, ROLE_WRITE_IN);
    while (e && !s->in_closed && buf_used(&s->inq) > 0) {
        ssize_t n = write(e->fd, buf_head(&s->inq), buf_used(&s->inq));
        if (n > 0) {
            buf_consume(&s->inq, (size_t)n);
            s->in_pending += (uint32_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            /* the reader is gone (EPIPE, EIO on a hung-up pty): drop the bytes, keep the credit flowing */
            s->in_pending += (uint32_t)buf_used(&s->inq);
            buf_consume(&s->inq, buf_used(&s->inq));
            s->in_closed = 1;
            if (s->kind == ST_EXEC && !s->tty) {
                ep_close(&s->eps[0]);
            }
        }
    }
    if (s->in_eof && !s->in_closed && buf_used(&s->inq) == 0 && !s->tty) {
        stream_close_in(s);
    }
    stream_grant(s);
}

static void stream_send_eof(struct stream *s, int chan) {
    if (!s->out_eof[chan]) {
        s->out_eof[chan] = 1;
        reply_empty(s->c, s->id, PA_OP_EOF, (uint8_t)chan);
    }
}

static void stream_read(struct stream *s, struct ep *e, int chan) {
    if (s->out_eof[chan] || s->out_window[chan] == 0 || buf_used(&s->c->out) >= OUTQ_HIGH) {
        return;
    }
    size_t max = s->out_window[chan] < sizeof io_chunk ? s->out_window[chan] : sizeof io_chunk;
    ssize_t n = read(e->fd, io_chunk, max);
    if (n > 0) {
        size_t f = pa_frame_begin(&s->c->out, s->id, PA_OP_DATA, (uint8_t)chan, 0);
        pa_put_bytes(&s->c->out, io_chunk, (size_t)n);
        pa_frame_end(&s->c->out, f);
        s->out_window[chan] -= (uint32_t)n;
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n < 0 && s->kind == ST_SOCKET && errno != EIO) {
        int err = errno;
        char msg[160];
        snprintf(msg, sizeof msg, "reading the socket of stream %u failed: %s", s->id, strerror(err));
        stream_fail(s, PA_E_IO, err, msg);
        return;
    }
    /* end of file; EIO is how a pty master reports that every slave fd is closed */
    stream_send_eof(s, chan);
    if (s->kind == ST_EXEC && !s->tty) {
        ep_close(e);
    } else if (s->kind == ST_EXEC) {
        stream_close_in(s);
        ep_close(e);
    } else {
        e->roles &= ~ROLE_READ_OUT;
    }
}

static void send_exit(struct stream *s) {
    size_t f = pa_frame_begin(&s->c->out, s->id, PA_OP_EXIT, 0, 0);
    if (WIFSIGNALED(s->wstatus)) {
        pa_put_u8(&s->c->out, 1);
        pa_put_u8(&s->c->out, WCOREDUMP(s->wstatus) ? 1 : 0);
        pa_put_u16(&s->c->out, 0);
        pa_put_u32(&s->c->out, (uint32_t)WTERMSIG(s->wstatus));
    } else {
        pa_put_u8(&s->c->out, 0);
        pa_put_u8(&s->c->out, 0);
        pa_put_u16(&s->c->out, 0);
        pa_put_u32(&s->c->out, (uint32_t)WEXITSTATUS(s->wstatus));
    }
    pa_frame_end(&s->c->out, f);
}

static void stream_check_done(struct stream *s) {
    if (!s->c) {
        return;
    }
    if (s->kind == ST_EXEC) {
        if (!s->exited) {
            return;
        }
        if (s->out_eof[1] && s->out_eof[2]) {
            send_exit(s);
            stream_end(s, 0);
        } else if (s->drain_deadline == 0) {
            s->drain_deadline = now_ms() + DRAIN_AFTER_EXIT_MS;
        }
    } else if (!s->connecting && s->out_eof[1] && s->in_closed && s->in_eof) {
        reply_empty(s->c, s->id, PA_OP_CLOSE, 0);
        stream_end(s, 0);
    }
}

void stream_child_exited(struct stream *s, int wstatus) {
    s->exited = 1;
    s->wstatus = wstatus;
    struct conn *c = s->c;
    stream_check_done(s);
    if (c) {
        conn_flush(c);
    }
}

void stream_event(struct ep *e, uint32_t events) {
    struct stream *s = e->s;
    struct conn *c = s->c;
    if (!c) {
        return;
    }
    if (s->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
            err = errno;
        }
        if (err) {
            char msg[160];
            snprintf(msg, sizeof msg, "connecting stream %u failed: %s", s->id, strerror(err));
            stream_fail(s, PA_E_CONNECT_FAILED, err, msg);
        } else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
            s->connecting = 0;
            reply_empty(c, s->id, PA_OP_STREAM_OPENED, 0);
        }
    } else {
        if ((e->roles & ROLE_WRITE_IN) && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            stream_write_in(s);
        }
        if (s->c && e->fd >= 0 && (e->roles & ROLE_READ_OUT) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
            stream_read(s, e, 1);
        }
        if (s->c && e->fd >= 0 && (e->roles & ROLE_READ_ERR) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
            stream_read(s, e, 2);
        }
        stream_check_done(s);
    }
    stream_update(s);
    conn_flush(c);
}

/* ---- opening streams ---- */

static void open_exec(struct conn *c, uint32_t id, const uint8_t *p, uint32_t n) {
    struct pa_exec e;
    char msg[512];
    int code = pa_exec_decode(p, n, &e, msg, sizeof msg);
    if (code) {
        reply_error(c, id, 0, (uint32_t)code, 0, msg);
        return;
    }
    struct spawn_result r;
    spawn_exec(&e, &r);
    pa_exec_free(&e);
    if (r.code) {
        reply_error(c, id, 0, (uint32_t)r.code, r.sys_errno, r.message);
        return;
    }
    struct stream *s = stream_new(c, id, ST_EXEC);
    s->pid = r.pid;
    s->tty = r.fd_err < 0;
    if (s->tty) {
        s->eps[0].fd = r.fd_in;
        s->eps[0].roles = ROLE_WRITE_IN | ROLE_READ_OUT;
        s->neps = 1;
        s->out_eof[2] = 1; /* no stderr channel with a tty (PROTOCOL.md §5) */
    } else {
        s->eps[0].fd = r.fd_in;
        s->eps[0].roles = ROLE_WRITE_IN;
        s->eps[1].fd = r.fd_out;
        s->eps[1].roles = ROLE_READ_OUT;
        s->eps[2].fd = r.fd_err;
        s->eps[2].roles = ROLE_READ_ERR;
        s->neps = 3;
    }
    children_add(r.pid, s);
    reply_u32(c, id, PA_OP_EXEC_STARTED, 0, (uint32_t)r.pid);
    stream_update(s);
}

static void open_socket(struct conn *c, uint32_t id, const uint8_t *p, uint32_t n) {
    struct pa_open o;
    char msg[512];
    int code = pa_open_decode(p, n, &o, msg, sizeof msg);
    if (code) {
        reply_error(c, id, 0, (uint32_t)code, 0, msg);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (o.kind == PA_STREAM_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, o.target, strlen(o.target) + 1);
        len = sizeof *un;
    } else {
        const char *host = o.target[0] ? o.target : "127.0.0.1";
        struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
            in4->sin_family = AF_INET;
            in4->sin_port = htons(o.port);
            len = sizeof *in4;
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(o.port);
            len = sizeof *in6;
        } else {
            snprintf(msg, sizeof msg, "STREAM_OPEN tcp target \"%s\" is not an IPv4 or IPv6 literal "
                     "(PROTOCOL.md §8)", host);
            reply_error(c, id, 0, PA_E_PROTOCOL, 0, msg);
            return;
        }
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int err = errno;
        snprintf(msg, sizeof msg, "socket() for stream %u failed: %s", id, strerror(err));
        reply_error(c, id, 0, PA_E_CONNECT_FAILED, err, msg);
        return;
    }
    int connecting = 0;
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        if (errno == EINPROGRESS) {
            connecting = 1;
        } else {
            int err = errno;
            if (o.kind == PA_STREAM_UNIX) {
                snprintf(msg, sizeof msg, "connect to unix socket %s failed: %s", o.target, strerror(err));
            } else {
                snprintf(msg, sizeof msg, "connect to %s port %u failed: %s", o.target[0] ? o.target : "127.0.0.1",
                         o.port, strerror(err));
            }
            close(fd);
            reply_error(c, id, 0, PA_E_CONNECT_FAILED, err, msg);
            return;
        }
    }
    struct stream *s = stream_new(c, id, ST_SOCKET);
    s->eps[0].fd = fd;
    s->eps[0].roles = ROLE_WRITE_IN | ROLE_READ_OUT;
    s->neps = 1;
    s->out_eof[2] = 1;
    s->connecting = connecting;
    if (!connecting) {
        reply_empty(c, id, PA_OP_STREAM_OPENED, 0);
    }
    stream_update(s);
}

static void reply_health(struct conn *c, uint32_t id) {
    uint32_t flags = 0;
    if (g_agent.pid1) {
        flags |= PA_HEALTH_PID1;
    }
    if (g_agent.dockerd_pid > 0) {
        flags |= PA_HEALTH_DOCKERD_RUNNING;
    }
    if (docker_ready()) {
        flags |= PA_HEALTH_DOCKER_READY;
    }
    if (g_agent.shutting_down) {
        flags |= PA_HEALTH_SHUTTING_DOWN;
    }
    size_t f = pa_frame_begin(&c->out, id, PA_OP_HEALTH_REPLY, 0, 0);
    pa_put_u16(&c->out, PA_MAJOR);
    pa_put_u16(&c->out, PA_MINOR);
    pa_put_u32(&c->out, flags);
    pa_put_u64(&c->out, (uint64_t)(now_ms() - g_agent.started_ms));
    pa_put_u32(&c->out, children_count());
    pa_put_str(&c->out, AGENT_SOFTWARE, (uint32_t)strlen(AGENT_SOFTWARE));
    pa_frame_end(&c->out, f);
}

/* FS_INVALIDATE (PROTOCOL.md §13): a one-shot request like HEALTH. The work runs here, on the event loop, and
 * FS_INVALIDATED (final) follows at once, so the id is free again when this returns. A bad payload is a fatal
 * ERROR for this stream only. */
static void reply_fs_invalidate(struct conn *c, uint32_t id, const uint8_t *p, uint32_t n) {
    struct pa_fsinv q;
    char msg[512];
    int code = pa_fsinv_decode(p, n, &q, msg, sizeof msg);
    if (code) {
        logf_agent("FS_INVALIDATE on stream %u refused: %s", id, msg);
        reply_error(c, id, 0, (uint32_t)code, 0, msg);
        return;
    }
    struct pa_fsinv_reply r;
    fsinv_run(&q, g_agent.pid1, &r);
    logf_agent("FS_INVALIDATE on stream %u: flags 0x%x, %u paths: refreshed %u, missing %u, failed %u, done 0x%x", id,
               q.flags, q.count, r.refreshed, r.missing, r.failed, r.flags);
    pa_fsinv_free(&q);
    pa_fsinv_reply_frame(&c->out, id, &r);
}

/* ---- frame dispatch ---- */

static void on_hello(struct conn *c, const struct pa_hdr *h, const uint8_t *p) {
    char msg[512];
    if (h->op != PA_OP_HELLO || h->stream != 0) {
        snprintf(msg, sizeof msg, "the first frame must be HELLO on stream 0, got op 0x%02x on stream %u "
                 "(PROTOCOL.md §4)", h->op, h->stream);
        conn_fail(c, PA_E_PROTOCOL, msg);
        return;
    }
    struct pa_hello hello;
    int code = pa_hello_decode(p, h->length, &hello, msg, sizeof msg);
    if (code) {
        conn_fail(c, (uint32_t)code, msg);
        return;
    }
    c->hello_done = 1;
    c->peer_window = hello.initial_window;
    struct pa_hello mine = {
        .major = PA_MAJOR, .minor = PA_MINOR, .features = 0, .initial_window = PA_AGENT_WINDOW,
        .max_payload = PA_MAX_PAYLOAD, .max_streams = PA_MAX_STREAMS,
        .software = (const uint8_t *)AGENT_SOFTWARE, .software_len = (uint32_t)strlen(AGENT_SOFTWARE),
    };
    pa_hello_encode(&c->out, &mine);
}

static void on_open(struct conn *c, const struct pa_hdr *h, const uint8_t *p) {
    char msg[256];
    if (h->stream % 2 == 0) {
        snprintf(msg, sizeof msg, "%s on stream %u: host-opened streams have odd ids (PROTOCOL.md §2)",
                 pa_op_name(h->op), h->stream);
        reply_error(c, h->stream, 0, PA_E_PROTOCOL, 0, msg);
        return;
    }
    if (stream_find(c, h->stream)) {
        snprintf(msg, sizeof msg, "%s on stream %u: that stream is open (PROTOCOL.md §2)", pa_op_name(h->op),
                 h->stream);
        reply_error(c, h->stream, PA_ERROR_NONFATAL, PA_E_STREAM_IN_USE, 0, msg);
        return;
    }
    if (g_agent.shutting_down && h->op != PA_OP_HEALTH) {
        reply_error(c, h->stream, 0, PA_E_SHUTTING_DOWN, 0, "the agent is shutting down and opens nothing new");
        return;
    }
    if (c->nstreams >= PA_MAX_STREAMS) {
        snprintf(msg, sizeof msg, "%u streams are open on this connection, the most allowed (PROTOCOL.md §10); "
                 "wait for one to end", c->nstreams);
        reply_error(c, h->stream, 0, PA_E_TOO_MANY_STREAMS, 0, msg);
        return;
    }
    switch (h->op) {
    case PA_OP_EXEC:
        open_exec(c, h->stream, p, h->length);
        break;
    case PA_OP_STREAM_OPEN:
        open_socket(c, h->stream, p, h->length);
        break;
    case PA_OP_HEALTH:
        if (h->length != 0) {
            reply_error(c, h->stream, 0, PA_E_PROTOCOL, 0, "HEALTH has an empty payload (PROTOCOL.md §3)");
        } else {
            reply_health(c, h->stream);
        }
        break;
    case PA_OP_FS_INVALIDATE:
        reply_fs_invalidate(c, h->stream, p, h->length);
        break;
    default: { /* SHUTDOWN */
        uint32_t flags;
        if (pa_u32_decode(p, h->length, &flags) || flags != 0) {
            reply_error(c, h->stream, 0, PA_E_PROTOCOL, 0, "SHUTDOWN payload is flags:u32 = 0 (PROTOCOL.md §3)");
            break;
        }
        reply_empty(c, h->stream, PA_OP_SHUTTING_DOWN, 0);
        conn_flush(c);
        agent_begin_shutdown("SHUTDOWN from the host");
        break;
    }
    }
}

static void on_data(struct conn *c, struct stream *s, const struct pa_hdr *h, const uint8_t *p) {
    char msg[256];
    if (h->chan != PA_CHAN_IN || h->length == 0 || s->in_eof) {
        snprintf(msg, sizeof msg, "DATA on stream %u chan %u with %u bytes%s: the host sends only non-empty DATA on "
                 "chan 0 before its EOF (PROTOCOL.md §5)", s->id, h->chan, h->length, s->in_eof ? " after EOF" : "");
        stream_fail(s, PA_E_PROTOCOL, 0, msg);
        return;
    }
    if (h->length > s->in_credit) {
        snprintf(msg, sizeof msg, "DATA of %u bytes on stream %u exceeds the window of %u bytes (PROTOCOL.md §5)",
                 h->length, s->id, s->in_credit);
        conn_fail(c, PA_E_FLOW_CONTROL, msg);
        return;
    }
    s->in_credit -= h->length;
    if (s->in_closed) {
        s->in_pending += h->length; /* nobody reads any more: discard, but keep the host's credit flowing */
        stream_grant(s);
        return;
    }
    buf_append(&s->inq, p, h->length);
    stream_write_in(s);
}

static void on_stream_frame(struct conn *c, struct stream *s, const struct pa_hdr *h, const uint8_t *p) {
    char msg[256];
    switch (h->op) {
    case PA_OP_DATA:
        on_data(c, s, h, p);
        break;
    case PA_OP_EOF:
        if (h->chan != PA_CHAN_IN || h->length != 0) {
            stream_fail(s, PA_E_PROTOCOL, 0, "the host sends EOF only on chan 0, with no payload (PROTOCOL.md §5)");
            break;
        }
        s->in_eof = 1;
        stream_write_in(s);
        stream_check_done(s);
        break;
    case PA_OP_WINDOW: {
        uint32_t inc;
        if (h->chan == PA_CHAN_IN || pa_u32_decode(p, h->length, &inc) || inc == 0) {
            stream_fail(s, PA_E_PROTOCOL, 0, "WINDOW from the host is increment:u32 >= 1 on chan 1 or 2 "
                        "(PROTOCOL.md §5)");
            break;
        }
        if ((uint64_t)s->out_window[h->chan] + inc > PA_MAX_WINDOW) {
            snprintf(msg, sizeof msg, "WINDOW +%u on stream %u chan %u would exceed 2^31-1 (PROTOCOL.md §5)", inc,
                     s->id, h->chan);
            conn_fail(c, PA_E_FLOW_CONTROL, msg);
            break;
        }
        s->out_window[h->chan] += inc;
        break;
    }
    case PA_OP_SIGNAL: {
        uint32_t sig;
        if (s->kind != ST_EXEC || pa_u32_decode(p, h->length, &sig) || sig < 1 || sig > 64) {
            snprintf(msg, sizeof msg, "SIGNAL on stream %u needs an exec stream and signo:u32 in 1..64 "
                     "(PROTOCOL.md §6.2)", s->id);
            reply_error(c, s->id, PA_ERROR_NONFATAL, PA_E_PROTOCOL, 0, msg);
        } else if (!s->exited) {
            kill(-s->pid, (int)sig);
        }
        break;
    }
    case PA_OP_RESIZE: {
        uint16_t rows, cols;
        if (s->kind != ST_EXEC || !s->tty || pa_resize_decode(p, h->length, &rows, &cols)) {
            snprintf(msg, sizeof msg, "RESIZE on stream %u needs a TTY exec and rows, cols >= 1 (PROTOCOL.md §6.2)",
                     s->id);
            reply_error(c, s->id, PA_ERROR_NONFATAL, PA_E_PROTOCOL, 0, msg);
        } else if (s->eps[0].fd >= 0) {
            struct winsize ws = {.ws_row = rows, .ws_col = cols};
            ioctl(s->eps[0].fd, TIOCSWINSZ, &ws);
        }
        break;
    }
    case PA_OP_RESET:
    case PA_OP_ERROR: /* an ERROR from the host on a stream it opened means RESET (PROTOCOL.md §2) */
        stream_end(s, 1);
        break;
    default:
        break;
    }
}

static void dispatch(struct conn *c, const struct pa_hdr *h, const uint8_t *p) {
    char msg[256];
    if (!c->hello_done) {
        on_hello(c, h, p);
        return;
    }
    int code = pa_hdr_check_chan(h, msg, sizeof msg);
    if (code) {
        conn_fail(c, (uint32_t)code, msg);
        return;
    }
    if (h->stream == 0) {
        if (h->op == PA_OP_ERROR) {
            logf_agent("the host sent a connection error; closing the connection");
            conn_destroy(c);
            return;
        }
        snprintf(msg, sizeof msg, "op %s (0x%02x) is not allowed on stream 0 (PROTOCOL.md §2)",
                 pa_op_name(h->op) ? pa_op_name(h->op) : "unknown", h->op);
        conn_fail(c, h->op == PA_OP_HELLO || pa_op_name(h->op) ? PA_E_PROTOCOL : PA_E_UNKNOWN_OP, msg);
        return;
    }
    struct stream *s = stream_find(c, h->stream);
    switch (h->op) {
    case PA_OP_EXEC:
    case PA_OP_STREAM_OPEN:
    case PA_OP_HEALTH:
    case PA_OP_FS_INVALIDATE:
    case PA_OP_SHUTDOWN:
        on_open(c, h, p);
        break;
    case PA_OP_DATA:
    case PA_OP_EOF:
    case PA_OP_WINDOW:
    case PA_OP_SIGNAL:
    case PA_OP_RESIZE:
    case PA_OP_RESET:
    case PA_OP_ERROR:
        if (s) { /* frames for streams that ended are dropped: they race with the end (PROTOCOL.md §2) */
            on_stream_frame(c, s, h, p);
        }
        break;
    case PA_OP_EGRESS_CONNECT:
    case PA_OP_DNS_QUERY:
    case PA_OP_DNS_REPLY:
        snprintf(msg, sizeof msg, "%s is reserved for the egress hooks and not implemented by agent protocol %u.%u "
                 "(PROTOCOL.md §9)", pa_op_name(h->op), PA_MAJOR, PA_MINOR);
        reply_error(c, h->stream, s ? PA_ERROR_NONFATAL : 0, PA_E_NOT_IMPLEMENTED, 0, msg);
        break;
    default:
        if (pa_op_name(h->op)) {
            snprintf(msg, sizeof msg, "%s is sent by the agent, never to it (PROTOCOL.md §3)", pa_op_name(h->op));
            reply_error(c, h->stream, s ? PA_ERROR_NONFATAL : 0, PA_E_PROTOCOL, 0, msg);
        } else {
            snprintf(msg, sizeof msg, "unknown op 0x%02x on stream %u (PROTOCOL.md §3)", h->op, h->stream);
            reply_error(c, h->stream, s ? PA_ERROR_NONFATAL : 0, PA_E_UNKNOWN_OP, 0, msg);
        }
        break;
    }
    if (s && s->c) {
        stream_update(s);
    }
}

/* ---- connections ---- */

void conn_accept(int listen_fd) {
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                logf_agent("accept failed: %s", strerror(errno));
            }
            return;
        }
        if (g_agent.nconns >= PA_MAX_CONNECTIONS) {
            struct buf b = {0};
            pa_error_frame(&b, 0, 0, PA_E_TOO_MANY_STREAMS, 0,
                           "the agent already serves 64 connections (PROTOCOL.md §10); close one");
            ssize_t ignored = send(fd, buf_head(&b), buf_used(&b), MSG_NOSIGNAL);
            (void)ignored;
            buf_free(&b);
            close(fd);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            fprintf(stderr, "paddock-agent: out of memory for a connection\n");
            abort();
        }
        c->ep.kind = EP_CONN;
        c->ep.fd = fd;
        c->ep.c = c;
        c->hello_deadline = now_ms() + HELLO_TIMEOUT_MS;
        c->next = g_agent.conns;
        g_agent.conns = c;
        g_agent.nconns++;
        conn_update(c);
    }
}

static void conn_destroy(struct conn *c) {
    if (c->dead) {
        return;
    }
    while (c->streams) {
        stream_end(c->streams, 1);
    }
    ep_forget(&c->ep);
    close(c->ep.fd);
    c->ep.fd = -1;
    c->dead = 1;
    g_agent.nconns--;
}

void conn_event(struct conn *c, uint32_t events) {
    if (events & EPOLLOUT) {
        conn_flush(c);
    }
    if (c->dead || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        return;
    }
    buf_reserve(&c->in, PA_MAX_PAYLOAD);
    ssize_t n = read(c->ep.fd, c->in.data + c->in.len, c->in.cap - c->in.len);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        if (buf_used(&c->in) > 0) {
            logf_agent("the host closed a connection in the middle of a frame (%zu bytes buffered)",
                       buf_used(&c->in));
        }
        conn_destroy(c);
        return;
    }
    if (n < 0) {
        return;
    }
    c->in.len += (size_t)n;
    char msg[256];
    while (!c->dead && buf_used(&c->in) >= PA_HDR_LEN) {
        struct pa_hdr h;
        int code = pa_hdr_decode(buf_head(&c->in), &h, msg, sizeof msg);
        if (code) {
            conn_fail(c, (uint32_t)code, msg);
            return;
        }
        if (buf_used(&c->in) < PA_HDR_LEN + (size_t)h.length) {
            break;
        }
        dispatch(c, &h, buf_head(&c->in) + PA_HDR_LEN);
        if (!c->dead) {
            buf_consume(&c->in, PA_HDR_LEN + (size_t)h.length);
        }
    }
    conn_flush(c);
}

int64_t conns_next_deadline(void) {
    int64_t next = 0;
    for (struct conn *c = g_agent.conns; c; c = c->next) {
        if (c->dead) {
            continue;
        }
        if (!c->hello_done && (!next || c->hello_deadline < next)) {
            next = c->hello_deadline;
        }
        for (struct stream *s = c->streams; s; s = s->next) {
            if (s->drain_deadline && (!next || s->drain_deadline < next)) {
                next = s->drain_deadline;
            }
        }
    }
    return next;
}

void conns_tick(int64_t now) {
    for (struct conn *c = g_agent.conns; c; c = c->next) {
        if (c->dead) {
            continue;
        }
        if (!c->hello_done && now >= c->hello_deadline) {
            conn_fail(c, PA_E_PROTOCOL, "no HELLO within 10 seconds (PROTOCOL.md §4)");
            continue;
        }
        struct stream *next;
        for (struct stream *s = c->streams; s; s = next) {
            next = s->next;
            if (s->drain_deadline && now >= s->drain_deadline) {
                /* descendants keep the outputs open: stop waiting (PROTOCOL.md §6.2 step 5) */
                for (int i = 0; i < s->neps; i++) {
                    if (s->eps[i].roles & (ROLE_READ_OUT | ROLE_READ_ERR)) {
                        ep_close(&s->eps[i]);
                    }
                }
                stream_send_eof(s, 1);
                stream_send_eof(s, 2);
                stream_check_done(s);
            }
        }
        conn_flush(c);
    }
}

void conns_reap_dead(void) {
    for (struct conn **p = &g_agent.conns; *p;) {
        struct conn *c = *p;
        if (c->dead) {
            *p = c->next;
            buf_free(&c->in);
            buf_free(&c->out);
            free(c);
        } else {
            p = &c->next;
        }
    }
    while (graveyard) {
        struct stream *s = graveyard;
        graveyard = s->next;
        free(s);
    }
}

void conn_close_all(void) {
    for (struct conn *c = g_agent.conns; c; c = c->next) {
        conn_flush(c);
        conn_destroy(c);
    }
    conns_reap_dead();
}
