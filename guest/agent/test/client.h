/* A small host-side client of PROTOCOL.md for the end-to-end tests: it tracks every stream's output, windows
 * and final frame, grants credit as a real host would, and flags any window the agent oversteps. */
#ifndef PADDOCK_TEST_CLIENT_H
#define PADDOCK_TEST_CLIENT_H

#include <stdint.h>

#include "buf.h"
#include "proto.h"

#define CL_MAX_ID 2048

struct cl_stream {
    int started;
    uint32_t pid;
    int opened;            /* STREAM_OPENED */
    int closed;            /* CLOSE */
    int exited;
    struct pa_exit exit;
    int error;             /* a fatal ERROR arrived */
    uint32_t error_code, error_errno;
    char error_msg[PA_MAX_ERROR_MESSAGE + 1];
    int nonfatal_errors;
    int fs_done;           /* FS_INVALIDATED */
    struct pa_fsinv_reply fs;
    struct buf out[3];
    int eof[3];
    uint32_t window[3];    /* what we granted the agent and it has not used */
    uint32_t agent_credit; /* what the agent lets us send on chan 0 */
};

struct cl {
    int fd;
    struct buf in;
    uint32_t initial_window;
    int auto_grant;        /* return credit as soon as DATA arrives */
    int window_violations;
    struct cl_stream st[CL_MAX_ID];
    struct pa_hdr last;    /* the last frame received */
    uint8_t last_payload[PA_MAX_PAYLOAD];
    struct pa_hello agent_hello;
    uint8_t agent_software[PA_MAX_SOFTWARE + 1];
};

struct cl *cl_connect(const char *path);
void cl_free(struct cl *c);
void cl_raw(struct cl *c, const void *p, size_t n);
void cl_frame(struct cl *c, uint32_t stream, uint8_t op, uint8_t chan, uint8_t flags, const void *p, uint32_t n);
/* Sends HELLO with this major and window; returns 0 when the agent's HELLO came back. */
int cl_hello(struct cl *c, uint16_t major, uint32_t window);
void cl_exec(struct cl *c, uint32_t id, uint32_t flags, uint16_t rows, uint16_t cols, const char *user,
             const char *cwd, const char *const *argv, const char *const *env);
void cl_u32(struct cl *c, uint32_t id, uint8_t op, uint8_t chan, uint32_t v);
/* Sends stdin respecting the agent's credit, pumping frames while waiting for it; -1 on timeout. */
int cl_send_data(struct cl *c, uint32_t id, const void *p, size_t n, int timeout_ms);
/* Reads and applies one frame. 1 = a frame, 0 = the agent closed the connection, -1 = timeout. */
int cl_pump(struct cl *c, int timeout_ms);
/* Sends FS_INVALIDATE (PROTOCOL.md §13) on a fresh stream id with a NULL-terminated list of paths. */
void cl_fs_invalidate(struct cl *c, uint32_t id, uint32_t flags, const char *const *paths);
/* Pumps until stream id has its final frame (EXIT, CLOSE, FS_INVALIDATED, ERROR); -1 on timeout or closed
 * connection. */
int cl_wait_done(struct cl *c, uint32_t id, int timeout_ms);
/* Pumps until out[chan] of stream id contains needle; -1 on timeout. */
int cl_wait_output(struct cl *c, uint32_t id, int chan, const char *needle, int timeout_ms);
void cl_stream_reset(struct cl *c, uint32_t id);

#endif
