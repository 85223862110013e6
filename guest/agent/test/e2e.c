/* End-to-end tests: the real agent binary in loopback mode (--listen unix:PATH), driven through client.c.
 * Usage: e2e AGENT_BINARY. Prints one line per test and "N passed, M failed". */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static const char *agent_bin;
static char dir[64];
static char sock_path[128];
static pid_t agent_pid;
static int passed, failed;
static char why[512];

#define CHECK(cond, ...)                                                                                      \
    do {                                                                                                      \
        if (!(cond)) {                                                                                        \
            snprintf(why, sizeof why, __VA_ARGS__);                                                           \
            goto fail;                                                                                        \
        }                                                                                                     \
    } while (0)

static const char *const ENV[] = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "TERM=xterm", NULL};

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static pid_t start_agent(const char *path) {
    pid_t pid = fork();
    if (pid == 0) {
        execl(agent_bin, agent_bin, "--listen", path, (char *)NULL);
        perror("execl agent");
        _exit(127);
    }
    const char *p = path + 5;
    for (int i = 0; i < 500; i++) {
        struct stat st;
        if (stat(p, &st) == 0) {
            struct cl *c = cl_connect(p);
            if (c) {
                cl_free(c);
                return pid;
            }
        }
        sleep_ms(10);
    }
    fprintf(stderr, "e2e: the agent did not listen on %s within 5 s\n", path);
    return pid;
}

static struct cl *session(uint32_t window) {
    struct cl *c = cl_connect(sock_path);
    if (c && cl_hello(c, PA_MAJOR, window) != 0) {
        cl_free(c);
        return NULL;
    }
    return c;
}

static int out_is(struct cl *c, uint32_t id, int chan, const char *want) {
    struct buf *b = &c->st[id].out[chan];
    return buf_used(b) == strlen(want) && memcmp(buf_head(b), want, strlen(want)) == 0;
}

static const char *out_str(struct cl *c, uint32_t id, int chan) {
    static char s[256];
    struct buf *b = &c->st[id].out[chan];
    size_t n = buf_used(b) < sizeof s - 1 ? buf_used(b) : sizeof s - 1;
    memcpy(s, buf_head(b), n);
    s[n] = 0;
    return s;
}

/* ---- tests: each returns 0 on pass, fills why and returns 1 on failure ---- */

static int t_hello(void) {
    struct cl *c = session(65536);
    CHECK(c, "no HELLO reply");
    CHECK(c->agent_hello.major == 1 && c->agent_hello.initial_window == PA_AGENT_WINDOW &&
          c->agent_hello.max_streams == PA_MAX_STREAMS, "agent HELLO fields %u %u %u", c->agent_hello.major,
          c->agent_hello.initial_window, c->agent_hello.max_streams);
    CHECK(c->agent_hello.software_len > 14 && memcmp(c->agent_hello.software, "paddock-agent/", 14) == 0,
          "software string");
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_hello_bad_major(void) {
    struct cl *c = cl_connect(sock_path);
    CHECK(c, "connect");
    CHECK(cl_hello(c, 2, 65536) != 0, "major 2 was accepted");
    CHECK(c->last.op == PA_OP_ERROR && c->last.stream == 0, "expected ERROR on stream 0, got op 0x%x", c->last.op);
    struct pa_error e;
    CHECK(pa_error_decode(c->last_payload, c->last.length, &e) == 0 && e.code == PA_E_UNSUPPORTED_VERSION,
          "expected UNSUPPORTED_VERSION");
    char version[16]; /* cl_hello announces this side's minor */
    int vlen = snprintf(version, sizeof version, "2.%u", PA_MINOR);
    CHECK(memmem(e.message, e.message_len, version, (size_t)vlen), "message does not name the version %s: %.*s",
          version, (int)e.message_len, e.message);
    CHECK(cl_pump(c, 2000) == 0, "connection not closed after UNSUPPORTED_VERSION");
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int expect_conn_error(struct cl *c, uint32_t code) {
    for (int i = 0; i < 100; i++) {
        int r = cl_pump(c, 3000);
        if (r != 1) {
            snprintf(why, sizeof why, "connection ended without ERROR %s", pa_err_name(code));
            return 1;
        }
        if (c->last.op == PA_OP_ERROR && c->last.stream == 0) {
            struct pa_error e;
            if (pa_error_decode(c->last_payload, c->last.length, &e) || e.code != code) {
                snprintf(why, sizeof why, "expected ERROR %s, got code %u", pa_err_name(code), e.code);
                return 1;
            }
            if (cl_pump(c, 3000) != 0) {
                snprintf(why, sizeof why, "connection not closed after ERROR %s", pa_err_name(code));
                return 1;
            }
            return 0;
        }
    }
    snprintf(why, sizeof why, "no ERROR %s", pa_err_name(code));
    return 1;
}

static int t_first_frame_not_hello(void) {
    struct cl *c = cl_connect(sock_path);
    if (!c) {
        snprintf(why, sizeof why, "connect");
        return 1;
    }
    cl_frame(c, 1, PA_OP_HEALTH, 0, 0, NULL, 0);
    int r = expect_conn_error(c, PA_E_PROTOCOL);
    cl_free(c);
    return r;
}

static int t_sh_stdin_stdout(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    const char *argv[] = {"sh", "-c", "tr a-z A-Z", NULL};
    cl_exec(c, 1, 0, 0, 0, "", "/", argv, ENV);
    CHECK(cl_send_data(c, 1, "hello world\n", 12, 5000) == 0, "sending stdin");
    cl_frame(c, 1, PA_OP_EOF, 0, 0, NULL, 0);
    CHECK(cl_wait_done(c, 1, 5000) == 0, "no EXIT");
    CHECK(c->st[1].started && c->st[1].pid > 0, "no EXEC_STARTED");
    CHECK(c->st[1].exited && c->st[1].exit.kind == 0 && c->st[1].exit.value == 0, "exit %u/%u", c->st[1].exit.kind,
          c->st[1].exit.value);
    CHECK(out_is(c, 1, 1, "HELLO WORLD\n"), "stdout was \"%s\"", out_str(c, 1, 1));
    CHECK(c->st[1].eof[1] && c->st[1].eof[2], "EOF on stdout and stderr before EXIT");
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_exit_code_and_stderr(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    const char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    cl_exec(c, 3, 0, 0, 0, "", "/tmp", argv, ENV);
    cl_frame(c, 3, PA_OP_EOF, 0, 0, NULL, 0);
    CHECK(cl_wait_done(c, 3, 5000) == 0, "no EXIT");
    CHECK(c->st[3].exited && c->st[3].exit.kind == 0 && c->st[3].exit.value == 3, "exit %u/%u",
          c->st[3].exit.kind, c->st[3].exit.value);
    CHECK(out_is(c, 3, 1, "out\n"), "stdout \"%s\"", out_str(c, 3, 1));
    CHECK(out_is(c, 3, 2, "err\n"), "stderr \"%s\"", out_str(c, 3, 2));
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_signals(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    const char *self[] = {"sh", "-c", "kill -TERM $$", NULL};
    cl_exec(c, 1, 0, 0, 0, "", "/", self, ENV);
    CHECK(cl_wait_done(c, 1, 5000) == 0, "no EXIT for kill -TERM $$");
    CHECK(c->st[1].exit.kind == 1 && c->st[1].exit.value == SIGTERM, "self-kill: exit %u/%u", c->st[1].exit.kind,
          c->st[1].exit.value);
    const char *sleeper[] = {"sleep", "30", NULL};
    cl_exec(c, 3, 0, 0, 0, "", "/", sleeper, ENV);
    while (!c->st[3].started) {
        CHECK(cl_pump(c, 5000) == 1 && !c->st[3].error, "sleep did not start: %s", c->st[3].error_msg);
    }
    cl_u32(c, 3, PA_OP_SIGNAL, 0, SIGKILL);
    CHECK(cl_wait_done(c, 3, 5000) == 0, "no EXIT after SIGNAL 9");
    CHECK(c->st[3].exit.kind == 1 && c->st[3].exit.value == SIGKILL, "SIGNAL 9: exit %u/%u", c->st[3].exit.kind,
          c->st[3].exit.value);
    cl_exec(c, 5, 0, 0, 0, "", "/", sleeper, ENV);
    cl_u32(c, 5, PA_OP_SIGNAL, 0, 99); /* bad number: a non-fatal error, the stream lives on */
    cl_u32(c, 5, PA_OP_SIGNAL, 0, SIGTERM);
    CHECK(cl_wait_done(c, 5, 5000) == 0, "no EXIT after SIGNAL 15");
    CHECK(c->st[5].nonfatal_errors == 1 && c->st[5].error_code == PA_E_PROTOCOL, "signal 99 not refused");
    CHECK(c->st[5].exit.kind == 1 && c->st[5].exit.value == SIGTERM, "SIGNAL 15: exit %u/%u", c->st[5].exit.kind,
          c->st[5].exit.value);
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_exec_errors(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    const char *nope[] = {"/nonexistent/program", NULL};
    cl_exec(c, 1, 0, 0, 0, "", "/", nope, ENV);
    CHECK(cl_wait_done(c, 1, 5000) == 0 && c->st[1].error, "no ERROR for a missing program");
    CHECK(c->st[1].error_code == PA_E_EXEC_FAILED && c->st[1].error_errno == ENOENT, "missing program: %u/%u %s",
          c->st[1].error_code, c->st[1].error_errno, c->st[1].error_msg);
    const char *nope_path[] = {"no-such-command-paddock", NULL};
    cl_exec(c, 3, 0, 0, 0, "", "/", nope_path, ENV);
    CHECK(cl_wait_done(c, 3, 5000) == 0 && c->st[3].error_code == PA_E_EXEC_FAILED, "PATH search miss");
    const char *t[] = {"true", NULL};
    cl_exec(c, 5, 0, 0, 0, "", "/nonexistent-dir", t, ENV);
    CHECK(cl_wait_done(c, 5, 5000) == 0 && c->st[5].error_code == PA_E_CWD, "bad cwd: %u %s", c->st[5].error_code,
          c->st[5].error_msg);
    cl_exec(c, 7, 0, 0, 0, "no-such-user-paddock", "/", t, ENV);
    CHECK(cl_wait_done(c, 7, 5000) == 0 && c->st[7].error_code == PA_E_USER_UNKNOWN, "unknown user: %u",
          c->st[7].error_code);
    const char *id[] = {"sh", "-c", "echo $(id -u):$(id -g)", NULL};
    cl_exec(c, 9, 0, 0, 0, "65534:65533", "/", id, ENV);
    CHECK(cl_wait_done(c, 9, 5000) == 0, "no end for uid:gid exec");
    if (geteuid() == 0) {
        CHECK(c->st[9].exited && out_is(c, 9, 1, "65534:65533\n"), "uid:gid exec printed \"%s\" (%s)",
              out_str(c, 9, 1), c->st[9].error_msg);
    } else { /* without root, setgroups fails and the agent must say so */
        CHECK(c->st[9].error && c->st[9].error_code == PA_E_EXEC_FAILED, "non-root uid switch not refused");
    }
    /* the connection still works after all of that */
    const char *echo[] = {"echo", "ok", NULL};
    cl_exec(c, 11, 0, 0, 0, "", "/", echo, ENV);
    CHECK(cl_wait_done(c, 11, 5000) == 0 && out_is(c, 11, 1, "ok\n"), "exec after errors");
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_pty_resize(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    const char *argv[] = {"sh", "-c", "stty size; tty >/dev/null && echo is-a-tty; read x; stty size; exit 7", NULL};
    cl_exec(c, 1, PA_EXEC_TTY, 24, 80, "", "/", argv, ENV);
    CHECK(cl_wait_output(c, 1, 1, "24 80", 5000) == 0, "no \"24 80\": \"%s\"", out_str(c, 1, 1));
    CHECK(cl_wait_output(c, 1, 1, "is-a-tty", 5000) == 0, "stdin is not a tty: \"%s\"", out_str(c, 1, 1));
    uint8_t rs[4] = {40, 0, 120, 0};
    cl_frame(c, 1, PA_OP_RESIZE, 0, 0, rs, 4);
    CHECK(cl_send_data(c, 1, "go\n", 3, 5000) == 0, "stdin");
    CHECK(cl_wait_output(c, 1, 1, "40 120", 5000) == 0, "no \"40 120\" after RESIZE: \"%s\"", out_str(c, 1, 1));
    CHECK(cl_wait_done(c, 1, 5000) == 0 && c->st[1].exited, "no EXIT");
    CHECK(c->st[1].exit.kind == 0 && c->st[1].exit.value == 7, "exit %u/%u", c->st[1].exit.kind, c->st[1].exit.value);
    CHECK(buf_used(&c->st[1].out[2]) == 0, "a tty exec sent stderr");
    /* RESIZE on a pipe exec: non-fatal error */
    const char *cat[] = {"cat", NULL};
    cl_exec(c, 3, 0, 0, 0, "", "/", cat, ENV);
    cl_frame(c, 3, PA_OP_RESIZE, 0, 0, rs, 4);
    cl_frame(c, 3, PA_OP_EOF, 0, 0, NULL, 0);
    CHECK(cl_wait_done(c, 3, 5000) == 0 && c->st[3].exited && c->st[3].nonfatal_errors == 1,
          "RESIZE without TTY not refused non-fatally");
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_concurrent_100(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    for (int i = 0; i < 100; i++) {
        char n[16];
        snprintf(n, sizeof n, "%d", i);
        const char *argv[] = {"sh", "-c", "echo \"$1\"; exit $(($1 % 7))", "sh", n, NULL};
        cl_exec(c, (uint32_t)(2 * i + 1), 0, 0, 0, "", "/", argv, ENV);
        cl_frame(c, (uint32_t)(2 * i + 1), PA_OP_EOF, 0, 0, NULL, 0);
    }
    for (int i = 0; i < 100; i++) {
        uint32_t id = (uint32_t)(2 * i + 1);
        CHECK(cl_wait_done(c, id, 20000) == 0, "exec %d did not finish", i);
        char want[16];
        snprintf(want, sizeof want, "%d\n", i);
        CHECK(c->st[id].exited && out_is(c, id, 1, want), "exec %d printed \"%s\" (%s)", i, out_str(c, id, 1),
              c->st[id].error_msg);
        CHECK(c->st[id].exit.value == (uint32_t)(i % 7), "exec %d exit %u", i, c->st[id].exit.value);
    }
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_flow_out(void) {
    struct cl *c = session(4096);
    CHECK(c, "session");
    c->auto_grant = 0;
    const char *argv[] = {"head", "-c", "300000", "/dev/zero", NULL};
    cl_exec(c, 1, 0, 0, 0, "", "/", argv, ENV);
    cl_frame(c, 1, PA_OP_EOF, 0, 0, NULL, 0);
    /* with no credit granted the agent stops at 4096 bytes */
    for (int r; (r = cl_pump(c, 300)) == 1;) {
    }
    CHECK(buf_used(&c->st[1].out[1]) == 4096, "with a 4096 window the agent sent %zu bytes",
          buf_used(&c->st[1].out[1]));
    size_t granted = 4096;
    while (!c->st[1].exited) {
        if (c->st[1].window[1] == 0 && granted < 300000) {
            cl_u32(c, 1, PA_OP_WINDOW, 1, 4096);
            c->st[1].window[1] += 4096;
            granted += 4096;
        }
        CHECK(cl_pump(c, 5000) == 1, "stalled at %zu bytes", buf_used(&c->st[1].out[1]));
    }
    CHECK(c->window_violations == 0, "the agent exceeded the window %d times", c->window_violations);
    CHECK(buf_used(&c->st[1].out[1]) == 300000, "got %zu bytes", buf_used(&c->st[1].out[1]));
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_flow_in(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    const char *argv[] = {"wc", "-c", NULL};
    cl_exec(c, 1, 0, 0, 0, "", "/", argv, ENV);
    size_t total = 1000000;
    char *data = malloc(total);
    memset(data, 'x', total);
    int r = cl_send_data(c, 1, data, total, 10000);
    free(data);
    CHECK(r == 0, "the agent stopped granting stdin credit");
    cl_frame(c, 1, PA_OP_EOF, 0, 0, NULL, 0);
    CHECK(cl_wait_done(c, 1, 10000) == 0 && c->st[1].exited, "no EXIT");
    CHECK(strtoul(out_str(c, 1, 1), NULL, 10) == total, "wc -c printed \"%s\"", out_str(c, 1, 1));
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

/* An echo server in a child process: each connection gets its bytes back, then a half-close. */
static pid_t echo_server(int fd) {
    pid_t pid = fork();
    if (pid != 0) {
        close(fd);
        return pid;
    }
    for (;;) {
        int cfd = accept(fd, NULL, NULL);
        if (cfd < 0) {
            continue;
        }
        char b[4096];
        ssize_t n;
        while ((n = read(cfd, b, sizeof b)) > 0) {
            if (write(cfd, b, (size_t)n) != n) {
                break;
            }
        }
        close(cfd);
    }
}

static pid_t unix_echo(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) {
        return -1;
    }
    return echo_server(fd);
}

static pid_t tcp_echo(uint16_t *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        return -1;
    }
    *port = ntohs(a.sin_port);
    return echo_server(fd);
}

static void open_frame(struct cl *c, uint32_t id, uint8_t kind, uint16_t port, const char *target) {
    cl_stream_reset(c, id);
    struct buf b = {0};
    pa_put_u8(&b, kind);
    pa_put_u8(&b, 0);
    pa_put_u16(&b, port);
    pa_put_str(&b, target, (uint32_t)strlen(target));
    cl_frame(c, id, PA_OP_STREAM_OPEN, 0, 0, buf_head(&b), (uint32_t)buf_used(&b));
    buf_free(&b);
}

static int echo_roundtrip(struct cl *c, uint32_t id, size_t size) {
    char *data = malloc(size);
    for (size_t i = 0; i < size; i++) {
        data[i] = (char)('a' + i % 26);
    }
    while (!c->st[id].opened && !c->st[id].error) {
        if (cl_pump(c, 5000) != 1) {
            break;
        }
    }
    int ok = c->st[id].opened && cl_send_data(c, id, data, size, 10000) == 0;
    if (ok) {
        cl_frame(c, id, PA_OP_EOF, 0, 0, NULL, 0);
        ok = cl_wait_done(c, id, 10000) == 0 && c->st[id].closed && c->st[id].eof[1] &&
             buf_used(&c->st[id].out[1]) == size && memcmp(buf_head(&c->st[id].out[1]), data, size) == 0;
    }
    if (!ok) {
        snprintf(why, sizeof why, "echo over stream %u: opened %d closed %d eof %d got %zu of %zu bytes (%s)", id,
                 c->st[id].opened, c->st[id].closed, c->st[id].eof[1], buf_used(&c->st[id].out[1]), size,
                 c->st[id].error_msg);
    }
    free(data);
    return ok ? 0 : 1;
}

static int t_stream_open(void) {
    char path[160];
    snprintf(path, sizeof path, "%s/echo.sock", dir);
    uint16_t port = 0;
    pid_t ue = unix_echo(path), te = tcp_echo(&port);
    struct cl *c = session(65536);
    int rc = 1;
    if (!c || ue < 0 || te < 0) {
        snprintf(why, sizeof why, "setup failed");
        goto out;
    }
    open_frame(c, 1, PA_STREAM_UNIX, 0, path);
    if (echo_roundtrip(c, 1, 300000)) {
        goto out;
    }
    open_frame(c, 3, PA_STREAM_TCP, port, "127.0.0.1");
    if (echo_roundtrip(c, 3, 100000)) {
        goto out;
    }
    open_frame(c, 5, PA_STREAM_UNIX, 0, "/nonexistent/paddock.sock");
    if (cl_wait_done(c, 5, 5000) || c->st[5].error_code != PA_E_CONNECT_FAILED || c->st[5].error_errno != ENOENT) {
        snprintf(why, sizeof why, "connect to a missing socket: code %u errno %u", c->st[5].error_code,
                 c->st[5].error_errno);
        goto out;
    }
    /* RESET of an open stream: no reply, and the id can be used again */
    open_frame(c, 7, PA_STREAM_UNIX, 0, path);
    while (!c->st[7].opened && cl_pump(c, 5000) == 1) {
    }
    cl_frame(c, 7, PA_OP_RESET, 0, 0, NULL, 0);
    open_frame(c, 7, PA_STREAM_UNIX, 0, path);
    if (echo_roundtrip(c, 7, 10)) {
        goto out;
    }
    rc = 0;
out:
    cl_free(c);
    if (ue > 0) {
        kill(ue, SIGKILL);
        waitpid(ue, NULL, 0);
    }
    if (te > 0) {
        kill(te, SIGKILL);
        waitpid(te, NULL, 0);
    }
    return rc;
}

static int t_health(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    cl_frame(c, 1, PA_OP_HEALTH, 0, 0, NULL, 0);
    CHECK(cl_pump(c, 5000) == 1 && c->last.op == PA_OP_HEALTH_REPLY && c->last.stream == 1, "no HEALTH_REPLY");
    struct pa_health h;
    CHECK(pa_health_decode(c->last_payload, c->last.length, &h) == 0, "HEALTH_REPLY malformed");
    CHECK(h.major == 1 && !(h.flags & PA_HEALTH_PID1) && h.software_len > 14, "health fields: major %u flags %x",
          h.major, h.flags);
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

/* Pumps until stream id got a non-fatal ERROR; 0 when it did. */
static int wait_nonfatal(struct cl *c, uint32_t id) {
    while (c->st[id].nonfatal_errors == 0) {
        if (cl_pump(c, 5000) != 1) {
            return -1;
        }
    }
    return 0;
}

/* PROTOCOL.md §13 in loopback mode: the counts for existing, missing and failing paths, no dentry drop (that
 * is for the guest's init only), OPEN_FILES, the stream errors, and the ids free again after each answer. */
static int t_fs_invalidate(void) {
    char file[160], missing[160], notdir[200], link[160], toolong[320];
    snprintf(file, sizeof file, "%s/fsinv-file", dir);
    snprintf(missing, sizeof missing, "%s/fsinv-missing", dir);
    snprintf(notdir, sizeof notdir, "%s/fsinv-file/x", dir);
    snprintf(link, sizeof link, "%s/fsinv-dangling", dir);
    snprintf(toolong, sizeof toolong, "/%0300d", 0); /* one component over NAME_MAX: ENAMETOOLONG, even for root */
    FILE *f = fopen(file, "w");
    struct cl *c = session(65536);
    CHECK(f && fputs("x", f) >= 0 && fclose(f) == 0, "creating %s", file);
    CHECK(symlink(missing, link) == 0, "symlink %s", link);
    CHECK(c, "session");
    CHECK(c->agent_hello.minor == 1, "the agent announces minor %u, want 1", c->agent_hello.minor);

    /* one existing file, one missing name */
    const char *two[] = {file, missing, NULL};
    cl_fs_invalidate(c, 1, 0, two);
    CHECK(cl_wait_done(c, 1, 5000) == 0 && c->st[1].fs_done, "no FS_INVALIDATED: %s", c->st[1].error_msg);
    CHECK(c->last.op == PA_OP_FS_INVALIDATED && c->last.stream == 1 && c->last.flags == 0, "reply frame op 0x%x",
          c->last.op);
    CHECK(c->st[1].fs.refreshed == 1 && c->st[1].fs.missing == 1 && c->st[1].fs.failed == 0 && c->st[1].fs.flags == 0,
          "refreshed %u missing %u failed %u flags 0x%x, want 1 1 0 0", c->st[1].fs.refreshed, c->st[1].fs.missing,
          c->st[1].fs.failed, c->st[1].fs.flags);

    /* the same id again after the final frame; DROP_ENTRIES is skipped in loopback mode (bit 0 stays clear);
     * ENOTDIR is missing, a dangling symlink is the link itself (not followed), a too-long name failed */
    const char *five[] = {file, notdir, link, toolong, "/", NULL};
    cl_fs_invalidate(c, 1, PA_FSINV_DROP_ENTRIES, five);
    CHECK(cl_wait_done(c, 1, 5000) == 0 && c->st[1].fs_done, "no FS_INVALIDATED on the reused id: %s",
          c->st[1].error_msg);
    CHECK(c->st[1].fs.refreshed == 3 && c->st[1].fs.missing == 1 && c->st[1].fs.failed == 1 && c->st[1].fs.flags == 0,
          "DROP_ENTRIES: refreshed %u missing %u failed %u flags 0x%x, want 3 1 1 0", c->st[1].fs.refreshed,
          c->st[1].fs.missing, c->st[1].fs.failed, c->st[1].fs.flags);

    /* OPEN_FILES: at least the agent's own fds and cwd, plus the one path */
    const char *onef[] = {file, NULL};
    cl_fs_invalidate(c, 3, PA_FSINV_OPEN_FILES, onef);
    CHECK(cl_wait_done(c, 3, 10000) == 0 && c->st[3].fs_done, "no FS_INVALIDATED for OPEN_FILES: %s",
          c->st[3].error_msg);
    CHECK(c->st[3].fs.flags == PA_FSINV_OPEN_FILES && c->st[3].fs.refreshed >= 2 && c->st[3].fs.missing == 0,
          "OPEN_FILES: refreshed %u missing %u failed %u flags 0x%x", c->st[3].fs.refreshed, c->st[3].fs.missing,
          c->st[3].fs.failed, c->st[3].fs.flags);

    /* malformed: a fatal ERROR on that stream only; the connection and the id stay usable */
    cl_fs_invalidate(c, 5, 0x4, onef);
    CHECK(cl_wait_done(c, 5, 5000) == 0 && c->st[5].error && c->st[5].error_code == PA_E_PROTOCOL,
          "unknown flag: error %d code %u", c->st[5].error, c->st[5].error_code);
    const char *relative[] = {"tmp/x", NULL};
    cl_fs_invalidate(c, 7, 0, relative);
    CHECK(cl_wait_done(c, 7, 5000) == 0 && c->st[7].error && c->st[7].error_code == PA_E_PROTOCOL,
          "relative path: code %u", c->st[7].error_code);
    static const char *many[PA_MAX_FSINV_PATHS + 2];
    for (unsigned i = 0; i <= PA_MAX_FSINV_PATHS; i++) {
        many[i] = "/";
    }
    cl_fs_invalidate(c, 9, 0, many);
    CHECK(cl_wait_done(c, 9, 5000) == 0 && c->st[9].error && c->st[9].error_code == PA_E_LIMIT,
          "257 paths: code %u (%s)", c->st[9].error_code, c->st[9].error_msg);
    cl_stream_reset(c, 11);
    cl_frame(c, 11, PA_OP_FS_INVALIDATE, 0, 0, "\0\0\0", 3);
    CHECK(cl_wait_done(c, 11, 5000) == 0 && c->st[11].error_code == PA_E_PROTOCOL, "3-byte payload: code %u",
          c->st[11].error_code);
    cl_frame(c, 13, PA_OP_HEALTH, 0, 0, NULL, 0);
    CHECK(cl_pump(c, 5000) == 1 && c->last.op == PA_OP_HEALTH_REPLY && c->last.stream == 13,
          "HEALTH after the stream errors: op 0x%x", c->last.op);
    struct pa_health h;
    CHECK(pa_health_decode(c->last_payload, c->last.length, &h) == 0 && h.minor == 1, "HEALTH_REPLY minor %u",
          h.minor);
    cl_fs_invalidate(c, 5, 0, onef);
    CHECK(cl_wait_done(c, 5, 5000) == 0 && c->st[5].fs_done && c->st[5].fs.refreshed == 1,
          "the id of a refused FS_INVALIDATE is free again: %s", c->st[5].error_msg);

    /* an even id; an id an exec holds (non-fatal, the exec lives on); FS_INVALIDATED from the host */
    cl_fs_invalidate(c, 14, 0, onef);
    CHECK(cl_wait_done(c, 14, 5000) == 0 && c->st[14].error_code == PA_E_PROTOCOL, "even id: code %u",
          c->st[14].error_code);
    const char *cat[] = {"cat", NULL};
    cl_exec(c, 15, 0, 0, 0, "", "/", cat, ENV);
    while (!c->st[15].started) {
        CHECK(cl_pump(c, 5000) == 1 && !c->st[15].error, "cat did not start: %s", c->st[15].error_msg);
    }
    struct buf b = {0};
    pa_fsinv_encode(&b, 0, onef);
    cl_frame(c, 15, PA_OP_FS_INVALIDATE, 0, 0, buf_head(&b), (uint32_t)buf_used(&b));
    buf_free(&b);
    CHECK(wait_nonfatal(c, 15) == 0 && c->st[15].error_code == PA_E_STREAM_IN_USE && !c->st[15].fs_done,
          "id in use: code %u", c->st[15].error_code);
    CHECK(cl_send_data(c, 15, "still\n", 6, 5000) == 0, "stdin to the exec");
    cl_frame(c, 15, PA_OP_EOF, 0, 0, NULL, 0);
    CHECK(cl_wait_done(c, 15, 5000) == 0 && c->st[15].exited && out_is(c, 15, 1, "still\n"),
          "the exec did not survive STREAM_IN_USE: \"%s\"", out_str(c, 15, 1));
    cl_stream_reset(c, 17);
    cl_frame(c, 17, PA_OP_FS_INVALIDATED, 0, 0, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    CHECK(cl_wait_done(c, 17, 5000) == 0 && c->st[17].error_code == PA_E_PROTOCOL, "FS_INVALIDATED from the host: "
          "code %u", c->st[17].error_code);
    cl_free(c);

    /* stream 0 is the connection's: a connection error */
    c = session(65536);
    CHECK(c, "second session");
    pa_fsinv_encode(&b, 0, onef);
    cl_frame(c, 0, PA_OP_FS_INVALIDATE, 0, 0, buf_head(&b), (uint32_t)buf_used(&b));
    buf_free(&b);
    int r = expect_conn_error(c, PA_E_PROTOCOL);
    cl_free(c);
    unlink(file);
    unlink(link);
    return r;
fail:
    cl_free(c);
    unlink(file);
    unlink(link);
    return 1;
}

static int t_bad_frames(void) {
    struct cl *c = NULL;
    uint8_t hdr[PA_HDR_LEN] = {0};
    /* oversized length */
    c = session(65536);
    CHECK(c, "session");
    hdr[0] = 0x70, hdr[1] = 0x11, hdr[2] = 0x01; /* 70000 */
    hdr[4] = 1;
    hdr[8] = PA_OP_DATA;
    cl_raw(c, hdr, sizeof hdr);
    if (expect_conn_error(c, PA_E_FRAME_TOO_LARGE)) {
        goto fail;
    }
    cl_free(c);
    /* reserved byte set */
    c = session(65536);
    CHECK(c, "session");
    memset(hdr, 0, sizeof hdr);
    hdr[4] = 1, hdr[8] = PA_OP_HEALTH, hdr[11] = 1;
    cl_raw(c, hdr, sizeof hdr);
    if (expect_conn_error(c, PA_E_PROTOCOL)) {
        goto fail;
    }
    cl_free(c);
    /* bad chan */
    c = session(65536);
    CHECK(c, "session");
    cl_frame(c, 1, PA_OP_DATA, 7, 0, "x", 1);
    if (expect_conn_error(c, PA_E_PROTOCOL)) {
        goto fail;
    }
    cl_free(c);
    /* second HELLO */
    c = session(65536);
    CHECK(c, "session");
    CHECK(cl_hello(c, 1, 65536) != 0, "a second HELLO was answered");
    CHECK(c->last.op == PA_OP_ERROR && cl_pump(c, 2000) == 0, "second HELLO not refused");
    cl_free(c);
    /* unknown op, malformed EXEC, argc 0, even id, agent-only op: stream errors, the connection lives */
    c = session(65536);
    CHECK(c, "session");
    cl_frame(c, 5, 0x7e, 0, 0, "zz", 2);
    CHECK(cl_pump(c, 3000) == 1 && c->st[5].error_code == PA_E_UNKNOWN_OP, "unknown op: code %u",
          c->st[5].error_code);
    uint8_t trunc[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 's'};
    cl_frame(c, 7, PA_OP_EXEC, 0, 0, trunc, sizeof trunc);
    CHECK(cl_pump(c, 3000) == 1 && c->st[7].error_code == PA_E_PROTOCOL, "truncated EXEC: code %u",
          c->st[7].error_code);
    uint8_t argc0[20] = {0};
    cl_frame(c, 9, PA_OP_EXEC, 0, 0, argc0, sizeof argc0);
    CHECK(cl_pump(c, 3000) == 1 && c->st[9].error_code == PA_E_LIMIT, "argc 0: code %u", c->st[9].error_code);
    const char *t[] = {"true", NULL};
    cl_exec(c, 10, 0, 0, 0, "", "/", t, ENV);
    CHECK(cl_pump(c, 3000) == 1 && c->st[10].error_code == PA_E_PROTOCOL, "even id: code %u", c->st[10].error_code);
    cl_frame(c, 11, PA_OP_EXIT, 0, 0, NULL, 0);
    CHECK(cl_pump(c, 3000) == 1 && c->st[11].error_code == PA_E_PROTOCOL, "EXIT from host: code %u",
          c->st[11].error_code);
    cl_frame(c, 13, PA_OP_DNS_QUERY, 0, 0, NULL, 0);
    CHECK(cl_pump(c, 3000) == 1 && c->st[13].error_code == PA_E_NOT_IMPLEMENTED, "DNS_QUERY: code %u",
          c->st[13].error_code);
    cl_frame(c, 15, PA_OP_HEALTH, 0, 0, NULL, 0);
    CHECK(cl_pump(c, 3000) == 1 && c->last.op == PA_OP_HEALTH_REPLY, "connection dead after stream errors");
    /* DATA beyond the window: sleep never reads, the pipe holds 64 KiB, the agent holds 64 KiB more */
    const char *sl[] = {"sleep", "30", NULL};
    cl_exec(c, 17, 0, 0, 0, "", "/", sl, ENV);
    static uint8_t big[PA_MAX_PAYLOAD];
    for (int i = 0; i < 4; i++) {
        cl_frame(c, 17, PA_OP_DATA, 0, 0, big, sizeof big);
    }
    if (expect_conn_error(c, PA_E_FLOW_CONTROL)) {
        goto fail;
    }
    cl_free(c);
    /* a truncated frame, then the peer vanishes: the agent carries on */
    c = session(65536);
    CHECK(c, "session");
    memset(hdr, 0, sizeof hdr);
    hdr[0] = 100, hdr[4] = 1, hdr[8] = PA_OP_EXEC;
    cl_raw(c, hdr, sizeof hdr);
    cl_raw(c, "abc", 3);
    cl_free(c);
    c = session(65536);
    CHECK(c, "the agent no longer answers after a truncated frame");
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int count_fds(pid_t pid) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/fd", pid);
    DIR *d = opendir(p);
    if (!d) {
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Processes whose parent is pid, or that are in a session led by one of the agent's children. */
static int count_children(pid_t pid) {
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') {
            continue;
        }
        char p[64], line[512];
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) {
            continue;
        }
        if (fgets(line, sizeof line, f)) {
            char *rp = strrchr(line, ')');
            int ppid = 0;
            if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == pid) {
                n++;
            }
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

static int t_vanishing_peers(void) {
    char path[160];
    snprintf(path, sizeof path, "%s/echo2.sock", dir);
    pid_t ue = unix_echo(path);
    /* earlier tests' killed processes may still be on their way out: the baseline is the agent at rest */
    for (int i = 0; i < 500 && count_children(agent_pid) != 0; i++) {
        sleep_ms(10);
    }
    /* ...and an earlier test's connection may still be closing: take the fd count once it holds still */
    int base_fds = count_fds(agent_pid);
    for (int i = 0; i < 20; i++) {
        sleep_ms(50);
        int now = count_fds(agent_pid);
        if (now == base_fds) {
            break;
        }
        base_fds = now;
    }
    int base_kids = count_children(agent_pid);
    int rc = 1;
    if (base_kids != 0) {
        snprintf(why, sizeof why, "the agent still has %d children before the test", base_kids);
        goto out;
    }
    for (int round = 0; round < 30; round++) {
        struct cl *c = session(65536);
        if (!c) {
            snprintf(why, sizeof why, "session %d", round);
            goto out;
        }
        const char *sl[] = {"sleep", "1000", NULL};
        const char *sh[] = {"sh", NULL};
        const char *spam[] = {"sh", "-c", "while :; do echo spam; done", NULL};
        cl_exec(c, 1, 0, 0, 0, "", "/", sl, ENV);
        cl_exec(c, 3, PA_EXEC_TTY, 24, 80, "", "/", sh, ENV);
        cl_exec(c, 5, 0, 0, 0, "", "/", spam, ENV);
        open_frame(c, 7, PA_STREAM_UNIX, 0, path);
        cl_frame(c, 7, PA_OP_DATA, 0, 0, "hello", 5);
        int started = 0;
        while (started < 3 && cl_pump(c, 5000) == 1) {
            started = c->st[1].started + c->st[3].started + c->st[5].started;
        }
        if (round % 3 == 1) { /* vanish in the middle of a frame */
            uint8_t hdr[PA_HDR_LEN] = {200, 0, 0, 0, 9, 0, 0, 0, PA_OP_EXEC, 0, 0, 0};
            cl_raw(c, hdr, sizeof hdr);
        }
        cl_free(c);
    }
    int fds = -1, kids = -1;
    for (int i = 0; i < 500; i++) {
        fds = count_fds(agent_pid);
        kids = count_children(agent_pid);
        if (fds <= base_fds && kids == base_kids) {
            break;
        }
        sleep_ms(10);
    }
    /* a leak is more fds than at rest; fewer only means the baseline caught one still closing */
    if (fds > base_fds || kids != base_kids) {
        snprintf(why, sizeof why, "after 30 vanished peers the agent has %d fds (baseline %d) and %d children "
                 "(baseline %d)", fds, base_fds, kids, base_kids);
        goto out;
    }
    struct cl *c = session(65536);
    if (!c) {
        snprintf(why, sizeof why, "the agent does not answer after vanished peers");
        goto out;
    }
    cl_frame(c, 1, PA_OP_HEALTH, 0, 0, NULL, 0);
    struct pa_health h;
    if (cl_pump(c, 3000) != 1 || pa_health_decode(c->last_payload, c->last.length, &h) || h.children != 0) {
        snprintf(why, sizeof why, "health after vanished peers: children %u", h.children);
        cl_free(c);
        goto out;
    }
    cl_free(c);
    rc = 0;
out:
    if (ue > 0) {
        kill(ue, SIGKILL);
        waitpid(ue, NULL, 0);
    }
    return rc;
}

static int t_drain_after_exit(void) {
    struct cl *c = session(65536);
    CHECK(c, "session");
    /* a background child keeps stdout open: EXIT must still come, about 2 s after the exit */
    const char *argv[] = {"sh", "-c", "sleep 4 & echo bg; exit 5", NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cl_exec(c, 1, 0, 0, 0, "", "/", argv, ENV);
    CHECK(cl_wait_done(c, 1, 8000) == 0 && c->st[1].exited, "no EXIT while a descendant holds stdout");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(s > 1.5 && s < 3.9, "EXIT came after %.2f s, expected about 2", s);
    CHECK(c->st[1].exit.value == 5 && out_is(c, 1, 1, "bg\n") && c->st[1].eof[1], "exit %u out \"%s\"",
          c->st[1].exit.value, out_str(c, 1, 1));
    cl_free(c);
    return 0;
fail:
    cl_free(c);
    return 1;
}

static int t_shutdown(void) {
    char path[160];
    snprintf(path, sizeof path, "unix:%s/shutdown.sock", dir);
    pid_t pid = start_agent(path);
    struct cl *c = cl_connect(path + 5);
    int rc = 1;
    if (!c || cl_hello(c, 1, 65536)) {
        snprintf(why, sizeof why, "session with the second agent");
        goto out;
    }
    const char *sl[] = {"sleep", "1000", NULL};
    cl_exec(c, 1, 0, 0, 0, "", "/", sl, ENV);
    while (!c->st[1].started && cl_pump(c, 5000) == 1) {
    }
    pid_t sleeper = (pid_t)c->st[1].pid;
    uint8_t zero[4] = {0};
    cl_frame(c, 3, PA_OP_SHUTDOWN, 0, 0, zero, 4);
    int got = 0;
    while (cl_pump(c, 5000) == 1) {
        if (c->last.op == PA_OP_SHUTTING_DOWN && c->last.stream == 3) {
            got = 1;
        }
    }
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    if (!got || w != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(why, sizeof why, "SHUTTING_DOWN %d, agent status 0x%x", got, st);
        goto out;
    }
    pid = 0;
    if (sleeper <= 0 || kill(sleeper, 0) == 0) {
        snprintf(why, sizeof why, "the exec (pid %d) outlived the shutdown", sleeper);
        goto out;
    }
    rc = 0;
out:
    cl_free(c);
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return rc;
}


/* ---- egress (PROTOCOL.md §12) in loopback mode: --egress-test DIR,EPORT,DPORT makes DIR/egress.sock and
 * DIR/dns.sock stand in for the host's vsock ports; this test plays the host. */

static uint16_t free_port(int type) {
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static int unix_listener(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&un, sizeof un) < 0 || listen(fd, 16) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int wait_readable(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

/* Reads until n bytes or EOF or 5 s. */
static ssize_t read_n(int fd, uint8_t *out, size_t n) {
    size_t got = 0;
    while (got < n && wait_readable(fd, 5000)) {
        ssize_t r = read(fd, out + got, n - got);
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int t_egress(void) {
    char esock[128], dsock[128], spec[200], lspec[160];
    snprintf(esock, sizeof esock, "%s/egress.sock", dir);
    snprintf(dsock, sizeof dsock, "%s/dns.sock", dir);
    int host_e = unix_listener(esock), host_d = unix_listener(dsock);
    uint16_t eport = free_port(SOCK_STREAM), dport = free_port(SOCK_DGRAM);
    snprintf(spec, sizeof spec, "%s,%u,%u", dir, eport, dport);
    snprintf(lspec, sizeof lspec, "unix:%s/eg-agent.sock", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl(agent_bin, agent_bin, "--listen", lspec, "--egress-test", spec, (char *)NULL);
        _exit(127);
    }
    int rc = 1, g = -1, h = -1, u = -1, hd = -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(eport), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < 500; i++) {
        g = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(g, (struct sockaddr *)&a, sizeof a) == 0) {
            break;
        }
        close(g);
        g = -1;
        sleep_ms(10);
    }
    CHECK(host_e >= 0 && host_d >= 0 && g >= 0, "the agent did not listen on 127.0.0.1:%u", eport);
    CHECK(write(g, "ping", 4) == 4, "guest write");
    CHECK(wait_readable(host_e, 5000), "no egress stream reached the host");
    h = accept(host_e, NULL, NULL);
    char want[80];
    int wl = snprintf(want, sizeof want, "PADDOCK-DST 127.0.0.1 %u\nping", eport);
    uint8_t got[256];
    ssize_t n = read_n(h, got, (size_t)wl);
    CHECK(n == wl && memcmp(got, want, (size_t)wl) == 0, "host got %zd bytes, want '%s'", n, want);
    CHECK(write(h, "pong", 4) == 4, "host write");
    n = read_n(g, got, 4);
    CHECK(n == 4 && memcmp(got, "pong", 4) == 0, "guest got %zd bytes", n);
    shutdown(g, SHUT_WR);
    CHECK(wait_readable(h, 5000) && read(h, got, 1) == 0, "host did not read the guest's EOF");
    close(h);
    h = -1;
    CHECK(wait_readable(g, 5000) && read(g, got, 1) == 0, "guest did not read the host's EOF");
    close(g);
    g = -1;

    /* a host that resets: the guest program sees the connection end */
    g = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(g, (struct sockaddr *)&a, sizeof a) == 0, "second connect");
    CHECK(wait_readable(host_e, 5000), "no second egress stream");
    h = accept(host_e, NULL, NULL);
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(h, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(h);
    h = -1;
    CHECK(wait_readable(g, 5000), "guest not told of the host's end");
    close(g);
    g = -1;

    /* DNS over UDP: the query reaches the host framed; the framed answer comes back as a datagram */
    u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in da = {.sin_family = AF_INET, .sin_port = htons(dport), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint8_t query[12] = {0x12, 0x34, 0x01, 0x00};
    CHECK(sendto(u, query, sizeof query, 0, (struct sockaddr *)&da, sizeof da) == sizeof query, "sendto stub");
    CHECK(wait_readable(host_d, 5000), "no DNS stream reached the host");
    hd = accept(host_d, NULL, NULL);
    n = read_n(hd, got, 14);
    CHECK(n == 14 && got[0] == 0 && got[1] == 12 && memcmp(got + 2, query, 12) == 0, "framed query: %zd", n);
    uint8_t answer[14] = {0, 12, 0x12, 0x34, 0x81, 0x83};
    CHECK(write(hd, answer, sizeof answer) == sizeof answer, "host answer");
    CHECK(wait_readable(u, 5000), "no answer datagram");
    n = recv(u, got, sizeof got, 0);
    CHECK(n == 12 && memcmp(got, answer + 2, 12) == 0, "answer datagram: %zd", n);

    /* DNS over TCP is spliced as it is (already framed) */
    g = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(g, (struct sockaddr *)&da, sizeof da) == 0, "tcp connect to the stub");
    CHECK(write(g, answer, 14) == 14, "tcp query");
    CHECK(wait_readable(host_d, 5000), "no DNS TCP stream");
    close(hd);
    hd = accept(host_d, NULL, NULL);
    n = read_n(hd, got, 14);
    CHECK(n == 14 && memcmp(got, answer, 14) == 0, "tcp query spliced unchanged: %zd", n);
    rc = 0;
fail:
    for (int *fd = (int[]){g, h, u, hd, host_e, host_d}, i = 0; i < 6; i++) {
        if (fd[i] >= 0) {
            close(fd[i]);
        }
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return rc;
}

static void run(const char *name, int (*fn)(void)) {
    why[0] = 0;
    int r = fn();
    if (r == 0 && agent_pid > 0 && kill(agent_pid, 0) != 0) {
        r = 1;
        snprintf(why, sizeof why, "the agent died");
    }
    if (r == 0) {
        passed++;
        printf("PASS %s\n", name);
    } else {
        failed++;
        printf("FAIL %s: %s\n", name, why);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: e2e AGENT_BINARY\n");
        return 2;
    }
    agent_bin = argv[1];
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/paddock-agent-e2e-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    char spec[160];
    snprintf(spec, sizeof spec, "unix:%s/agent.sock", dir);
    snprintf(sock_path, sizeof sock_path, "%s/agent.sock", dir);
    agent_pid = start_agent(spec);
    run("hello", t_hello);
    run("hello with an unknown major version", t_hello_bad_major);
    run("first frame not HELLO", t_first_frame_not_hello);
    run("sh -c with stdin and stdout", t_sh_stdin_stdout);
    run("exit code and stderr", t_exit_code_and_stderr);
    run("signals: self-kill, SIGNAL 9, SIGNAL 15, bad signo", t_signals);
    run("exec errors: missing program, cwd, user; uid:gid", t_exec_errors);
    run("pty session with resize", t_pty_resize);
    run("100 concurrent execs", t_concurrent_100);
    run("flow control agent -> host (4096 window)", t_flow_out);
    run("flow control host -> agent (1 MB stdin)", t_flow_in);
    run("stream open: unix and tcp echo, connect failure, reset", t_stream_open);
    run("health", t_health);
    run("fs invalidate: counts, no drop in loopback, open files, stream errors, id reuse", t_fs_invalidate);
    run("bad frames", t_bad_frames);
    run("vanishing peers: no fd or process leak", t_vanishing_peers);
    run("exit while a descendant holds stdout", t_drain_after_exit);
    run("egress: redirected TCP with its header, resets, DNS over UDP and TCP", t_egress);
    run("shutdown kills execs and exits 0", t_shutdown);
    kill(agent_pid, SIGTERM);
    int st = 0;
    waitpid(agent_pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        passed++;
        printf("PASS SIGTERM stops the agent with status 0\n");
    } else {
        failed++;
        printf("FAIL SIGTERM stops the agent with status 0: status 0x%x\n", st);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "e2e: could not remove %s\n", dir);
    }
    printf("e2e: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
