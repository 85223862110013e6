/*
 * Host-side test of rig-agent: starts `rig-agent serve` on 127.0.0.1 and drives it with `rig-agent exec`,
 * both the real binary, as the helper VM and its clients use them.
 *
 *   rig-agent-test PATH/TO/rig-agent
 *
 * Exit status 0 when every check passes; each failure is printed with what was expected and what came.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *agent;
static char port_s[16], token_file[] = "/tmp/rig-agent-test-token-XXXXXX", bad_token_file[] = "/tmp/rig-agent-test-bad-XXXXXX";
static int failures, checks;

struct result {
    unsigned char *out, *err;
    size_t out_len, err_len;
    int status; /* shell-style: exit code, or 128+signal if the client itself died of a signal */
};

static void check(int ok, const char *what, const char *detail) {
    checks++;
    if (ok) {
        printf("ok   %s\n", what);
    } else {
        failures++;
        printf("FAIL %s: %s\n", what, detail);
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void append(unsigned char **b, size_t *len, const unsigned char *p, size_t n) {
    *b = realloc(*b, *len + n + 1);
    if (!*b) abort();
    memcpy(*b + *len, p, n);
    *len += n;
    (*b)[*len] = 0;
}

/* Runs argv with the given stdin bytes, collecting stdout and stderr; signal_after > 0 sends SIGTERM to
 * the client after that many seconds. */
static struct result run(char *const argv[], const unsigned char *in, size_t in_len, double signal_after) {
    int pin[2], pout[2], perr[2];
    if (pipe(pin) || pipe(pout) || pipe(perr)) abort();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[0]); close(pin[1]); close(pout[0]); close(pout[1]); close(perr[0]); close(perr[1]);
        execv(argv[0], argv);
        _exit(99);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    struct result r = {0};
    size_t sent = 0;
    int in_fd = pin[1], out_fd = pout[0], err_fd = perr[0], signalled = 0;
    if (in_len == 0) { close(in_fd); in_fd = -1; }
    double start = now();
    while (out_fd >= 0 || err_fd >= 0) {
        struct pollfd pf[3] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN},
                               {.fd = in_fd, .events = POLLOUT}};
        poll(pf, 3, 50);
        if (signal_after > 0 && !signalled && now() - start > signal_after) {
            kill(pid, SIGTERM);
            signalled = 1;
        }
        unsigned char buf[65536];
        if (out_fd >= 0 && pf[0].revents) {
            ssize_t n = read(out_fd, buf, sizeof buf);
            if (n > 0) append(&r.out, &r.out_len, buf, (size_t)n);
            else { close(out_fd); out_fd = -1; }
        }
        if (err_fd >= 0 && pf[1].revents) {
            ssize_t n = read(err_fd, buf, sizeof buf);
            if (n > 0) append(&r.err, &r.err_len, buf, (size_t)n);
            else { close(err_fd); err_fd = -1; }
        }
        if (in_fd >= 0 && pf[2].revents) {
            ssize_t n = write(in_fd, in + sent, in_len - sent);
            if (n > 0) sent += (size_t)n;
            if ((n < 0 && errno != EAGAIN) || sent == in_len) { close(in_fd); in_fd = -1; }
        }
    }
    if (in_fd >= 0) close(in_fd);
    int st;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (!r.out) append(&r.out, &r.out_len, (const unsigned char *)"", 0);
    if (!r.err) append(&r.err, &r.err_len, (const unsigned char *)"", 0);
    return r;
}

/* rig-agent exec [--cwd DIR] -- sh -c SCRIPT */
static struct result sh(const char *cwd, const char *script, const unsigned char *in, size_t in_len) {
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)agent;
    argv[n++] = "exec";
    argv[n++] = "--port"; argv[n++] = port_s;
    argv[n++] = "--token-file"; argv[n++] = token_file;
    if (cwd) { argv[n++] = "--cwd"; argv[n++] = (char *)cwd; }
    argv[n++] = "--";
    argv[n++] = "/bin/sh"; argv[n++] = "-c"; argv[n++] = (char *)script;
    argv[n] = NULL;
    return run(argv, in, in_len, 0);
}

static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &l)) abort();
    int port = ntohs(a.sin_port);
    close(s);
    return port;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/rig-agent\n", argv[0]);
        return 2;
    }
    agent = argv[1];
    signal(SIGPIPE, SIG_IGN);
    int tf = mkstemp(token_file), bf = mkstemp(bad_token_file);
    if (tf < 0 || bf < 0) abort();
    dprintf(tf, "test-token-%d\n", getpid());
    dprintf(bf, "wrong-token\n");
    close(tf);
    close(bf);
    snprintf(port_s, sizeof port_s, "%d", free_port());

    pid_t server = fork();
    if (server == 0) {
        execl(agent, agent, "serve", "--listen", "127.0.0.1", "--port", port_s, "--token-file", token_file, (char *)NULL);
        _exit(99);
    }
    /* Wait until it answers. */
    char *ping[] = {(char *)agent, "ping", "--port", port_s, "--token-file", token_file, NULL};
    struct result r = {0};
    for (int i = 0; i < 100; i++) {
        r = run(ping, NULL, 0, 0);
        if (r.status == 0) break;
        usleep(50000);
    }
    check(r.status == 0, "ping answers", (char *)r.err);

    /* Binary stdin round trip through cat: every byte value, more than the relay's buffers hold. */
    size_t big = 5u << 20;
    unsigned char *data = malloc(big);
    for (size_t i = 0; i < big; i++) data[i] = (unsigned char)((i * 2654435761u) >> 13 ^ i);
    for (int v = 0; v < 256; v++) data[v] = (unsigned char)v;
    r = sh(NULL, "cat", data, big);
    check(r.status == 0 && r.out_len == big && memcmp(r.out, data, big) == 0, "5 MiB of binary stdin comes back byte for byte",
          "output differs from input");

    /* End of input reaches the command: wc sees exactly what was sent, then exits. */
    r = sh(NULL, "wc -c", data, 123457);
    check(r.status == 0 && atol((char *)r.out) == 123457, "stdin EOF is delivered (wc -c counts 123457)", (char *)r.out);

    r = sh(NULL, "exit 7", NULL, 0);
    check(r.status == 7, "exit code 7 propagates", (char *)r.err);

    r = sh(NULL, "kill -TERM $$", NULL, 0);
    check(r.status == 128 + SIGTERM, "death by SIGTERM gives 143", (char *)r.err);

    r = sh(NULL, "printf to-stdout; printf to-stderr >&2; exit 3", NULL, 0);
    check(r.status == 3 && strcmp((char *)r.out, "to-stdout") == 0 && strcmp((char *)r.err, "to-stderr") == 0,
          "stdout and stderr stay separate", (char *)r.err);

    setenv("RIG_AGENT_TEST_VAR", "value with spaces", 1);
    r = sh("/tmp", "printf '%s|%s' \"$(pwd)\" \"$RIG_AGENT_TEST_VAR\"", NULL, 0);
    check(r.status == 0 && strcmp((char *)r.out, "/tmp|value with spaces") == 0, "cwd and environment reach the command",
          (char *)r.out);

    r = sh("/nonexistent-dir", "true", NULL, 0);
    check(r.status == 125 && strstr((char *)r.err, "/nonexistent-dir"), "a missing cwd fails with 125 and names it",
          (char *)r.err);

    char *missing[] = {(char *)agent, "exec", "--port", port_s, "--token-file", token_file, "--", "/no/such/program", NULL};
    r = run(missing, NULL, 0, 0);
    check(r.status == 127 && strstr((char *)r.err, "/no/such/program"), "a missing program fails with 127", (char *)r.err);

    char *bad[] = {(char *)agent, "exec", "--port", port_s, "--token-file", bad_token_file, "--", "/bin/true", NULL};
    r = run(bad, NULL, 0, 0);
    check(r.status == 255 && strstr((char *)r.err, "authentication failed"), "a wrong token is refused", (char *)r.err);

    /* Two commands at once: each sleeps 1 s; together they must take well under 2 s. */
    double t0 = now();
    pid_t a = fork();
    if (a == 0) _exit(sh(NULL, "sleep 1", NULL, 0).status);
    r = sh(NULL, "sleep 1; printf second", NULL, 0);
    int st;
    waitpid(a, &st, 0);
    double took = now() - t0;
    char detail[128];
    snprintf(detail, sizeof detail, "took %.2f s", took);
    check(r.status == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && took < 1.8, "two commands run side by side", detail);

    /* A signal to the client reaches the remote command's process group. */
    char *sleeper[] = {(char *)agent, "exec", "--port", port_s, "--token-file", token_file, "--", "/bin/sh", "-c",
                       "sleep 30", NULL};
    t0 = now();
    r = run(sleeper, NULL, 0, 0.5);
    took = now() - t0;
    snprintf(detail, sizeof detail, "status %d after %.2f s", r.status, took);
    check(r.status == 128 + SIGTERM && took < 5, "SIGTERM to the client ends the remote command", detail);

    char *down[] = {(char *)agent, "shutdown", "--port", port_s, "--token-file", token_file, NULL};
    r = run(down, NULL, 0, 0);
    int sst = -1;
    for (int i = 0; i < 100 && waitpid(server, &sst, WNOHANG) == 0; i++) usleep(50000);
    check(r.status == 0 && WIFEXITED(sst) && WEXITSTATUS(sst) == 0, "shutdown ends the server with status 0", (char *)r.err);
    if (waitpid(server, NULL, WNOHANG) == 0) kill(server, SIGKILL);

    unlink(token_file);
    unlink(bad_token_file);
    printf("rig-agent-test: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
