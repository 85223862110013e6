#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void errf(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *pa_op_name(uint8_t op) {
    switch (op) {
    case PA_OP_HELLO: return "HELLO";
    case PA_OP_ERROR: return "ERROR";
    case PA_OP_EXEC: return "EXEC";
    case PA_OP_EXEC_STARTED: return "EXEC_STARTED";
    case PA_OP_EXIT: return "EXIT";
    case PA_OP_SIGNAL: return "SIGNAL";
    case PA_OP_RESIZE: return "RESIZE";
    case PA_OP_STREAM_OPEN: return "STREAM_OPEN";
    case PA_OP_STREAM_OPENED: return "STREAM_OPENED";
    case PA_OP_DATA: return "DATA";
    case PA_OP_EOF: return "EOF";
    case PA_OP_WINDOW: return "WINDOW";
    case PA_OP_RESET: return "RESET";
    case PA_OP_CLOSE: return "CLOSE";
    case PA_OP_HEALTH: return "HEALTH";
    case PA_OP_HEALTH_REPLY: return "HEALTH_REPLY";
    case PA_OP_FS_INVALIDATE: return "FS_INVALIDATE";
    case PA_OP_FS_INVALIDATED: return "FS_INVALIDATED";
    case PA_OP_SHUTDOWN: return "SHUTDOWN";
    case PA_OP_SHUTTING_DOWN: return "SHUTTING_DOWN";
    case PA_OP_EGRESS_CONNECT: return "EGRESS_CONNECT";
    case PA_OP_DNS_QUERY: return "DNS_QUERY";
    case PA_OP_DNS_REPLY: return "DNS_REPLY";
    default: return NULL;
    }
}

const char *pa_err_name(uint32_t code) {
    static const char *const names[] = {
        NULL, "PROTOCOL", "UNSUPPORTED_VERSION", "UNKNOWN_OP", "NOT_IMPLEMENTED", "FRAME_TOO_LARGE",
        "TOO_MANY_STREAMS", "STREAM_IN_USE", "FLOW_CONTROL", "LIMIT", "EXEC_FAILED", "USER_UNKNOWN", "CWD",
        "CONNECT_FAILED", "IO", "SHUTTING_DOWN", "POLICY_DENIED", "INTERNAL",
    };
    return code < sizeof names / sizeof names[0] && names[code] ? names[code] : "UNKNOWN_CODE";
}

int pa_hdr_decode(const uint8_t *p, struct pa_hdr *h, char *err, size_t errlen) {
    h->length = le32(p);
    h->stream = le32(p + 4);
    h->op = p[8];
    h->chan = p[9];
    h->flags = p[10];
    h->reserved = p[11];
    /* GUEST-CONTROLLED on the host side, HOST-CONTROLLED here: the length bounds every allocation. */
    if (h->length > PA_MAX_PAYLOAD) {
        errf(err, errlen, "frame length %u exceeds the maximum payload of %u bytes (PROTOCOL.md §1)",
             h->length, PA_MAX_PAYLOAD);
        return PA_E_FRAME_TOO_LARGE;
    }
    if (h->reserved != 0) {
        errf(err, errlen, "frame header reserved byte is 0x%02x, must be 0 (PROTOCOL.md §1)", h->reserved);
        return PA_E_PROTOCOL;
    }
    return 0;
}

int pa_hdr_check_chan(const struct pa_hdr *h, char *err, size_t errlen) {
    int data_op = h->op == PA_OP_DATA || h->op == PA_OP_EOF || h->op == PA_OP_WINDOW;
    if (data_op ? h->chan > PA_CHAN_ERR : h->chan != 0) {
        errf(err, errlen, "chan %u is not valid for op 0x%02x (PROTOCOL.md §5: 0..2 for DATA/EOF/WINDOW, else 0)",
             h->chan, h->op);
        return PA_E_PROTOCOL;
    }
    return 0;
}

void pa_rd_init(struct pa_rd *r, const uint8_t *p, size_t n) {
    r->p = p;
    r->n = n;
    r->off = 0;
    r->bad = 0;
}

static const uint8_t *take(struct pa_rd *r, size_t k) {
    if (r->bad || r->n - r->off < k) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->off;
    r->off += k;
    return q;
}

uint8_t pa_rd_u8(struct pa_rd *r) {
    const uint8_t *q = take(r, 1);
    return q ? q[0] : 0;
}

uint16_t pa_rd_u16(struct pa_rd *r) {
    const uint8_t *q = take(r, 2);
    return q ? (uint16_t)(q[0] | q[1] << 8) : 0;
}

uint32_t pa_rd_u32(struct pa_rd *r) {
    const uint8_t *q = take(r, 4);
    return q ? le32(q) : 0;
}

uint64_t pa_rd_u64(struct pa_rd *r) {
    const uint8_t *q = take(r, 8);
    return q ? (uint64_t)le32(q) | (uint64_t)le32(q + 4) << 32 : 0;
}

uint32_t pa_rd_str(struct pa_rd *r, const uint8_t **s, uint32_t max, int *too_long) {
    uint32_t len = pa_rd_u32(r);
    *s = NULL;
    if (r->bad) {
        return 0;
    }
    if (max && len > max) {
        if (too_long) {
            *too_long = 1;
        }
        r->bad = 1;
        return 0;
    }
    const uint8_t *q = take(r, len); /* len is checked against the remaining payload here */
    *s = q;
    return q ? len : 0;
}

int pa_rd_done(const struct pa_rd *r) { return r->bad || r->off != r->n ? -1 : 0; }

size_t pa_frame_begin(struct buf *b, uint32_t stream, uint8_t op, uint8_t chan, uint8_t flags) {
    size_t start = b->len;
    pa_put_u32(b, 0);
    pa_put_u32(b, stream);
    pa_put_u8(b, op);
    pa_put_u8(b, chan);
    pa_put_u8(b, flags);
    pa_put_u8(b, 0);
    return start;
}

void pa_frame_end(struct buf *b, size_t start) {
    uint32_t len = (uint32_t)(b->len - start - PA_HDR_LEN);
    uint8_t *p = b->data + start;
    p[0] = (uint8_t)len;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)(len >> 16);
    p[3] = (uint8_t)(len >> 24);
}

void pa_put_u8(struct buf *b, uint8_t v) { buf_append(b, &v, 1); }

void pa_put_u16(struct buf *b, uint16_t v) {
    uint8_t q[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    buf_append(b, q, 2);
}

void pa_put_u32(struct buf *b, uint32_t v) {
    uint8_t q[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_append(b, q, 4);
}

void pa_put_u64(struct buf *b, uint64_t v) {
    pa_put_u32(b, (uint32_t)v);
    pa_put_u32(b, (uint32_t)(v >> 32));
}

void pa_put_str(struct buf *b, const void *s, uint32_t len) {
    pa_put_u32(b, len);
    buf_append(b, s, len);
}

void pa_put_bytes(struct buf *b, const void *s, size_t len) { buf_append(b, s, len); }

int pa_hello_decode(const uint8_t *p, size_t n, struct pa_hello *h, char *err, size_t errlen) {
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    const uint8_t *magic = take(&r, 4);
    h->major = pa_rd_u16(&r);
    h->minor = pa_rd_u16(&r);
    h->features = pa_rd_u32(&r);
    h->initial_window = pa_rd_u32(&r);
    h->max_payload = pa_rd_u32(&r);
    h->max_streams = pa_rd_u32(&r);
    int too_long = 0;
    h->software_len = pa_rd_str(&r, &h->software, PA_MAX_SOFTWARE, &too_long);
    if (!magic || memcmp(magic, PA_MAGIC, 4) != 0) {
        errf(err, errlen, "HELLO does not start with the magic \"PDCK\" (PROTOCOL.md §4)");
        return PA_E_PROTOCOL;
    }
    if (pa_rd_done(&r)) {
        errf(err, errlen, too_long ? "HELLO software string is over %u bytes (PROTOCOL.md §4)"
                                   : "HELLO payload of %u bytes is malformed (PROTOCOL.md §4)",
             too_long ? PA_MAX_SOFTWARE : (unsigned)n);
        return PA_E_PROTOCOL;
    }
    if (h->major != PA_MAJOR) {
        errf(err, errlen, "peer speaks protocol %u.%u; this agent speaks %u.x: use an agent image and client of "
             "the same major version", h->major, h->minor, PA_MAJOR);
        return PA_E_UNSUPPORTED_VERSION;
    }
    if (h->initial_window < PA_MIN_WINDOW || h->initial_window > PA_MAX_INITIAL_WINDOW) {
        errf(err, errlen, "HELLO initial_window %u is outside %u..%u (PROTOCOL.md §4)", h->initial_window,
             PA_MIN_WINDOW, PA_MAX_INITIAL_WINDOW);
        return PA_E_PROTOCOL;
    }
    if (h->max_payload != PA_MAX_PAYLOAD) {
        errf(err, errlen, "HELLO max_payload %u must be %u in protocol 1.x (PROTOCOL.md §4)", h->max_payload,
             PA_MAX_PAYLOAD);
        return PA_E_PROTOCOL;
    }
    if (h->max_streams == 0) {
        errf(err, errlen, "HELLO max_streams is 0, must be at least 1 (PROTOCOL.md §4)");
        return PA_E_PROTOCOL;
    }
    return 0;
}

void pa_hello_encode(struct buf *b, const struct pa_hello *h) {
    size_t f = pa_frame_begin(b, 0, PA_OP_HELLO, 0, 0);
    pa_put_bytes(b, PA_MAGIC, 4);
    pa_put_u16(b, h->major);
    pa_put_u16(b, h->minor);
    pa_put_u32(b, h->features);
    pa_put_u32(b, h->initial_window);
    pa_put_u32(b, h->max_payload);
    pa_put_u32(b, h->max_streams);
    pa_put_str(b, h->software, h->software_len);
    pa_frame_end(b, f);
}

/* Copies a str into the arena as a C string; rejects embedded NUL (it would silently cut an argument). */
static int cstr(const uint8_t *s, uint32_t len, char **arena, char **out) {
    if (len && memchr(s, 0, len)) {
        return -1;
    }
    memcpy(*arena, s, len);
    (*arena)[len] = 0;
    *out = *arena;
    *arena += len + 1;
    return 0;
}

int pa_exec_decode(const uint8_t *p, size_t n, struct pa_exec *e, char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    e->flags = pa_rd_u32(&r);
    e->rows = pa_rd_u16(&r);
    e->cols = pa_rd_u16(&r);
    const uint8_t *user, *cwd;
    int too_long = 0;
    uint32_t user_len = pa_rd_str(&r, &user, PA_MAX_USER, &too_long);
    if (too_long) {
        errf(err, errlen, "EXEC user is over %u bytes (PROTOCOL.md §6.1)", PA_MAX_USER);
        return PA_E_LIMIT;
    }
    uint32_t cwd_len = pa_rd_str(&r, &cwd, PA_MAX_CWD, &too_long);
    if (too_long) {
        errf(err, errlen, "EXEC cwd is over %u bytes (PROTOCOL.md §6.1)", PA_MAX_CWD);
        return PA_E_LIMIT;
    }
    e->argc = pa_rd_u32(&r);
    if (r.bad) {
        errf(err, errlen, "EXEC payload of %zu bytes ends before argc (PROTOCOL.md §6.1)", n);
        return PA_E_PROTOCOL;
    }
    if (e->argc < 1 || e->argc > PA_MAX_ARGC) {
        errf(err, errlen, "EXEC argc %u is outside 1..%u (PROTOCOL.md §6.1)", e->argc, PA_MAX_ARGC);
        return PA_E_LIMIT;
    }
    /* First pass: validate and measure, so that one allocation bounded by the payload holds everything. */
    size_t strings_at = r.off;
    size_t bytes = user_len + 1 + cwd_len + 1;
    for (uint32_t i = 0; i < e->argc; i++) {
        const uint8_t *s;
        bytes += pa_rd_str(&r, &s, 0, NULL) + 1;
    }
    e->envc = pa_rd_u32(&r);
    if (!r.bad && e->envc > PA_MAX_ENVC) {
        errf(err, errlen, "EXEC envc %u is over %u (PROTOCOL.md §6.1)", e->envc, PA_MAX_ENVC);
        return PA_E_LIMIT;
    }
    for (uint32_t i = 0; !r.bad && i < e->envc; i++) {
        const uint8_t *s;
        bytes += pa_rd_str(&r, &s, 0, NULL) + 1;
    }
    if (pa_rd_done(&r)) {
        errf(err, errlen, "EXEC payload of %zu bytes is malformed: a string runs past its end or bytes trail "
             "(PROTOCOL.md §6.1)", n);
        return PA_E_PROTOCOL;
    }
    if (e->flags & ~PA_EXEC_TTY) {
        errf(err, errlen, "EXEC flags 0x%x has unknown bits (only bit 0 TTY is defined, PROTOCOL.md §6.1)",
             e->flags);
        return PA_E_PROTOCOL;
    }
    if ((e->flags & PA_EXEC_TTY) ? (e->rows == 0 || e->cols == 0) : (e->rows != 0 || e->cols != 0)) {
        errf(err, errlen, "EXEC rows %u cols %u: with TTY both must be at least 1, without TTY both 0 "
             "(PROTOCOL.md §6.1)", e->rows, e->cols);
        return PA_E_PROTOCOL;
    }
    size_t ptrs = (e->argc + 1 + e->envc + 1) * sizeof(char *);
    e->arena = malloc(ptrs + bytes);
    if (!e->arena) {
        errf(err, errlen, "out of memory decoding EXEC");
        return PA_E_INTERNAL;
    }
    e->argv = e->arena;
    e->env = e->argv + e->argc + 1;
    char *a = (char *)e->arena + ptrs;
    int nul = cstr(user, user_len, &a, &e->user) | cstr(cwd, cwd_len, &a, &e->cwd);
    pa_rd_init(&r, p, n);
    r.off = strings_at;
    for (uint32_t i = 0; i < e->argc; i++) {
        const uint8_t *s;
        uint32_t len = pa_rd_str(&r, &s, 0, NULL);
        nul |= cstr(s, len, &a, &e->argv[i]);
    }
    e->argv[e->argc] = NULL;
    (void)pa_rd_u32(&r);
    for (uint32_t i = 0; i < e->envc; i++) {
        const uint8_t *s;
        uint32_t len = pa_rd_str(&r, &s, 0, NULL);
        nul |= cstr(s, len, &a, &e->env[i]);
    }
    e->env[e->envc] = NULL;
    if (nul) {
        pa_exec_free(e);
        errf(err, errlen, "EXEC user, cwd, argv or env contains a NUL byte (PROTOCOL.md §1)");
        return PA_E_PROTOCOL;
    }
    return 0;
}

void pa_exec_free(struct pa_exec *e) {
    free(e->arena);
    e->arena = NULL;
    e->argv = e->env = NULL;
}

void pa_exec_encode(struct buf *b, uint32_t flags, uint16_t rows, uint16_t cols, const char *user,
                    const char *cwd, const char *const *argv, const char *const *env) {
    pa_put_u32(b, flags);
    pa_put_u16(b, rows);
    pa_put_u16(b, cols);
    pa_put_str(b, user, (uint32_t)strlen(user));
    pa_put_str(b, cwd, (uint32_t)strlen(cwd));
    uint32_t n = 0;
    while (argv[n]) {
        n++;
    }
    pa_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        pa_put_str(b, argv[i], (uint32_t)strlen(argv[i]));
    }
    n = 0;
    while (env && env[n]) {
        n++;
    }
    pa_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        pa_put_str(b, env[i], (uint32_t)strlen(env[i]));
    }
}

int pa_open_decode(const uint8_t *p, size_t n, struct pa_open *o, char *err, size_t errlen) {
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    o->kind = pa_rd_u8(&r);
    uint8_t reserved = pa_rd_u8(&r);
    o->port = pa_rd_u16(&r);
    const uint8_t *t;
    int too_long = 0;
    uint32_t max = o->kind == PA_STREAM_UNIX ? PA_MAX_UNIX_PATH : 63;
    uint32_t len = pa_rd_str(&r, &t, max, &too_long);
    if (too_long) {
        errf(err, errlen, "STREAM_OPEN target is over %u bytes (PROTOCOL.md §8)", max);
        return PA_E_LIMIT;
    }
    if (pa_rd_done(&r) || reserved != 0) {
        errf(err, errlen, "STREAM_OPEN payload of %zu bytes is malformed (PROTOCOL.md §8)", n);
        return PA_E_PROTOCOL;
    }
    if (len && memchr(t, 0, len)) {
        errf(err, errlen, "STREAM_OPEN target contains a NUL byte (PROTOCOL.md §1)");
        return PA_E_PROTOCOL;
    }
    memcpy(o->target, t, len);
    o->target[len] = 0;
    if (o->kind == PA_STREAM_UNIX && (len == 0 || o->port != 0)) {
        errf(err, errlen, "STREAM_OPEN unix needs a path of 1..%u bytes and port 0 (PROTOCOL.md §8)",
             PA_MAX_UNIX_PATH);
        return PA_E_PROTOCOL;
    }
    if (o->kind == PA_STREAM_TCP && o->port == 0) {
        errf(err, errlen, "STREAM_OPEN tcp needs a port of 1..65535 (PROTOCOL.md §8)");
        return PA_E_PROTOCOL;
    }
    if (o->kind != PA_STREAM_UNIX && o->kind != PA_STREAM_TCP) {
        errf(err, errlen, "STREAM_OPEN kind %u is neither 1 (unix) nor 2 (tcp) (PROTOCOL.md §8)", o->kind);
        return PA_E_PROTOCOL;
    }
    return 0;
}

int pa_exit_decode(const uint8_t *p, size_t n, struct pa_exit *x) {
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    x->kind = pa_rd_u8(&r);
    x->core = pa_rd_u8(&r);
    uint16_t reserved = pa_rd_u16(&r);
    x->value = pa_rd_u32(&r);
    return pa_rd_done(&r) || reserved || x->kind > 1 ? PA_E_PROTOCOL : 0;
}

int pa_error_decode(const uint8_t *p, size_t n, struct pa_error *e) {
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    e->code = pa_rd_u32(&r);
    e->sys_errno = pa_rd_u32(&r);
    if (r.bad || n - r.off > PA_MAX_ERROR_MESSAGE) {
        return PA_E_PROTOCOL;
    }
    e->message = p + r.off;
    e->message_len = (uint32_t)(n - r.off);
    return 0;
}

void pa_error_frame(struct buf *b, uint32_t stream, uint8_t flags, uint32_t code, uint32_t sys_errno,
                    const char *message) {
    size_t len = strlen(message);
    if (len > PA_MAX_ERROR_MESSAGE) {
        len = PA_MAX_ERROR_MESSAGE;
    }
    size_t f = pa_frame_begin(b, stream, PA_OP_ERROR, 0, flags);
    pa_put_u32(b, code);
    pa_put_u32(b, sys_errno);
    pa_put_bytes(b, message, len);
    pa_frame_end(b, f);
}

int pa_health_decode(const uint8_t *p, size_t n, struct pa_health *h) {
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    h->major = pa_rd_u16(&r);
    h->minor = pa_rd_u16(&r);
    h->flags = pa_rd_u32(&r);
    h->uptime_ms = pa_rd_u64(&r);
    h->children = pa_rd_u32(&r);
    h->software_len = pa_rd_str(&r, &h->software, PA_MAX_SOFTWARE, NULL);
    return pa_rd_done(&r) ? PA_E_PROTOCOL : 0;
}

int pa_fsinv_decode(const uint8_t *p, size_t n, struct pa_fsinv *q, char *err, size_t errlen) {
    memset(q, 0, sizeof *q);
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    q->flags = pa_rd_u32(&r);
    q->count = pa_rd_u32(&r);
    if (r.bad) {
        errf(err, errlen, "FS_INVALIDATE payload of %zu bytes ends before its path count (PROTOCOL.md §13)", n);
        return PA_E_PROTOCOL;
    }
    if (q->flags & ~(PA_FSINV_DROP_ENTRIES | PA_FSINV_OPEN_FILES)) {
        errf(err, errlen, "FS_INVALIDATE flags 0x%x has unknown bits (only bit 0 DROP_ENTRIES and bit 1 OPEN_FILES "
             "are defined, PROTOCOL.md §13)", q->flags);
        return PA_E_PROTOCOL;
    }
    /* HOST-CONTROLLED: count sizes the pointer array below; bound it before anything is read or allocated. */
    if (q->count > PA_MAX_FSINV_PATHS) {
        errf(err, errlen, "FS_INVALIDATE count %u is over %u paths (PROTOCOL.md §13): send DROP_ENTRIES | "
             "OPEN_FILES and the share roots instead", q->count, PA_MAX_FSINV_PATHS);
        return PA_E_LIMIT;
    }
    /* First pass: validate and measure, so that one allocation bounded by the payload holds everything. Each
     * length is checked against PA_MAX_PATH and then against the bytes left (pa_rd_str), so the sum of the
     * lengths never exceeds n. */
    size_t paths_at = r.off;
    size_t bytes = 0;
    for (uint32_t i = 0; i < q->count && !r.bad; i++) {
        const uint8_t *s;
        int too_long = 0;
        uint32_t len = pa_rd_str(&r, &s, PA_MAX_PATH, &too_long);
        if (too_long) {
            errf(err, errlen, "FS_INVALIDATE path %u is over %u bytes (PROTOCOL.md §13)", i, PA_MAX_PATH);
            return PA_E_LIMIT;
        }
        if (r.bad) {
            break; /* runs past the payload: reported below */
        }
        if (len == 0) {
            errf(err, errlen, "FS_INVALIDATE path %u is empty: paths are absolute guest paths (PROTOCOL.md §13)", i);
            return PA_E_PROTOCOL;
        }
        if (s[0] != '/') {
            errf(err, errlen, "FS_INVALIDATE path %u does not start with '/': paths are absolute guest paths "
                 "(PROTOCOL.md §13)", i);
            return PA_E_PROTOCOL;
        }
        if (memchr(s, 0, len)) {
            errf(err, errlen, "FS_INVALIDATE path %u contains a NUL byte (PROTOCOL.md §1, §13)", i);
            return PA_E_PROTOCOL;
        }
        bytes += (size_t)len + 1;
    }
    if (pa_rd_done(&r)) {
        errf(err, errlen, "FS_INVALIDATE payload of %zu bytes is malformed: a path runs past its end or bytes trail "
             "(PROTOCOL.md §13)", n);
        return PA_E_PROTOCOL;
    }
    size_t ptrs = ((size_t)q->count + 1) * sizeof(char *);
    q->arena = malloc(ptrs + bytes);
    if (!q->arena) {
        errf(err, errlen, "out of memory decoding FS_INVALIDATE");
        return PA_E_INTERNAL;
    }
    q->paths = q->arena;
    char *a = (char *)q->arena + ptrs;
    pa_rd_init(&r, p, n);
    r.off = paths_at;
    for (uint32_t i = 0; i < q->count; i++) {
        const uint8_t *s;
        uint32_t len = pa_rd_str(&r, &s, 0, NULL);
        (void)cstr(s, len, &a, &q->paths[i]); /* NUL bytes were refused above */
    }
    q->paths[q->count] = NULL;
    return 0;
}

void pa_fsinv_free(struct pa_fsinv *q) {
    free(q->arena);
    q->arena = NULL;
    q->paths = NULL;
}

void pa_fsinv_encode(struct buf *b, uint32_t flags, const char *const *paths) {
    uint32_t n = 0;
    while (paths && paths[n]) {
        n++;
    }
    pa_put_u32(b, flags);
    pa_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        pa_put_str(b, paths[i], (uint32_t)strlen(paths[i]));
    }
}

void pa_fsinv_reply_frame(struct buf *b, uint32_t stream, const struct pa_fsinv_reply *r) {
    size_t f = pa_frame_begin(b, stream, PA_OP_FS_INVALIDATED, 0, 0);
    pa_put_u32(b, r->refreshed);
    pa_put_u32(b, r->missing);
    pa_put_u32(b, r->failed);
    pa_put_u32(b, r->flags);
    pa_frame_end(b, f);
}

int pa_fsinv_reply_decode(const uint8_t *p, size_t n, struct pa_fsinv_reply *r) {
    struct pa_rd rd;
    pa_rd_init(&rd, p, n);
    r->refreshed = pa_rd_u32(&rd);
    r->missing = pa_rd_u32(&rd);
    r->failed = pa_rd_u32(&rd);
    r->flags = pa_rd_u32(&rd);
    return pa_rd_done(&rd) ? PA_E_PROTOCOL : 0;
}

int pa_u32_decode(const uint8_t *p, size_t n, uint32_t *v) {
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    *v = pa_rd_u32(&r);
    return pa_rd_done(&r) ? PA_E_PROTOCOL : 0;
}

int pa_resize_decode(const uint8_t *p, size_t n, uint16_t *rows, uint16_t *cols) {
    struct pa_rd r;
    pa_rd_init(&r, p, n);
    *rows = pa_rd_u16(&r);
    *cols = pa_rd_u16(&r);
    return pa_rd_done(&r) || *rows == 0 || *cols == 0 ? PA_E_PROTOCOL : 0;
}
