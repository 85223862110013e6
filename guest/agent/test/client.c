#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct cl *cl_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "client: connect %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    struct cl *c = calloc(1, sizeof *c);
    c->fd = fd;
    c->auto_grant = 1;
    return c;
}

void cl_free(struct cl *c) {
    if (!c) {
        return;
    }
    close(c->fd);
    buf_free(&c->in);
    for (int i = 0; i < CL_MAX_ID; i++) {
        for (int k = 0; k < 3; k++) {
            buf_free(&c->st[i].out[k]);
        }
    }
    free(c);
}

void cl_raw(struct cl *c, const void *p, size_t n) {
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t w = send(c->fd, q, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return; /* the agent dropped us: the test notices on the next read */
        }
        q += w;
        n -= (size_t)w;
    }
}

void cl_frame(struct cl *c, uint32_t stream, uint8_t op, uint8_t chan, uint8_t flags, const void *p, uint32_t n) {
    struct buf b = {0};
    size_t f = pa_frame_begin(&b, stream, op, chan, flags);
    if (n) {
        pa_put_bytes(&b, p, n);
    }
    pa_frame_end(&b, f);
    cl_raw(c, buf_head(&b), buf_used(&b));
    buf_free(&b);
}

void cl_u32(struct cl *c, uint32_t id, uint8_t op, uint8_t chan, uint32_t v) {
    uint8_t q[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    cl_frame(c, id, op, chan, 0, q, 4);
}

int cl_hello(struct cl *c, uint16_t major, uint32_t window) {
    struct buf b = {0};
    struct pa_hello h = {.major = major, .minor = PA_MINOR, .initial_window = window, .max_payload = PA_MAX_PAYLOAD,
                         .max_streams = 4096, .software = (const uint8_t *)"e2e/1", .software_len = 5};
    pa_hello_encode(&b, &h);
    cl_raw(c, buf_head(&b), buf_used(&b));
    buf_free(&b);
    c->initial_window = window;
    if (cl_pump(c, 5000) != 1 || c->last.op != PA_OP_HELLO) {
        return -1;
    }
    return pa_hello_decode(c->last_payload, c->last.length, &c->agent_hello, NULL, 0) ? -1 : 0;
}

void cl_stream_reset(struct cl *c, uint32_t id) {
    struct cl_stream *s = &c->st[id];
    for (int k = 0; k < 3; k++) {
        buf_free(&s->out[k]);
    }
    memset(s, 0, sizeof *s);
    s->window[1] = s->window[2] = c->initial_window;
    s->agent_credit = c->agent_hello.initial_window;
}

void cl_exec(struct cl *c, uint32_t id, uint32_t flags, uint16_t rows, uint16_t cols, const char *user,
             const char *cwd, const char *const *argv, const char *const *env) {
    cl_stream_reset(c, id);
    struct buf b = {0};
    pa_exec_encode(&b, flags, rows, cols, user, cwd, argv, env);
    cl_frame(c, id, PA_OP_EXEC, 0, 0, buf_head(&b), (uint32_t)buf_used(&b));
    buf_free(&b);
}

void cl_fs_invalidate(struct cl *c, uint32_t id, uint32_t flags, const char *const *paths) {
    cl_stream_reset(c, id);
    struct buf b = {0};
    pa_fsinv_encode(&b, flags, paths);
    cl_frame(c, id, PA_OP_FS_INVALIDATE, 0, 0, buf_head(&b), (uint32_t)buf_used(&b));
    buf_free(&b);
}

static void apply(struct cl *c) {
    struct pa_hdr *h = &c->last;
    if (h->stream == 0 || h->stream >= CL_MAX_ID) {
        return;
    }
    struct cl_stream *s = &c->st[h->stream];
    const uint8_t *p = c->last_payload;
    switch (h->op) {
    case PA_OP_EXEC_STARTED:
        s->started = 1;
        pa_u32_decode(p, h->length, &s->pid);
        break;
    case PA_OP_STREAM_OPENED:
        s->opened = 1;
        break;
    case PA_OP_CLOSE:
        s->closed = 1;
        break;
    case PA_OP_EXIT:
        s->exited = 1;
        pa_exit_decode(p, h->length, &s->exit);
        break;
    case PA_OP_DATA:
        if (h->chan < 3) {
            if (h->length > s->window[h->chan]) {
                fprintf(stderr, "client: agent sent %u bytes on stream %u chan %u with a window of %u\n",
                        h->length, h->stream, h->chan, s->window[h->chan]);
                c->window_violations++;
            } else {
                s->window[h->chan] -= h->length;
            }
            buf_append(&s->out[h->chan], p, h->length);
            if (c->auto_grant) {
                cl_u32(c, h->stream, PA_OP_WINDOW, h->chan, h->length);
                s->window[h->chan] += h->length;
            }
        }
        break;
    case PA_OP_FS_INVALIDATED:
        if (pa_fsinv_reply_decode(p, h->length, &s->fs) == 0) {
            s->fs_done = 1;
        } else {
            fprintf(stderr, "client: malformed FS_INVALIDATED of %u bytes on stream %u\n", h->length, h->stream);
        }
        break;
    case PA_OP_EOF:
        if (h->chan < 3) {
            s->eof[h->chan] = 1;
        }
        break;
    case PA_OP_WINDOW: {
        uint32_t inc = 0;
        pa_u32_decode(p, h->length, &inc);
        s->agent_credit += inc;
        break;
    }
    case PA_OP_ERROR: {
        struct pa_error e;
        if (pa_error_decode(p, h->length, &e) == 0) {
            if (h->flags & PA_ERROR_NONFATAL) {
                s->nonfatal_errors++;
            } else {
                s->error = 1;
            }
            s->error_code = e.code;
            s->error_errno = e.sys_errno;
            memcpy(s->error_msg, e.message, e.message_len);
            s->error_msg[e.message_len] = 0;
        }
        break;
    }
    default:
        break;
    }
}

int cl_pump(struct cl *c, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        if (buf_used(&c->in) >= PA_HDR_LEN) {
            struct pa_hdr h;
            if (pa_hdr_decode(buf_head(&c->in), &h, NULL, 0) != 0) {
                fprintf(stderr, "client: the agent sent a bad header\n");
                return 0;
            }
            if (buf_used(&c->in) >= PA_HDR_LEN + h.length) {
                c->last = h;
                memcpy(c->last_payload, buf_head(&c->in) + PA_HDR_LEN, h.length);
                buf_consume(&c->in, PA_HDR_LEN + h.length);
                apply(c);
                return 1;
            }
        }
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            return -1;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf_reserve(&c->in, 65536);
        ssize_t n = read(c->fd, c->in.data + c->in.len, 65536);
        if (n <= 0) {
            return 0;
        }
        c->in.len += (size_t)n;
    }
}

int cl_wait_done(struct cl *c, uint32_t id, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    struct cl_stream *s = &c->st[id];
    while (!s->exited && !s->closed && !s->error && !s->fs_done) {
        int64_t left = deadline - mono_ms();
        if (left <= 0 || cl_pump(c, (int)left) != 1) {
            return -1;
        }
    }
    return 0;
}

int cl_wait_output(struct cl *c, uint32_t id, int chan, const char *needle, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    struct buf *b = &c->st[id].out[chan];
    for (;;) {
        if (buf_used(b) && memmem(buf_head(b), buf_used(b), needle, strlen(needle))) {
            return 0;
        }
        int64_t left = deadline - mono_ms();
        if (left <= 0 || cl_pump(c, (int)left) != 1) {
            return -1;
        }
    }
}

int cl_send_data(struct cl *c, uint32_t id, const void *p, size_t n, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    struct cl_stream *s = &c->st[id];
    const uint8_t *q = p;
    while (n > 0) {
        while (s->agent_credit == 0) {
            int64_t left = deadline - mono_ms();
            if (left <= 0 || cl_pump(c, (int)left) != 1) {
                return -1;
            }
        }
        uint32_t k = n < s->agent_credit ? (uint32_t)n : s->agent_credit;
        if (k > PA_MAX_PAYLOAD) {
            k = PA_MAX_PAYLOAD;
        }
        cl_frame(c, id, PA_OP_DATA, PA_CHAN_IN, 0, q, k);
        s->agent_credit -= k;
        q += k;
        n -= k;
    }
    return 0;
}
