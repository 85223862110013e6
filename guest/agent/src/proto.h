/* The wire protocol of guest/PROTOCOL.md: constants, the frame header, and the payload codecs.
 * Pure functions over byte buffers (no I/O), shared by the agent, its tests and the fuzz target. */
#ifndef PADDOCK_PROTO_H
#define PADDOCK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PA_MAJOR 1
#define PA_MINOR 1                     /* 1.1 added FS_INVALIDATE (PROTOCOL.md §4, §13) */
#define PA_MAGIC "PDCK"
#define PA_HDR_LEN 12
#define PA_MAX_PAYLOAD 65536u          /* PROTOCOL.md §1 */
#define PA_MAX_STREAMS 1024u           /* §2, §10 */
#define PA_MAX_CONNECTIONS 64
#define PA_MAX_ARGC 1024u              /* §6.1 */
#define PA_MAX_ENVC 1024u
#define PA_MAX_CWD 4096u
#define PA_MAX_USER 256u
#define PA_MAX_UNIX_PATH 107u          /* sizeof(sockaddr_un.sun_path) - 1 */
#define PA_MAX_ERROR_MESSAGE 1024u
#define PA_MAX_SOFTWARE 256u
#define PA_MIN_WINDOW 4096u            /* §4 */
#define PA_MAX_INITIAL_WINDOW 16777216u
#define PA_MAX_WINDOW 0x7fffffffu      /* §5 */
#define PA_AGENT_WINDOW 65536u         /* what this agent grants per host -> agent channel */
#define PA_MAX_FSINV_PATHS 256u        /* §13: paths in one FS_INVALIDATE */
#define PA_MAX_PATH 4096u              /* §13: bytes in one FS_INVALIDATE path (PATH_MAX) */

enum pa_op {
    PA_OP_HELLO = 0x01,
    PA_OP_ERROR = 0x02,
    PA_OP_EXEC = 0x10,
    PA_OP_EXEC_STARTED = 0x11,
    PA_OP_EXIT = 0x12,
    PA_OP_SIGNAL = 0x13,
    PA_OP_RESIZE = 0x14,
    PA_OP_STREAM_OPEN = 0x20,
    PA_OP_STREAM_OPENED = 0x21,
    PA_OP_DATA = 0x30,
    PA_OP_EOF = 0x31,
    PA_OP_WINDOW = 0x32,
    PA_OP_RESET = 0x33,
    PA_OP_CLOSE = 0x34,
    PA_OP_HEALTH = 0x40,
    PA_OP_HEALTH_REPLY = 0x41,
    PA_OP_FS_INVALIDATE = 0x44,
    PA_OP_FS_INVALIDATED = 0x45,
    PA_OP_SHUTDOWN = 0x50,
    PA_OP_SHUTTING_DOWN = 0x51,
    PA_OP_EGRESS_CONNECT = 0x60,
    PA_OP_DNS_QUERY = 0x68,
    PA_OP_DNS_REPLY = 0x69,
};

enum pa_err {
    PA_E_PROTOCOL = 1,
    PA_E_UNSUPPORTED_VERSION = 2,
    PA_E_UNKNOWN_OP = 3,
    PA_E_NOT_IMPLEMENTED = 4,
    PA_E_FRAME_TOO_LARGE = 5,
    PA_E_TOO_MANY_STREAMS = 6,
    PA_E_STREAM_IN_USE = 7,
    PA_E_FLOW_CONTROL = 8,
    PA_E_LIMIT = 9,
    PA_E_EXEC_FAILED = 10,
    PA_E_USER_UNKNOWN = 11,
    PA_E_CWD = 12,
    PA_E_CONNECT_FAILED = 13,
    PA_E_IO = 14,
    PA_E_SHUTTING_DOWN = 15,
    PA_E_POLICY_DENIED = 16,
    PA_E_INTERNAL = 17,
};

#define PA_ERROR_NONFATAL 0x01  /* ERROR flags bit 0, §7 */
#define PA_EXEC_TTY 0x01u       /* EXEC flags bit 0, §6.1 */
#define PA_CHAN_IN 0            /* host -> agent: stdin / into the socket (§5) */
#define PA_CHAN_OUT 1           /* agent -> host: stdout / out of the socket */
#define PA_CHAN_ERR 2           /* agent -> host: stderr */

#define PA_HEALTH_PID1 0x1u
#define PA_HEALTH_DOCKERD_RUNNING 0x2u
#define PA_HEALTH_DOCKER_READY 0x4u
#define PA_HEALTH_SHUTTING_DOWN 0x8u

#define PA_STREAM_UNIX 1
#define PA_STREAM_TCP 2

/* FS_INVALIDATE flags (§13); FS_INVALIDATED's flags use the same bits for what was done. */
#define PA_FSINV_DROP_ENTRIES 0x1u /* request: drop unused dentries and inodes; reply: they were dropped */
#define PA_FSINV_OPEN_FILES 0x2u   /* request: refresh every open file and cwd; reply: they were refreshed */

struct pa_hdr {
    uint32_t length;
    uint32_t stream;
    uint8_t op;
    uint8_t chan;
    uint8_t flags;
    uint8_t reserved;
};

/* Decodes a header from n >= PA_HDR_LEN bytes and validates what the header alone decides (§1):
 * returns 0, or PA_E_FRAME_TOO_LARGE / PA_E_PROTOCOL with a message in err. */
int pa_hdr_decode(const uint8_t *p, struct pa_hdr *h, char *err, size_t errlen);
/* Whether op is a known op (§3) and chan valid for it; 0 if fine, else an error code. */
int pa_hdr_check_chan(const struct pa_hdr *h, char *err, size_t errlen);
const char *pa_op_name(uint8_t op);
const char *pa_err_name(uint32_t code);

/* A bounds-checked cursor over one payload. Any read past the end sets bad and returns zeros. */
struct pa_rd {
    const uint8_t *p;
    size_t n;
    size_t off;
    int bad;
};
void pa_rd_init(struct pa_rd *r, const uint8_t *p, size_t n);
uint8_t pa_rd_u8(struct pa_rd *r);
uint16_t pa_rd_u16(struct pa_rd *r);
uint32_t pa_rd_u32(struct pa_rd *r);
uint64_t pa_rd_u64(struct pa_rd *r);
/* A str (§1): sets *s to the bytes (not NUL-terminated) and returns its length; max bounds it (0 = none). */
uint32_t pa_rd_str(struct pa_rd *r, const uint8_t **s, uint32_t max, int *too_long);
/* 0 when the payload was consumed exactly and no read went past its end. */
int pa_rd_done(const struct pa_rd *r);

/* Frame writer: appends a header with a length patched by pa_frame_end. */
size_t pa_frame_begin(struct buf *b, uint32_t stream, uint8_t op, uint8_t chan, uint8_t flags);
void pa_frame_end(struct buf *b, size_t start);
void pa_put_u8(struct buf *b, uint8_t v);
void pa_put_u16(struct buf *b, uint16_t v);
void pa_put_u32(struct buf *b, uint32_t v);
void pa_put_u64(struct buf *b, uint64_t v);
void pa_put_str(struct buf *b, const void *s, uint32_t len);
void pa_put_bytes(struct buf *b, const void *s, size_t len);

struct pa_hello {
    uint16_t major, minor;
    uint32_t features;
    uint32_t initial_window;
    uint32_t max_payload;
    uint32_t max_streams;
    const uint8_t *software;
    uint32_t software_len;
};
/* 0, or PA_E_PROTOCOL (malformed, bad magic or bounds) / PA_E_UNSUPPORTED_VERSION (major != 1). */
int pa_hello_decode(const uint8_t *p, size_t n, struct pa_hello *h, char *err, size_t errlen);
void pa_hello_encode(struct buf *b, const struct pa_hello *h);

/* EXEC (§6.1), decoded into one allocation: argv and env are NULL-terminated arrays of C strings. */
struct pa_exec {
    uint32_t flags;
    uint16_t rows, cols;
    char *user;
    char *cwd;
    uint32_t argc, envc;
    char **argv;
    char **env;
    void *arena;
};
/* 0, or PA_E_PROTOCOL / PA_E_LIMIT with a message. On success, pa_exec_free releases it. */
int pa_exec_decode(const uint8_t *p, size_t n, struct pa_exec *e, char *err, size_t errlen);
void pa_exec_free(struct pa_exec *e);
void pa_exec_encode(struct buf *b, uint32_t flags, uint16_t rows, uint16_t cols, const char *user,
                    const char *cwd, const char *const *argv, const char *const *env);

struct pa_open {
    uint8_t kind;
    uint16_t port;
    char target[PA_MAX_UNIX_PATH + 1 > 64 ? PA_MAX_UNIX_PATH + 1 : 64];
};
int pa_open_decode(const uint8_t *p, size_t n, struct pa_open *o, char *err, size_t errlen);

struct pa_exit {
    uint8_t kind; /* 0 exited, 1 signaled */
    uint8_t core;
    uint32_t value;
};
int pa_exit_decode(const uint8_t *p, size_t n, struct pa_exit *x);

struct pa_error {
    uint32_t code;
    uint32_t sys_errno;
    const uint8_t *message;
    uint32_t message_len;
};
int pa_error_decode(const uint8_t *p, size_t n, struct pa_error *e);
/* Appends a whole ERROR frame; message is cut to PA_MAX_ERROR_MESSAGE bytes. */
void pa_error_frame(struct buf *b, uint32_t stream, uint8_t flags, uint32_t code, uint32_t sys_errno,
                    const char *message);

struct pa_health {
    uint16_t major, minor;
    uint32_t flags;
    uint64_t uptime_ms;
    uint32_t children;
    const uint8_t *software;
    uint32_t software_len;
};
int pa_health_decode(const uint8_t *p, size_t n, struct pa_health *h);

/* FS_INVALIDATE (§13), decoded into one allocation: paths[0..count) are absolute C strings (paths[count] is
 * NULL), each 1..PA_MAX_PATH bytes without a NUL byte. */
struct pa_fsinv {
    uint32_t flags;
    uint32_t count;
    char **paths;
    void *arena;
};
/* 0, or PA_E_PROTOCOL / PA_E_LIMIT (PA_E_INTERNAL when out of memory) with a message. On success,
 * pa_fsinv_free releases it. */
int pa_fsinv_decode(const uint8_t *p, size_t n, struct pa_fsinv *q, char *err, size_t errlen);
void pa_fsinv_free(struct pa_fsinv *q);
/* The FS_INVALIDATE payload (no frame header) for a NULL-terminated list of paths, as pa_exec_encode. */
void pa_fsinv_encode(struct buf *b, uint32_t flags, const char *const *paths);

/* FS_INVALIDATED (§13). */
struct pa_fsinv_reply {
    uint32_t refreshed;
    uint32_t missing;
    uint32_t failed;
    uint32_t flags; /* PA_FSINV_DROP_ENTRIES: dentries were dropped; PA_FSINV_OPEN_FILES: open files refreshed */
};
/* Appends a whole FS_INVALIDATED frame on stream. */
void pa_fsinv_reply_frame(struct buf *b, uint32_t stream, const struct pa_fsinv_reply *r);
int pa_fsinv_reply_decode(const uint8_t *p, size_t n, struct pa_fsinv_reply *r);

/* u32-only payloads (EXEC_STARTED pid, SIGNAL signo, WINDOW increment, SHUTDOWN flags): 0 or PA_E_PROTOCOL. */
int pa_u32_decode(const uint8_t *p, size_t n, uint32_t *v);
int pa_resize_decode(const uint8_t *p, size_t n, uint16_t *rows, uint16_t *cols);

#endif
