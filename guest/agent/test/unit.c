/* Unit tests of the frame codec (src/proto.c) and the passwd/group parser (src/user.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "egress_wire.h"
#include "splice.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <sys/socket.h>

static int passed, failed;

#define EXPECT(cond, ...)                                                                                     \
    do {                                                                                                      \
        if (cond) {                                                                                           \
            passed++;                                                                                         \
        } else {                                                                                              \
            failed++;                                                                                         \
            printf("FAIL %s:%d: ", __func__, __LINE__);                                                       \
            printf(__VA_ARGS__);                                                                              \
            printf("\n");                                                                                     \
        }                                                                                                     \
    } while (0)

/* Hex text as in PROTOCOL.md §11 ("22 00 00 00 ..."), whitespace ignored. */
static size_t unhex(const char *s, uint8_t *out) {
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == '\n') {
            s++;
            continue;
        }
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static int same(const struct buf *b, const char *hex) {
    uint8_t want[512];
    size_t n = unhex(hex, want);
    return buf_used(b) == n && memcmp(buf_head(b), want, n) == 0;
}

/* Re-encodes the frames of PROTOCOL.md §11 and compares them with the text there, byte for byte. */
static void codec_worked_example(void) {
    struct buf b = {0};
    struct pa_hello host = {.major = 1, .minor = 1, .initial_window = 65536, .max_payload = 65536,
                            .max_streams = 1024, .software = (const uint8_t *)"host/1", .software_len = 6};
    pa_hello_encode(&b, &host);
    EXPECT(same(&b, "22 00 00 00  00 00 00 00  01 00 00 00"
                    "50 44 43 4b  01 00  01 00  00 00 00 00  00 00 01 00  00 00 01 00  00 04 00 00"
                    "06 00 00 00  68 6f 73 74  2f 31"), "host HELLO bytes");
    buf_free(&b);
    struct pa_hello agent = host;
    agent.software = (const uint8_t *)"paddock-agent/0.1.0";
    agent.software_len = 19;
    pa_hello_encode(&b, &agent);
    EXPECT(same(&b, "2f 00 00 00  00 00 00 00  01 00 00 00"
                    "50 44 43 4b  01 00  01 00  00 00 00 00  00 00 01 00  00 00 01 00  00 04 00 00"
                    "13 00 00 00  70 61 64 64 6f 63 6b 2d 61 67 65 6e 74 2f 30 2e 31 2e 30"), "agent HELLO bytes");
    buf_free(&b);
    const char *argv[] = {"sh", "-c", "echo hi; exit 3", NULL};
    const char *env[] = {"PATH=/bin:/usr/bin", NULL};
    size_t f = pa_frame_begin(&b, 1, PA_OP_EXEC, 0, 0);
    pa_exec_encode(&b, 0, 0, 0, "", "/tmp", argv, env);
    pa_frame_end(&b, f);
    const char *exec_hex = "51 00 00 00  01 00 00 00  10 00 00 00"
                           "00 00 00 00  00 00  00 00  00 00 00 00  04 00 00 00  2f 74 6d 70  03 00 00 00"
                           "02 00 00 00  73 68  02 00 00 00  2d 63"
                           "0f 00 00 00  65 63 68 6f 20 68 69 3b 20 65 78 69 74 20 33"
                           "01 00 00 00  12 00 00 00  50 41 54 48 3d 2f 62 69 6e 3a 2f 75 73 72 2f 62 69 6e";
    EXPECT(same(&b, exec_hex), "EXEC bytes");
    struct pa_hdr h;
    EXPECT(pa_hdr_decode(buf_head(&b), &h, NULL, 0) == 0 && h.length == 81 && h.stream == 1 && h.op == PA_OP_EXEC,
           "EXEC header decodes");
    struct pa_exec e;
    char err[256];
    int rc = pa_exec_decode(buf_head(&b) + PA_HDR_LEN, h.length, &e, err, sizeof err);
    EXPECT(rc == 0 && e.argc == 3 && strcmp(e.argv[2], "echo hi; exit 3") == 0 && e.argv[3] == NULL &&
           e.envc == 1 && strcmp(e.env[0], "PATH=/bin:/usr/bin") == 0 && strcmp(e.cwd, "/tmp") == 0 &&
           e.user[0] == 0, "EXEC decodes back: %s", rc ? err : "");
    if (rc == 0) {
        pa_exec_free(&e);
    }
    buf_free(&b);
    f = pa_frame_begin(&b, 1, PA_OP_EXIT, 0, 0);
    pa_put_u8(&b, 0);
    pa_put_u8(&b, 0);
    pa_put_u16(&b, 0);
    pa_put_u32(&b, 3);
    pa_frame_end(&b, f);
    EXPECT(same(&b, "08 00 00 00  01 00 00 00  12 00 00 00  00 00 00 00  03 00 00 00"), "EXIT bytes");
    buf_free(&b);
    f = pa_frame_begin(&b, 1, PA_OP_DATA, 1, 0);
    pa_put_bytes(&b, "hi\n", 3);
    pa_frame_end(&b, f);
    EXPECT(same(&b, "03 00 00 00  01 00 00 00  30 01 00 00  68 69 0a"), "DATA bytes");
    buf_free(&b);
}

static void header_rules(void) {
    uint8_t p[PA_HDR_LEN] = {0x01, 0x00, 0x01, 0x00, 5, 0, 0, 0, PA_OP_DATA, 1, 0, 0}; /* 65537 */
    struct pa_hdr h;
    char err[256];
    EXPECT(pa_hdr_decode(p, &h, err, sizeof err) == PA_E_FRAME_TOO_LARGE && strstr(err, "65537"),
           "length 65537 is too large: %s", err);
    p[2] = 0;
    p[0] = 0;
    p[1] = 0;
    p[2] = 1; /* exactly 65536 */
    EXPECT(pa_hdr_decode(p, &h, err, sizeof err) == 0 && h.length == 65536, "length 65536 is fine");
    p[11] = 1;
    EXPECT(pa_hdr_decode(p, &h, err, sizeof err) == PA_E_PROTOCOL, "reserved byte must be 0");
    p[11] = 0;
    pa_hdr_decode(p, &h, err, sizeof err);
    h.chan = 3;
    EXPECT(pa_hdr_check_chan(&h, err, sizeof err) == PA_E_PROTOCOL, "DATA chan 3 is invalid");
    h.chan = 2;
    EXPECT(pa_hdr_check_chan(&h, err, sizeof err) == 0, "DATA chan 2 is valid");
    h.op = PA_OP_EXEC;
    h.chan = 1;
    EXPECT(pa_hdr_check_chan(&h, err, sizeof err) == PA_E_PROTOCOL, "EXEC with chan 1 is invalid");
}

static void hello_rules(void) {
    struct buf b = {0};
    struct pa_hello h = {.major = 1, .minor = 7, .initial_window = 4096, .max_payload = 65536, .max_streams = 1,
                         .software = (const uint8_t *)"x", .software_len = 1};
    struct pa_hello d;
    char err[256];
    pa_hello_encode(&b, &h);
    EXPECT(pa_hello_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN, &d, err, sizeof err) == 0 &&
           d.minor == 7, "a newer minor is accepted");
    buf_free(&b);
    h.major = 2;
    pa_hello_encode(&b, &h);
    EXPECT(pa_hello_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN, &d, err, sizeof err) ==
           PA_E_UNSUPPORTED_VERSION && strstr(err, "2.7"), "major 2 is refused, naming it: %s", err);
    buf_free(&b);
    h.major = 1;
    h.initial_window = 4095;
    pa_hello_encode(&b, &h);
    EXPECT(pa_hello_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN, &d, err, sizeof err) ==
           PA_E_PROTOCOL, "window 4095 is refused");
    buf_free(&b);
    h.initial_window = 65536;
    h.max_payload = 1000;
    pa_hello_encode(&b, &h);
    EXPECT(pa_hello_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN, &d, err, sizeof err) ==
           PA_E_PROTOCOL, "max_payload 1000 is refused");
    buf_free(&b);
    h.max_payload = 65536;
    pa_hello_encode(&b, &h);
    b.data[PA_HDR_LEN] = 'X';
    EXPECT(pa_hello_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN, &d, err, sizeof err) ==
           PA_E_PROTOCOL, "bad magic is refused");
    buf_free(&b);
    pa_hello_encode(&b, &h);
    EXPECT(pa_hello_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN - 1, &d, err, sizeof err) ==
           PA_E_PROTOCOL, "a truncated HELLO is refused");
    buf_free(&b);
}

static int exec_code(struct buf *b) {
    struct pa_exec e;
    char err[256];
    int rc = pa_exec_decode(buf_head(b), buf_used(b), &e, err, sizeof err);
    if (rc == 0) {
        pa_exec_free(&e);
    }
    buf_free(b);
    return rc;
}

static void exec_rules(void) {
    struct buf b = {0};
    const char *argv[] = {"true", NULL};
    pa_exec_encode(&b, PA_EXEC_TTY, 24, 80, "agent", "/", argv, NULL);
    EXPECT(exec_code(&b) == 0, "TTY 24x80 is fine");
    pa_exec_encode(&b, PA_EXEC_TTY, 0, 80, "", "/", argv, NULL);
    EXPECT(exec_code(&b) == PA_E_PROTOCOL, "TTY with 0 rows is refused");
    pa_exec_encode(&b, 0, 24, 80, "", "/", argv, NULL);
    EXPECT(exec_code(&b) == PA_E_PROTOCOL, "pipes with a size are refused");
    pa_exec_encode(&b, 2, 0, 0, "", "/", argv, NULL);
    EXPECT(exec_code(&b) == PA_E_PROTOCOL, "unknown flag bits are refused");
    const char *none[] = {NULL};
    pa_exec_encode(&b, 0, 0, 0, "", "/", none, NULL);
    EXPECT(exec_code(&b) == PA_E_LIMIT, "argc 0 is refused");
    static const char *many[PA_MAX_ARGC + 2];
    for (unsigned i = 0; i <= PA_MAX_ARGC; i++) {
        many[i] = "a";
    }
    pa_exec_encode(&b, 0, 0, 0, "", "/", many, NULL);
    EXPECT(exec_code(&b) == PA_E_LIMIT, "argc 1025 is refused");
    many[PA_MAX_ARGC] = NULL;
    pa_exec_encode(&b, 0, 0, 0, "", "/", many, many);
    EXPECT(exec_code(&b) == 0, "argc 1024 and envc 1024 are fine");
    char longuser[PA_MAX_USER + 2];
    memset(longuser, 'u', sizeof longuser - 1);
    longuser[sizeof longuser - 1] = 0;
    pa_exec_encode(&b, 0, 0, 0, longuser, "/", argv, NULL);
    EXPECT(exec_code(&b) == PA_E_LIMIT, "a 257-byte user is refused");
    pa_exec_encode(&b, 0, 0, 0, "", "/", argv, NULL);
    b.len--; /* truncated */
    EXPECT(exec_code(&b) == PA_E_PROTOCOL, "a truncated EXEC is refused");
    pa_exec_encode(&b, 0, 0, 0, "", "/", argv, NULL);
    pa_put_u8(&b, 0); /* trailing */
    EXPECT(exec_code(&b) == PA_E_PROTOCOL, "trailing bytes are refused");
    pa_exec_encode(&b, 0, 0, 0, "", "/", argv, NULL);
    b.data[b.len - 5] = 0; /* the last byte of "true" (argv[0] sits just before envc) */
    EXPECT(exec_code(&b) == PA_E_PROTOCOL, "a NUL inside argv is refused");
    /* a string length that points far past the payload */
    pa_put_u32(&b, 0);
    pa_put_u16(&b, 0);
    pa_put_u16(&b, 0);
    pa_put_u32(&b, 0xffffffffu);
    EXPECT(exec_code(&b) == PA_E_LIMIT, "a 4 GiB user length is refused");
}

static void open_rules(void) {
    struct buf b = {0};
    struct pa_open o;
    char err[256];
    pa_put_u8(&b, PA_STREAM_TCP);
    pa_put_u8(&b, 0);
    pa_put_u16(&b, 2375);
    pa_put_str(&b, "", 0);
    EXPECT(pa_open_decode(buf_head(&b), buf_used(&b), &o, err, sizeof err) == 0 && o.port == 2375 && !o.target[0],
           "tcp to the default address");
    buf_free(&b);
    pa_put_u8(&b, PA_STREAM_UNIX);
    pa_put_u8(&b, 0);
    pa_put_u16(&b, 0);
    char path[PA_MAX_UNIX_PATH + 1];
    memset(path, 'p', sizeof path);
    pa_put_str(&b, path, sizeof path);
    EXPECT(pa_open_decode(buf_head(&b), buf_used(&b), &o, err, sizeof err) == PA_E_LIMIT, "a 108-byte path");
    buf_free(&b);
    pa_put_u8(&b, 9);
    pa_put_u8(&b, 0);
    pa_put_u16(&b, 1);
    pa_put_str(&b, "x", 1);
    EXPECT(pa_open_decode(buf_head(&b), buf_used(&b), &o, err, sizeof err) == PA_E_PROTOCOL, "kind 9");
    buf_free(&b);
}

/* Decodes b as an FS_INVALIDATE payload, frees it and b; returns the code and the message in err. */
static int fsinv_code(struct buf *b, char *err, size_t errlen) {
    struct pa_fsinv q;
    err[0] = 0;
    int rc = pa_fsinv_decode(buf_head(b), buf_used(b), &q, err, errlen);
    if (rc == 0) {
        pa_fsinv_free(&q);
    }
    buf_free(b);
    return rc;
}

/* PROTOCOL.md §13: FS_INVALIDATE's payload, its bounds, and FS_INVALIDATED. */
static void fsinv_rules(void) {
    struct buf b = {0};
    char err[256];
    struct pa_fsinv q;
    EXPECT(PA_MINOR == 1 && strcmp(pa_op_name(PA_OP_FS_INVALIDATE), "FS_INVALIDATE") == 0 &&
           strcmp(pa_op_name(PA_OP_FS_INVALIDATED), "FS_INVALIDATED") == 0 && PA_OP_FS_INVALIDATE == 0x44 &&
           PA_OP_FS_INVALIDATED == 0x45, "protocol 1.1 names 0x44 and 0x45");
    struct pa_hdr h = {.op = PA_OP_FS_INVALIDATE, .chan = 1};
    EXPECT(pa_hdr_check_chan(&h, err, sizeof err) == PA_E_PROTOCOL, "FS_INVALIDATE with chan 1 is invalid");
    h.chan = 0;
    EXPECT(pa_hdr_check_chan(&h, err, sizeof err) == 0, "FS_INVALIDATE with chan 0 is valid");

    /* the encoder, byte for byte, then a good payload decoded back */
    const char *one[] = {"/a", NULL};
    pa_fsinv_encode(&b, PA_FSINV_DROP_ENTRIES, one);
    EXPECT(same(&b, "01 00 00 00  01 00 00 00  02 00 00 00  2f 61"), "FS_INVALIDATE bytes");
    buf_free(&b);
    const char *two[] = {"/workspace/a b.txt", "/", NULL};
    pa_fsinv_encode(&b, PA_FSINV_DROP_ENTRIES | PA_FSINV_OPEN_FILES, two);
    int rc = pa_fsinv_decode(buf_head(&b), buf_used(&b), &q, err, sizeof err);
    EXPECT(rc == 0 && q.flags == 3 && q.count == 2 && strcmp(q.paths[0], "/workspace/a b.txt") == 0 &&
           strcmp(q.paths[1], "/") == 0 && q.paths[2] == NULL, "a good FS_INVALIDATE decodes: %s", rc ? err : "");
    if (rc == 0) {
        pa_fsinv_free(&q);
        EXPECT(q.paths == NULL && q.arena == NULL, "pa_fsinv_free clears the pointers");
    }
    buf_free(&b);
    pa_fsinv_encode(&b, 0, NULL);
    rc = pa_fsinv_decode(buf_head(&b), buf_used(&b), &q, err, sizeof err);
    EXPECT(rc == 0 && q.count == 0 && q.paths && q.paths[0] == NULL, "no flags and no paths is fine: %s", err);
    if (rc == 0) {
        pa_fsinv_free(&q);
    }
    buf_free(&b);

    /* the bounds: 256 paths of 4096 bytes are fine, one more of either is LIMIT */
    static char longest[PA_MAX_PATH + 2];
    memset(longest, 'p', PA_MAX_PATH + 1);
    longest[0] = '/';
    longest[PA_MAX_PATH] = 0;
    const char *at_bound[] = {longest, NULL};
    pa_fsinv_encode(&b, 0, at_bound);
    EXPECT(fsinv_code(&b, err, sizeof err) == 0, "a path of 4096 bytes is fine: %s", err);
    longest[PA_MAX_PATH] = 'p';
    longest[PA_MAX_PATH + 1] = 0;
    pa_fsinv_encode(&b, 0, at_bound);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_LIMIT && strstr(err, "4096"), "a path of 4097 bytes: %s", err);
    static const char *many[PA_MAX_FSINV_PATHS + 2];
    for (unsigned i = 0; i <= PA_MAX_FSINV_PATHS; i++) {
        many[i] = "/m";
    }
    many[PA_MAX_FSINV_PATHS] = NULL;
    pa_fsinv_encode(&b, 0, many);
    EXPECT(fsinv_code(&b, err, sizeof err) == 0, "256 paths are fine: %s", err);
    many[PA_MAX_FSINV_PATHS] = "/m";
    pa_fsinv_encode(&b, 0, many);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_LIMIT && strstr(err, "257"), "count 257: %s", err);
    pa_put_u32(&b, 0);
    pa_put_u32(&b, 0xffffffffu); /* a count far past the payload, with nothing behind it */
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_LIMIT, "count 2^32-1: %s", err);
    pa_put_u32(&b, 0);
    pa_put_u32(&b, 1);
    pa_put_u32(&b, 0xffffffffu); /* a path length far past the payload */
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_LIMIT, "a 4 GiB path length: %s", err);

    /* malformed payloads and bad paths: PROTOCOL */
    pa_fsinv_encode(&b, 0, one);
    b.len = 7; /* not even flags and count */
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL, "a 7-byte payload: %s", err);
    pa_fsinv_encode(&b, 0, one);
    b.len--; /* the path runs past the end */
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL, "a truncated path: %s", err);
    pa_put_u32(&b, 0);
    pa_put_u32(&b, 2);
    pa_put_str(&b, "/a", 2); /* count 2, one path */
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL, "a missing path: %s", err);
    pa_fsinv_encode(&b, 0, one);
    pa_put_u8(&b, 0);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL && strstr(err, "trail"), "trailing bytes: %s", err);
    pa_fsinv_encode(&b, 0x4, one);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL && strstr(err, "0x4"), "unknown flag bit 2: %s", err);
    pa_fsinv_encode(&b, 0x80000000u, NULL);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL, "unknown flag bit 31: %s", err);
    const char *empty[] = {"/ok", "", NULL};
    pa_fsinv_encode(&b, 0, empty);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL && strstr(err, "path 1 is empty"), "an empty path: %s",
           err);
    const char *relative[] = {"workspace/a", NULL};
    pa_fsinv_encode(&b, 0, relative);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL && strstr(err, "'/'"), "a relative path: %s", err);
    pa_put_u32(&b, 0);
    pa_put_u32(&b, 1);
    pa_put_str(&b, "/a\0b", 4);
    EXPECT(fsinv_code(&b, err, sizeof err) == PA_E_PROTOCOL && strstr(err, "NUL"), "a path with a NUL: %s", err);

    /* FS_INVALIDATED: a whole frame, byte for byte, and back */
    struct pa_fsinv_reply r = {.refreshed = 1, .missing = 2, .failed = 3, .flags = PA_FSINV_OPEN_FILES}, d;
    pa_fsinv_reply_frame(&b, 5, &r);
    EXPECT(same(&b, "10 00 00 00  05 00 00 00  45 00 00 00"
                    "01 00 00 00  02 00 00 00  03 00 00 00  02 00 00 00"), "FS_INVALIDATED bytes");
    EXPECT(pa_fsinv_reply_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN, &d) == 0 && d.refreshed == 1 &&
           d.missing == 2 && d.failed == 3 && d.flags == PA_FSINV_OPEN_FILES, "FS_INVALIDATED decodes back");
    EXPECT(pa_fsinv_reply_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN - 1, &d) == PA_E_PROTOCOL,
           "a short FS_INVALIDATED is refused");
    buf_free(&b);
}

static void small_payloads(void) {
    uint32_t v;
    uint16_t r, c;
    uint8_t four[4] = {1, 2, 3, 4};
    EXPECT(pa_u32_decode(four, 4, &v) == 0 && v == 0x04030201, "u32 is little-endian");
    EXPECT(pa_u32_decode(four, 3, &v) == PA_E_PROTOCOL, "3 bytes are not a u32");
    EXPECT(pa_resize_decode(four, 4, &r, &c) == 0 && r == 0x0201 && c == 0x0403, "resize");
    uint8_t zero[4] = {0};
    EXPECT(pa_resize_decode(zero, 4, &r, &c) == PA_E_PROTOCOL, "resize to 0x0 is refused");
    struct buf b = {0};
    char msg[2000];
    memset(msg, 'm', sizeof msg - 1);
    msg[sizeof msg - 1] = 0;
    pa_error_frame(&b, 3, PA_ERROR_NONFATAL, PA_E_IO, 5, msg);
    struct pa_error e;
    EXPECT(pa_error_decode(buf_head(&b) + PA_HDR_LEN, buf_used(&b) - PA_HDR_LEN, &e) == 0 &&
           e.message_len == PA_MAX_ERROR_MESSAGE && e.code == PA_E_IO && e.sys_errno == 5,
           "ERROR messages are cut to 1024 bytes");
    buf_free(&b);
}

static void user_rules(void) {
    char pw[] = "/tmp/paddock-unit-passwd-XXXXXX", gr[] = "/tmp/paddock-unit-group-XXXXXX";
    int pfd = mkstemp(pw), gfd = mkstemp(gr);
    const char *p = "root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000::/home/agent:/bin/bash\nbroken:x:zz:1\n";
    const char *g = "root:x:0:\nsudo:x:27:agent,other\ndocker:x:999:agent\nagent:x:1000:\nusers:x:100:other\n";
    EXPECT(write(pfd, p, strlen(p)) == (ssize_t)strlen(p) && write(gfd, g, strlen(g)) == (ssize_t)strlen(g),
           "write fixtures");
    close(pfd);
    close(gfd);
    struct user_ids u;
    char err[256];
    EXPECT(user_resolve("agent", pw, gr, &u, err, sizeof err) == 0 && u.uid == 1000 && u.gid == 1000 &&
           u.ngroups == 3 && u.groups[1] == 27 && u.groups[2] == 999, "agent: uid 1000, groups 1000 27 999");
    EXPECT(user_resolve("1000:27", pw, gr, &u, err, sizeof err) == 0 && u.uid == 1000 && u.gid == 27 &&
           u.ngroups == 0, "numeric uid:gid");
    EXPECT(user_resolve("123", pw, gr, &u, err, sizeof err) == 0 && u.uid == 123 && u.gid == 123, "numeric uid");
    EXPECT(user_resolve("nobody", pw, gr, &u, err, sizeof err) == PA_E_USER_UNKNOWN && strstr(err, "nobody"),
           "an unknown name is refused: %s", err);
    EXPECT(user_resolve("broken", pw, gr, &u, err, sizeof err) == PA_E_USER_UNKNOWN, "a malformed line is skipped");
    EXPECT(user_resolve("1000:x", pw, gr, &u, err, sizeof err) == PA_E_USER_UNKNOWN, "1000:x is refused");
    EXPECT(user_resolve("", pw, gr, &u, err, sizeof err) == 0 && !u.set, "empty keeps the agent's user");
    unlink(pw);
    unlink(gr);
}


/* PROTOCOL.md §12: the egress header, byte for byte, for both families; other families and short buffers fail. */
static void egress_header_rules(void) {
    char out[EGRESS_HEADER_MAX];
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(443)};
    inet_pton(AF_INET, "93.184.216.34", &a4.sin_addr);
    int n = egress_header(out, sizeof out, (struct sockaddr *)&a4);
    EXPECT(n == 30 && strcmp(out, "PADDOCK-DST 93.184.216.34 443\n") == 0, "v4 header: %d '%s'", n, out);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(8443)};
    inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
    n = egress_header(out, sizeof out, (struct sockaddr *)&a6);
    EXPECT(strcmp(out, "PADDOCK-DST 2001:db8::1 8443\n") == 0 && n == (int)strlen(out), "v6 header '%s'", out);
    /* the longest IPv6 text and port still fit the bound the host enforces */
    memset(&a6.sin6_addr, 0xab, sizeof a6.sin6_addr);
    a6.sin6_port = htons(65535);
    n = egress_header(out, sizeof out, (struct sockaddr *)&a6);
    EXPECT(n > 0 && n < EGRESS_HEADER_MAX && out[n - 1] == '\n', "longest v6 header fits: %d", n);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    EXPECT(egress_header(out, sizeof out, (struct sockaddr *)&un) == -1, "AF_UNIX has no header");
    EXPECT(egress_header(out, 10, (struct sockaddr *)&a4) == -1, "short buffer refused");
}

/* RFC 1035 §4.2.2 framing: two-octet big-endian length, then the message; partial input waits for more. */
static void dns_framing_rules(void) {
    uint8_t msg[300], out[400];
    for (size_t i = 0; i < sizeof msg; i++) {
        msg[i] = (uint8_t)i;
    }
    int n = dns_frame(out, sizeof out, msg, sizeof msg);
    EXPECT(n == 302 && out[0] == 0x01 && out[1] == 0x2c && memcmp(out + 2, msg, 300) == 0, "frame of 300: %d", n);
    const uint8_t *m = NULL;
    EXPECT(dns_unframe(out, 1, &m) == 0, "one octet: need more");
    EXPECT(dns_unframe(out, 301, &m) == 0, "one octet short: need more");
    EXPECT(dns_unframe(out, 302, &m) == 300 && m == out + 2, "whole message");
    EXPECT(dns_unframe(out, 400, &m) == 300, "trailing bytes belong to the next message");
    uint8_t zero[2] = {0, 0};
    EXPECT(dns_unframe(zero, 2, &m) == -1, "length 0 is malformed");
    EXPECT(dns_frame(out, sizeof out, msg, 0) == -1, "empty message refused");
    EXPECT(dns_frame(out, 100, msg, sizeof msg) == -1, "no room refused");
    static uint8_t big[DNS_MESSAGE_MAX + 3];
    EXPECT(dns_frame(big, sizeof big, big, DNS_MESSAGE_MAX + 1) == -1, "over 65535 refused");
    EXPECT(dns_frame(big, sizeof big, big, DNS_MESSAGE_MAX) == DNS_MESSAGE_MAX + 2, "65535 fits");
}

static void nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Reads what is there now (non-blocking). */
static ssize_t drain(int fd, uint8_t *out, size_t cap) {
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, out + got, cap - got);
        if (n <= 0) {
            return n == 0 && got == 0 ? 0 : (ssize_t)got;
        }
        got += (size_t)n;
    }
}

/* The splice between a guest connection and its host stream: both ways, half-close passed on, back-pressure
 * (a side whose queue is full is not read), errors reported. Two socketpairs stand in for the two sockets. */
static void splice_rules(void) {
    int g[2], h[2]; /* g[0]: the guest program's end, g[1]: the agent's; h[0]: the agent's vsock, h[1]: the host */
    socketpair(AF_UNIX, SOCK_STREAM, 0, g);
    socketpair(AF_UNIX, SOCK_STREAM, 0, h);
    for (int i = 0; i < 2; i++) {
        nonblock(g[i]);
        nonblock(h[i]);
    }
    struct splice s;
    splice_init(&s, g[1], h[0]);
    buf_append(&s.q[0], "PADDOCK-DST 10.0.0.1 80\n", 24); /* the header goes first */
    write(g[0], "GET / HTTP/1.1\r\n\r\n", 18);
    EXPECT(splice_pump(&s) == 0, "pump: nothing ended");
    uint8_t got[1 << 20];
    ssize_t n = drain(h[1], got, sizeof got);
    EXPECT(n == 42 && memcmp(got, "PADDOCK-DST 10.0.0.1 80\nGET / HTTP/1.1\r\n\r\n", 42) == 0,
           "host got header then bytes: %zd", n);
    write(h[1], "HTTP/1.1 200 OK\r\n", 17);
    splice_pump(&s);
    n = drain(g[0], got, sizeof got);
    EXPECT(n == 17 && memcmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0, "guest got the answer: %zd", n);
    EXPECT(splice_events(&s, 0) == EPOLLIN && splice_events(&s, 1) == EPOLLIN, "idle: both read only");

    /* back-pressure: the host does not read; the agent stops reading the guest once its queue is full */
    static uint8_t chunk[65536];
    size_t sent = 0;
    for (int round = 0; round < 200; round++) {
        ssize_t w = write(g[0], chunk, sizeof chunk);
        if (w > 0) {
            sent += (size_t)w;
        }
        splice_pump(&s);
    }
    EXPECT(buf_used(&s.q[0]) <= SPLICE_QUEUE_MAX, "queue bounded: %zu", buf_used(&s.q[0]));
    EXPECT(buf_used(&s.q[0]) == SPLICE_QUEUE_MAX, "queue filled to its bound: %zu", buf_used(&s.q[0]));
    EXPECT(!(splice_events(&s, 0) & EPOLLIN) && (splice_events(&s, 1) & EPOLLOUT),
           "full: the guest side is not read; the host side waits to write");
    size_t received = 0;
    for (int round = 0; round < 10000 && received < sent; round++) {
        ssize_t r = drain(h[1], got, sizeof got);
        if (r > 0) {
            received += (size_t)r;
        }
        splice_pump(&s);
    }
    EXPECT(received == sent, "every byte arrived once the host read: %zu of %zu", received, sent);

    /* half-close: the guest shuts its sending side; the host reads EOF, and can still answer */
    shutdown(g[0], SHUT_WR);
    EXPECT(splice_pump(&s) == 0, "one direction still open");
    EXPECT(s.wr_shut[1] == 1 && read(h[1], got, 1) == 0, "host reads EOF");
    write(h[1], "bye", 3);
    splice_pump(&s);
    EXPECT(drain(g[0], got, sizeof got) == 3, "the answer after the half-close arrives");
    shutdown(h[1], SHUT_WR);
    EXPECT(splice_pump(&s) == 1, "both directions ended");
    EXPECT(read(g[0], got, 1) == 0, "guest reads EOF");
    splice_close(&s, 0);
    EXPECT(s.fd[0] == -1 && s.fd[1] == -1, "closed");
    close(g[0]);
    close(h[1]);

    /* an error on one side is reported (the caller then resets the other) */
    socketpair(AF_UNIX, SOCK_STREAM, 0, g);
    socketpair(AF_UNIX, SOCK_STREAM, 0, h);
    nonblock(g[1]);
    nonblock(h[0]);
    splice_init(&s, g[1], h[0]);
    close(h[1]); /* the host went away */
    write(g[0], "x", 1);
    EXPECT(splice_pump(&s) == -1 && s.err == EPIPE, "write to a vanished host: -1 EPIPE (%d)", s.err);
    splice_close(&s, 1);
    close(g[0]);

    /* a side still connecting is neither read nor written until it completes */
    socketpair(AF_UNIX, SOCK_STREAM, 0, g);
    socketpair(AF_UNIX, SOCK_STREAM, 0, h);
    nonblock(g[1]);
    nonblock(h[0]);
    nonblock(h[1]);
    splice_init(&s, g[1], h[0]);
    s.connecting[1] = 1;
    buf_append(&s.q[0], "PADDOCK-DST 10.0.0.1 80\n", 24);
    write(g[0], "abc", 3);
    splice_pump(&s);
    EXPECT(splice_events(&s, 1) == EPOLLOUT && drain(h[1], got, sizeof got) == 0, "connecting: waits for EPOLLOUT");
    s.connecting[1] = 0;
    splice_pump(&s);
    EXPECT(drain(h[1], got, sizeof got) == 27, "after connecting: header and bytes");
    splice_close(&s, 0);
    close(g[0]);
    close(h[1]);
}

/* fsinv.c logs through the agent's logger, which the unit binary does not link. */
void logf_agent(const char *fmt, ...) {
    (void)fmt;
}

static void mountinfo_rules(void) {
    unsigned maj = 99, min = 99;
    EXPECT(fsinv_virtiofs_mount("36 35 0:33 / /work/my\\040repo rw,relatime shared:1 - virtiofs ws0 rw\n", &maj, &min)
           && maj == 0 && min == 33, "a virtiofs mount and its device: %u:%u", maj, min);
    EXPECT(fsinv_virtiofs_mount("40 35 0:41 / /src ro,relatime - virtiofs ws1 ro\n", &maj, &min) && min == 41,
           "without optional fields");
    EXPECT(!fsinv_virtiofs_mount("22 1 8:1 / / rw,relatime - ext4 /dev/vda rw\n", &maj, &min), "ext4 is not");
    EXPECT(!fsinv_virtiofs_mount("23 22 0:5 / /mnt rw - fuse.virtiofs x rw\n", &maj, &min), "a FUSE type named alike");
    EXPECT(!fsinv_virtiofs_mount("24 22 0:6 / /virtiofs rw - tmpfs virtiofs rw\n", &maj, &min),
           "virtiofs as the mount point or source only");
    EXPECT(!fsinv_virtiofs_mount("garbage\n", &maj, &min), "a line that does not parse");
}

int main(void) {
    codec_worked_example();
    mountinfo_rules();
    header_rules();
    hello_rules();
    exec_rules();
    open_rules();
    fsinv_rules();
    small_payloads();
    user_rules();
    egress_header_rules();
    dns_framing_rules();
    splice_rules();
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
