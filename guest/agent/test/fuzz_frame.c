/* libFuzzer target: arbitrary bytes as a host -> agent connection stream, through the header parser and
 * every payload decoder the agent uses. ASan and UBSan turn any out-of-bounds read or overflow into a crash. */
#include <stdint.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    while (size >= PA_HDR_LEN) {
        struct pa_hdr h;
        if (pa_hdr_decode(data, &h, err, sizeof err) != 0 || pa_hdr_check_chan(&h, err, sizeof err) != 0) {
            return 0;
        }
        if (size - PA_HDR_LEN < h.length) {
            return 0; /* truncated: the agent waits for more bytes */
        }
        const uint8_t *p = data + PA_HDR_LEN;
        switch (h.op) {
        case PA_OP_HELLO: {
            struct pa_hello x;
            pa_hello_decode(p, h.length, &x, err, sizeof err);
            break;
        }
        case PA_OP_EXEC: {
            struct pa_exec e;
            if (pa_exec_decode(p, h.length, &e, err, sizeof err) == 0) {
                size_t total = strlen(e.user) + strlen(e.cwd);
                for (uint32_t i = 0; i < e.argc; i++) {
                    total += strlen(e.argv[i]);
                }
                for (uint32_t i = 0; i < e.envc; i++) {
                    total += strlen(e.env[i]);
                }
                if (e.argv[e.argc] != NULL || e.env[e.envc] != NULL || total > h.length) {
                    __builtin_trap();
                }
                pa_exec_free(&e);
            }
            break;
        }
        case PA_OP_STREAM_OPEN: {
            struct pa_open o;
            if (pa_open_decode(p, h.length, &o, err, sizeof err) == 0 && strlen(o.target) > PA_MAX_UNIX_PATH) {
                __builtin_trap();
            }
            break;
        }
        case PA_OP_EXIT: {
            struct pa_exit x;
            pa_exit_decode(p, h.length, &x);
            break;
        }
        case PA_OP_ERROR: {
            struct pa_error e;
            pa_error_decode(p, h.length, &e);
            break;
        }
        case PA_OP_FS_INVALIDATE: {
            struct pa_fsinv q;
            if (pa_fsinv_decode(p, h.length, &q, err, sizeof err) == 0) {
                /* every path is absolute, within its bound, and all of them fit in the payload */
                size_t total = 0;
                for (uint32_t i = 0; i < q.count; i++) {
                    size_t len = strlen(q.paths[i]);
                    if (q.paths[i][0] != '/' || len > PA_MAX_PATH) {
                        __builtin_trap();
                    }
                    total += len;
                }
                if (q.count > PA_MAX_FSINV_PATHS || q.paths[q.count] != NULL || total > h.length) {
                    __builtin_trap();
                }
                pa_fsinv_free(&q);
            }
            break;
        }
        case PA_OP_FS_INVALIDATED: {
            struct pa_fsinv_reply x;
            pa_fsinv_reply_decode(p, h.length, &x);
            break;
        }
        case PA_OP_HEALTH_REPLY: {
            struct pa_health x;
            pa_health_decode(p, h.length, &x);
            break;
        }
        case PA_OP_RESIZE: {
            uint16_t r, c;
            pa_resize_decode(p, h.length, &r, &c);
            break;
        }
        default: {
            uint32_t v;
            pa_u32_decode(p, h.length, &v);
            break;
        }
        }
        data += PA_HDR_LEN + h.length;
        size -= PA_HDR_LEN + h.length;
    }
    return 0;
}
