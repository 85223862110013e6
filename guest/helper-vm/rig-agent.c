/*
 * rig-agent: runs commands inside the helper VM (the "emulated" accelerator) for clients on the host.
 *
 *   rig-agent serve    --port P --token-file F [--listen ADDR]
 *   rig-agent exec     --port P --token-file F [--host ADDR] [--cwd DIR] -- ARGV...
 *   rig-agent ping     --port P --token-file F [--host ADDR]
 *   rig-agent shutdown --port P --token-file F [--host ADDR]
 *
 * The server forks one handler per connection, so commands run side by side. The client forwards its
 * stdin, stdout and stderr byte for byte and exits with the command's exit status (128+N for signal N).
 *
 * Wire format (defined here and in PROTOCOL.md; the Java client in dev.paddock.cli.rig follows it):
 *   frame   = type:u8  length:u32 big-endian  payload[length]
 *   client -> server, in this order:
 *     'H' token       must be first; the server drops connections with a wrong token
 *     'D' cwd         optional (default "/")
 *     'A' arg         one per argv element, at least one
 *     'V' NAME=VALUE  one per environment entry (the command gets exactly these)
 *     'R' (empty)     run; or instead of D/A/V/R: 'P' ping, 'Q' shut the agent down
 *     then any number of:
 *     'I' bytes       stdin data; an empty 'I' is end of input
 *     'K' u32 signo   deliver a signal to the command's process group
 *   server -> client:
 *     'O' bytes       stdout data
 *     'E' bytes       stderr data (the agent's own error messages come this way too)
 *     'X' u32 status  last frame: exit code, 128+signal, 125 setup failure (cwd, pipes, fork),
 *                     126 not executable, 127 not found, 255 protocol or authentication error
 * A client that disconnects before 'X' gets its command's process group killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FRAME (1u << 20)   /* largest payload either side accepts */
#define CHUNK 65536            /* largest data frame we send */
#define HIGH_WATER (1u << 20)  /* stop reading a source while this much is queued for its sink */

extern char **environ;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("rig-agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(255);
}

/* ---- growable byte buffer --------------------------------------------------------------------- */

struct buf {
    unsigned char *data;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    unsigned char *p = realloc(b->data, cap);
    if (!p) die("out of memory");
    b->data = p;
    b->cap = cap;
}

static void buf_append(struct buf *b, const void *p, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_consume(struct buf *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void frame(struct buf *b, char type, const void *payload, size_t n) {
    unsigned char h[5];
    h[0] = (unsigned char)type;
    put_u32(h + 1, (uint32_t)n);
    buf_append(b, h, 5);
    if (n) buf_append(b, payload, n);
}

static void frame_u32(struct buf *b, char type, uint32_t v) {
    unsigned char p[4];
    put_u32(p, v);
    frame(b, type, p, 4);
}

/* Takes one complete frame off the front of b. Returns 1 with type/payload/len set (payload stays valid
 * until the next call that changes b, and *consumed says how much to drop), 0 when incomplete, -1 when
 * the frame is larger than allowed. */
static int next_frame(const struct buf *b, size_t off, char *type, const unsigned char **payload,
                      uint32_t *len) {
    if (b->len - off < 5) return 0;
    uint32_t n = get_u32(b->data + off + 1);
    if (n > MAX_FRAME) return -1;
    if (b->len - off < 5 + (size_t)n) return 0;
    *type = (char)b->data[off];
    *payload = b->data + off + 5;
    *len = n;
    return 1;
}

static void set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl: %s", strerror(errno));
}

/* Blocking write of the whole buffer (used before an fd goes into the poll loop, and on blocking fds). */
static int write_all(int fd, const void *p, size_t n) {
    const unsigned char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                poll(&pf, 1, -1);
                continue;
            }
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Blocking read of exactly one frame; payload is malloc'd and NUL-terminated. Returns -1 on EOF/error. */
static int read_frame_blocking(int fd, char *type, unsigned char **payload, uint32_t *len) {
    unsigned char h[5];
    size_t got = 0;
    while (got < 5) {
        ssize_t r = read(fd, h + got, 5 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    uint32_t n = get_u32(h + 1);
    if (n > MAX_FRAME) return -1;
    unsigned char *p = malloc((size_t)n + 1);
    if (!p) die("out of memory");
    got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { free(p); return -1; }
        got += (size_t)r;
    }
    p[n] = 0;
    *type = (char)h[0];
    *payload = p;
    *len = n;
    return 0;
}

static char *read_token(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) die("cannot read the token file %s: %s", path, strerror(errno));
    char line[512];
    if (!fgets(line, sizeof line, f)) die("the token file %s is empty", path);
    fclose(f);
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) die("the token file %s is empty", path);
    return strdup(line);
}

/* Constant-time comparison, so the token cannot be guessed byte by byte from timing. */
static int token_equals(const char *want, const unsigned char *got, uint32_t len) {
    size_t n = strlen(want);
    unsigned char diff = (unsigned char)(n != len);
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)want[i] ^ (i < len ? got[i] : 0);
    return diff == 0;
}

/* ---- server ----------------------------------------------------------------------------------- */

static volatile sig_atomic_t shutdown_requested;

static void on_term(int sig) {
    (void)sig;
    shutdown_requested = 1;
}

static void send_error_and_exit(int fd, uint32_t status, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n > sizeof msg - 2) n = sizeof msg - 2;
    msg[n++] = '\n';
    struct buf b = {0};
    frame(&b, 'E', "rig-agent: ", 11);
    frame(&b, 'E', msg, (size_t)n);
    frame_u32(&b, 'X', status);
    write_all(fd, b.data, b.len);
    _exit(0);
}

/* Child side of a run: never returns. */
static void exec_command(int in_r, int out_w, int err_w, const char *cwd, char **argv, char **envp) {
    setsid(); /* its own process group, so 'K' frames and disconnects reach the whole job */
    dup2(in_r, 0);
    dup2(out_w, 1);
    dup2(err_w, 2);
    for (int fd = 3; fd < 1024; fd++) close(fd);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (chdir(cwd) < 0) {
        dprintf(2, "rig-agent: cannot change to the working directory %s inside the helper VM: %s\n", cwd,
                strerror(errno));
        _exit(125);
    }
    environ = envp; /* execvp searches the command's own PATH */
    execvp(argv[0], argv);
    int e = errno;
    dprintf(2, "rig-agent: cannot run %s: %s\n", argv[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

static void relay_command(int sock, pid_t pid, int in_w, int out_r, int err_r) {
    struct buf rx = {0}, tx = {0}, in = {0};
    int stdin_eof = 0, alive = 1, exit_sent = 0;
    uint32_t status = 0;
    set_nonblock(sock);
    set_nonblock(in_w);
    set_nonblock(out_r);
    set_nonblock(err_r);
    unsigned char chunk[CHUNK];
    for (;;) {
        if (alive) {
            int st;
            pid_t r = waitpid(pid, &st, WNOHANG);
            if (r == pid) {
                alive = 0;
                status = WIFEXITED(st) ? (uint32_t)WEXITSTATUS(st) : 128u + (uint32_t)WTERMSIG(st);
            }
        }
        if (!alive && out_r < 0 && err_r < 0 && !exit_sent) {
            frame_u32(&tx, 'X', status);
            exit_sent = 1;
        }
        if (exit_sent && tx.len == 0) break;
        if (stdin_eof && in.len == 0 && in_w >= 0) {
            close(in_w);
            in_w = -1;
        }

        struct pollfd pf[4];
        int n = 0, i_sock = -1, i_in = -1, i_out = -1, i_err = -1;
        short sev = (short)((in.len < HIGH_WATER ? POLLIN : 0) | (tx.len ? POLLOUT : 0));
        pf[n] = (struct pollfd){.fd = sock, .events = sev};
        i_sock = n++;
        if (in_w >= 0 && in.len) { pf[n] = (struct pollfd){.fd = in_w, .events = POLLOUT}; i_in = n++; }
        if (out_r >= 0 && tx.len < HIGH_WATER) { pf[n] = (struct pollfd){.fd = out_r, .events = POLLIN}; i_out = n++; }
        if (err_r >= 0 && tx.len < HIGH_WATER) { pf[n] = (struct pollfd){.fd = err_r, .events = POLLIN}; i_err = n++; }
        /* With both output pipes closed only the exit is left to notice; poll for it. */
        int timeout = (alive && out_r < 0 && err_r < 0) ? 20 : (alive ? 500 : -1);
        if (poll(pf, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR) continue;
            die("poll: %s", strerror(errno));
        }

        if (pf[i_sock].revents & (POLLIN | POLLHUP | POLLERR)) {
            buf_reserve(&rx, CHUNK);
            ssize_t r = read(sock, rx.data + rx.len, CHUNK);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                /* The client is gone: nobody will read the output, so end the job. */
                if (alive) {
                    kill(-pid, SIGKILL);
                    kill(pid, SIGKILL);
                    waitpid(pid, NULL, 0);
                }
                _exit(0);
            }
            if (r > 0) rx.len += (size_t)r;
            size_t off = 0;
            char type;
            const unsigned char *p;
            uint32_t len;
            int got;
            while ((got = next_frame(&rx, off, &type, &p, &len)) == 1) {
                if (type == 'I') {
                    if (len == 0) stdin_eof = 1;
                    else if (in_w >= 0 && !stdin_eof) buf_append(&in, p, len);
                } else if (type == 'K' && len == 4 && alive) {
                    int sig = (int)get_u32(p);
                    if (kill(-pid, sig) < 0) kill(pid, sig);
                }
                off += 5 + len;
            }
            if (got < 0) send_error_and_exit(sock, 255, "oversized frame from the client");
            buf_consume(&rx, off);
        }
        if (i_in >= 0 && (pf[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in_w, in.data, in.len);
            if (w > 0) buf_consume(&in, (size_t)w);
            else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                /* The command closed its stdin (EPIPE): drop what it will never read. */
                close(in_w);
                in_w = -1;
                in.len = 0;
            }
        }
        int *fds[2] = {&out_r, &err_r};
        int idx[2] = {i_out, i_err};
        const char types[2] = {'O', 'E'};
        for (int k = 0; k < 2; k++) {
            if (idx[k] < 0 || !(pf[idx[k]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t r = read(*fds[k], chunk, sizeof chunk);
            if (r > 0) frame(&tx, types[k], chunk, (size_t)r);
            else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(*fds[k]);
                *fds[k] = -1;
            }
        }
        if (tx.len && (pf[i_sock].revents & POLLOUT)) {
            ssize_t w = write(sock, tx.data, tx.len);
            if (w > 0) buf_consume(&tx, (size_t)w);
            else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                if (alive) {
                    kill(-pid, SIGKILL);
                    waitpid(pid, NULL, 0);
                }
                _exit(0);
            }
        }
    }
    _exit(0);
}

/* One connection, in its own process. */
static void handle_connection(int sock, const char *token) {
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    char type;
    unsigned char *p;
    uint32_t len;
    if (read_frame_blocking(sock, &type, &p, &len) < 0) _exit(0);
    if (type != 'H' || !token_equals(token, p, len)) send_error_and_exit(sock, 255, "authentication failed");
    free(p);

    char *cwd = strdup("/");
    size_t argc = 0, envc = 0, argcap = 16, envcap = 64;
    char **argv = calloc(argcap, sizeof *argv), **envp = calloc(envcap, sizeof *envp);
    if (!cwd || !argv || !envp) die("out of memory");
    for (;;) {
        if (read_frame_blocking(sock, &type, &p, &len) < 0) _exit(0);
        if (memchr(p, 0, len) && (type == 'D' || type == 'A' || type == 'V'))
            send_error_and_exit(sock, 255, "a NUL byte in a '%c' frame", type);
        switch (type) {
        case 'P': {
            struct buf b = {0};
            frame_u32(&b, 'X', 0);
            write_all(sock, b.data, b.len);
            _exit(0);
        }
        case 'Q': {
            struct buf b = {0};
            frame_u32(&b, 'X', 0);
            write_all(sock, b.data, b.len);
            kill(getppid(), SIGTERM);
            _exit(0);
        }
        case 'D': free(cwd); cwd = (char *)p; continue;
        case 'A':
            if (argc + 2 > argcap) { argcap *= 2; argv = realloc(argv, argcap * sizeof *argv); }
            if (!argv) die("out of memory");
            argv[argc++] = (char *)p;
            argv[argc] = NULL;
            continue;
        case 'V':
            if (envc + 2 > envcap) { envcap *= 2; envp = realloc(envp, envcap * sizeof *envp); }
            if (!envp) die("out of memory");
            envp[envc++] = (char *)p;
            envp[envc] = NULL;
            continue;
        case 'R': free(p); break;
        default: send_error_and_exit(sock, 255, "unexpected '%c' frame before run", type);
        }
        break;
    }
    if (argc == 0) send_error_and_exit(sock, 255, "no command given");

    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        send_error_and_exit(sock, 125, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) send_error_and_exit(sock, 125, "fork: %s", strerror(errno));
    if (pid == 0) exec_command(in[0], out[1], err[1], cwd, argv, envp);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    relay_command(sock, pid, in[1], out[0], err[0]);
}

static int serve(int port, const char *listen_addr, const char *token_file) {
    char *token = read_token(token_file);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN); /* handlers are reaped by the kernel */
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept() returns EINTR */
    sigaction(SIGINT, &sa, NULL);

    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, listen_addr, &a.sin_addr) != 1) die("bad listen address %s", listen_addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind %s:%d: %s", listen_addr, port, strerror(errno));
    if (listen(s, 64) < 0) die("listen: %s", strerror(errno));
    fprintf(stderr, "rig-agent: listening on %s:%d\n", listen_addr, port);
    while (!shutdown_requested) {
        int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            die("accept: %s", strerror(errno));
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pid_t pid = fork();
        if (pid == 0) {
            close(s);
            handle_connection(c, token);
            _exit(0);
        }
        if (pid < 0) fprintf(stderr, "rig-agent: fork: %s\n", strerror(errno));
        close(c);
    }
    fprintf(stderr, "rig-agent: shutting down on request\n");
    return 0;
}

/* ---- client ----------------------------------------------------------------------------------- */

static int sigpipe_fds[2] = {-1, -1};

static void on_forward_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (write(sigpipe_fds[1], &b, 1) < 0) { /* nothing to do: the pipe is full of signals already */ }
    errno = saved;
}

static int connect_agent(const char *host, int port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("bad host address %s", host);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
        die("cannot connect to the agent at %s:%d: %s (is the helper VM running? try: paddock rig status)", host,
            port, strerror(errno));
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

/* Sends a single request frame ('P' or 'Q') and returns the status the agent answers with. */
static int simple_request(const char *host, int port, const char *token, char type) {
    int s = connect_agent(host, port);
    struct buf b = {0};
    frame(&b, 'H', token, strlen(token));
    frame(&b, type, NULL, 0);
    if (write_all(s, b.data, b.len) < 0) die("cannot send to the agent: %s", strerror(errno));
    char t;
    unsigned char *p;
    uint32_t len;
    while (read_frame_blocking(s, &t, &p, &len) == 0) {
        if (t == 'E') fwrite(p, 1, len, stderr);
        else if (t == 'X' && len == 4) return (int)get_u32(p);
        free(p);
    }
    die("the agent at %s:%d closed the connection without answering (is it still booting, or did it die?)", host,
        port);
    return 255;
}

static int client_exec(const char *host, int port, const char *token, const char *cwd, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe: %s", strerror(errno));
    struct sigaction sa = {0};
    sa.sa_handler = on_forward_signal;
    sa.sa_flags = SA_RESTART;
    int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaction(forwarded[i], &sa, NULL);

    int s = connect_agent(host, port);
    struct buf tx = {0}, rx = {0}, out = {0}, err = {0};
    frame(&tx, 'H', token, strlen(token));
    frame(&tx, 'D', cwd, strlen(cwd));
    for (char **a = argv; *a; a++) frame(&tx, 'A', *a, strlen(*a));
    for (char **e = environ; *e; e++) frame(&tx, 'V', *e, strlen(*e));
    frame(&tx, 'R', NULL, 0);
    set_nonblock(s);

    int stdin_open = fcntl(0, F_GETFD) >= 0;
    if (!stdin_open) frame(&tx, 'I', NULL, 0);
    int out_ok = 1, err_ok = 1, have_exit = 0;
    uint32_t status = 255;
    unsigned char chunk[CHUNK];
    for (;;) {
        if (have_exit && out.len == 0 && err.len == 0) break;
        struct pollfd pf[5];
        int n = 0, i_sock, i_in = -1, i_out = -1, i_err = -1, i_sig;
        short sev = (short)((!have_exit && out.len + err.len < HIGH_WATER ? POLLIN : 0) | (tx.len ? POLLOUT : 0));
        pf[n] = (struct pollfd){.fd = s, .events = sev};
        i_sock = n++;
        pf[n] = (struct pollfd){.fd = sigpipe_fds[0], .events = POLLIN};
        i_sig = n++;
        if (stdin_open && !have_exit && tx.len < HIGH_WATER) { pf[n] = (struct pollfd){.fd = 0, .events = POLLIN}; i_in = n++; }
        if (out.len) { pf[n] = (struct pollfd){.fd = 1, .events = POLLOUT}; i_out = n++; }
        if (err.len) { pf[n] = (struct pollfd){.fd = 2, .events = POLLOUT}; i_err = n++; }
        if (poll(pf, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll: %s", strerror(errno));
        }
        if (pf[i_sig].revents & POLLIN) {
            unsigned char sig;
            while (read(sigpipe_fds[0], &sig, 1) == 1) frame_u32(&tx, 'K', sig);
        }
        if (i_in >= 0 && (pf[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(0, chunk, sizeof chunk);
            if (r > 0) frame(&tx, 'I', chunk, (size_t)r);
            else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                frame(&tx, 'I', NULL, 0);
                stdin_open = 0;
            }
        }
        if (pf[i_sock].revents & (POLLIN | POLLHUP | POLLERR)) {
            buf_reserve(&rx, CHUNK);
            ssize_t r = read(s, rx.data + rx.len, CHUNK);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                if (!have_exit) {
                    write_all(1, out.data, out.len);
                    die("the connection to the helper VM's agent was lost before the command finished "
                        "(did the agent or the helper VM die? see its console log, shown by: paddock rig status)");
                }
            } else if (r > 0) {
                rx.len += (size_t)r;
            }
            size_t off = 0;
            char type;
            const unsigned char *p;
            uint32_t len;
            int got;
            while (!have_exit && (got = next_frame(&rx, off, &type, &p, &len)) == 1) {
                if (type == 'O' && out_ok) buf_append(&out, p, len);
                else if (type == 'E' && err_ok) buf_append(&err, p, len);
                else if (type == 'X' && len == 4) { status = get_u32(p); have_exit = 1; }
                off += 5 + len;
            }
            if (!have_exit && got < 0) die("oversized frame from the agent");
            buf_consume(&rx, off);
        }
        /* stdout and stderr are shared with our parent, so they stay blocking; poll said they take data. */
        if (i_out >= 0 && pf[i_out].revents) {
            ssize_t w = write(1, out.data, out.len);
            if (w > 0) buf_consume(&out, (size_t)w);
            else if (w < 0 && errno != EAGAIN && errno != EINTR) { out_ok = 0; out.len = 0; }
        }
        if (i_err >= 0 && pf[i_err].revents) {
            ssize_t w = write(2, err.data, err.len);
            if (w > 0) buf_consume(&err, (size_t)w);
            else if (w < 0 && errno != EAGAIN && errno != EINTR) { err_ok = 0; err.len = 0; }
        }
        if (tx.len && (pf[i_sock].revents & POLLOUT)) {
            ssize_t w = write(s, tx.data, tx.len);
            if (w > 0) buf_consume(&tx, (size_t)w);
            else if (w < 0 && errno != EAGAIN && errno != EINTR) tx.len = 0; /* reading side reports the loss */
        }
    }
    return status > 255 ? 255 : (int)status;
}

/* ---- command line ----------------------------------------------------------------------------- */

static void usage(void) {
    fputs("usage: rig-agent serve    --port P --token-file F [--listen ADDR]\n"
          "       rig-agent exec     --port P --token-file F [--host ADDR] [--cwd DIR] -- ARGV...\n"
          "       rig-agent ping     --port P --token-file F [--host ADDR]\n"
          "       rig-agent shutdown --port P --token-file F [--host ADDR]\n",
          stderr);
    exit(255);
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    const char *mode = argv[1], *token_file = NULL, *host = "127.0.0.1", *listen_addr = "0.0.0.0", *cwd = NULL;
    int port = 0, i = 2;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) { i++; break; }
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--token-file")) token_file = argv[++i];
        else if (!strcmp(argv[i], "--host")) host = argv[++i];
        else if (!strcmp(argv[i], "--listen")) listen_addr = argv[++i];
        else if (!strcmp(argv[i], "--cwd")) cwd = argv[++i];
        else usage();
    }
    if (port <= 0 || port > 65535 || !token_file) usage();
    if (!strcmp(mode, "serve")) return serve(port, listen_addr, token_file);
    char *token = read_token(token_file);
    if (!strcmp(mode, "ping")) return simple_request(host, port, token, 'P');
    if (!strcmp(mode, "shutdown")) return simple_request(host, port, token, 'Q');
    if (!strcmp(mode, "exec")) {
        if (i >= argc) usage();
        char here[4096];
        if (!cwd) {
            if (!getcwd(here, sizeof here)) die("getcwd: %s", strerror(errno));
            cwd = here;
        }
        return client_exec(host, port, token, cwd, argv + i);
    }
    usage();
    return 255;
}
