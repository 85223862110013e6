/* Unit tests of the frame codec (src/proto.c) and the passwd/group parser (src/user.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

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
    struct pa_hello host = {.major = 1, .minor = 0, .initial_window = 65536, .max_payload = 65536,
                            .max_streams = 1024, .software = (const uint8_t *)"host/1", .software_len = 6};
    pa_hello_encode(&b, &host);
    EXPECT(same(&b, "22 00 00 00  00 00 00 00  01 00 00 00"
                    "50 44 43 4b  01 00  00 00  00 00 00 00  00 00 01 00  00 00 01 00  00 04 00 00"
                    "06 00 00 00  68 6f 73 74  2f 31"), "host HELLO bytes");
    buf_free(&b);
    struct pa_hello agent = host;
    agent.software = (const uint8_t *)"paddock-agent/0.1.0";
    agent.software_len = 19;
    pa_hello_encode(&b, &agent);
    EXPECT(same(&b, "2f 00 00 00  00 00 00 00  01 00 00 00"
                    "50 44 43 4b  01 00  00 00  00 00 00 00  00 00 01 00  00 00 01 00  00 04 00 00"
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

int main(void) {
    codec_worked_example();
    header_rules();
    hello_rules();
    exec_rules();
    open_rules();
    small_payloads();
    user_rules();
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
