/* paddock-agent: the guest agent. PID 1 of a sandbox (vsock port 1024), or an ordinary host process on a
 * unix socket for tests (--listen unix:PATH). One epoll loop, non-blocking everywhere. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* <linux/vm_sockets.h> (not in musl's headers): AF_VSOCK address, stable UAPI. */
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define VMADDR_CID_ANY 0xffffffffu
struct sockaddr_vm_uapi {
    sa_family_t svm_family;
    unsigned short svm_reserved1;
    unsigned int svm_port;
    unsigned int svm_cid;
    unsigned char svm_flags;
    unsigned char svm_zero[sizeof(struct sockaddr) - sizeof(sa_family_t) - sizeof(unsigned short) -
                           sizeof(unsigned int) - sizeof(unsigned int) - 1];
};

struct agent g_agent;
static char unix_path[108];

int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void logf_agent(const char *fmt, ...) {
    if (!g_agent.log_verbose) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "paddock-agent: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void ep_set(struct ep *e, uint32_t events) {
    if (e->fd < 0 || events == e->events) {
        return;
    }
    struct epoll_event ev = {.events = events, .data.ptr = e};
    int op = events == 0 ? EPOLL_CTL_DEL : e->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(g_agent.epfd, op, e->fd, &ev) < 0) {
        fprintf(stderr, "paddock-agent: epoll_ctl(%d) on fd %d failed: %s\n", op, e->fd, strerror(errno));
        abort();
    }
    e->events = events;
}

void ep_forget(struct ep *e) {
    if (e->fd >= 0 && e->events) {
        epoll_ctl(g_agent.epfd, EPOLL_CTL_DEL, e->fd, NULL);
    }
    e->events = 0;
}

static int listen_on(const char *spec) {
    int fd;
    if (strncmp(spec, "vsock:", 6) == 0) {
        char *end;
        unsigned long port = strtoul(spec + 6, &end, 10);
        if (*end || port == 0 || port > 0xffffffffUL) {
            init_fatal("--listen %s: the vsock port must be a number, e.g. vsock:1024", spec);
        }
        fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            init_fatal("socket(AF_VSOCK) failed: %s: is the vmw_vsock_virtio_transport module loaded?",
                       strerror(errno));
        }
        struct sockaddr_vm_uapi a;
        memset(&a, 0, sizeof a);
        a.svm_family = AF_VSOCK;
        a.svm_port = (unsigned int)port;
        a.svm_cid = VMADDR_CID_ANY;
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            init_fatal("bind vsock port %lu failed: %s", port, strerror(errno));
        }
    } else if (strncmp(spec, "unix:", 5) == 0) {
        const char *path = spec + 5;
        if (!*path || strlen(path) >= sizeof unix_path) {
            init_fatal("--listen %s: the unix socket path must have 1..107 bytes", spec);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            init_fatal("socket(AF_UNIX) failed: %s", strerror(errno));
        }
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strcpy(a.sun_path, path);
        unlink(path);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            init_fatal("bind unix socket %s failed: %s", path, strerror(errno));
        }
        strcpy(unix_path, path);
    } else {
        init_fatal("--listen %s: expected vsock:PORT or unix:PATH", spec);
    }
    if (listen(fd, 128) < 0) {
        init_fatal("listen on %s failed: %s", spec, strerror(errno));
    }
    return fd;
}

/* Orderly stop (PROTOCOL.md SHUTDOWN, or SIGTERM): children get SIGTERM, then SIGKILL after 2 s; then the
 * guest powers off (PID 1) or the process exits 0 (loopback). Never returns. */
void agent_begin_shutdown(const char *why) {
    fprintf(stderr, "paddock-agent: shutting down (%s)\n", why);
    g_agent.shutting_down = 1;
    children_kill_all(SIGTERM);
    if (g_agent.pid1) {
        kill(-1, SIGTERM); /* every process but PID 1 */
    }
    int64_t deadline = now_ms() + 2000;
    struct timespec ts = {0, 20 * 1000 * 1000};
    while (now_ms() < deadline) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p < 0 && errno == ECHILD) {
            break;
        }
        if (p <= 0) {
            nanosleep(&ts, NULL);
        }
    }
    children_kill_all(SIGKILL);
    if (g_agent.pid1) {
        kill(-1, SIGKILL);
    }
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    conn_close_all();
    if (g_agent.pid1) {
        init_finish_shutdown();
    }
    if (unix_path[0]) {
        unlink(unix_path);
    }
    exit(0);
}

static void on_signals(int sfd) {
    struct signalfd_siginfo si;
    int chld = 0;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
            chld = 1;
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGPWR) {
            agent_begin_shutdown(si.ssi_signo == SIGTERM ? "SIGTERM" : si.ssi_signo == SIGINT ? "SIGINT" : "SIGPWR");
        }
    }
    if (chld) {
        children_reap();
    }
}

static void usage(void) {
    fprintf(stderr, "usage: paddock-agent [--listen vsock:PORT|unix:PATH] [--init] [--verbose] [--egress-test DIR,EPORT,DPORT]\n"
            "  PID 1 (or --init): guest init duties, then listen on vsock:1024 unless --listen says otherwise.\n"
            "  Otherwise --listen unix:PATH is required (loopback mode, for tests).\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *listen_spec = NULL;
    const char *egress_test = NULL; /* DIR,EGRESS_PORT,DNS_PORT */
    g_agent.started_ms = now_ms();
    g_agent.pid1 = getpid() == 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen_spec = argv[++i];
        } else if (strcmp(argv[i], "--init") == 0) {
            g_agent.pid1 = 1;
        } else if (strcmp(argv[i], "--egress-test") == 0 && i + 1 < argc) {
            egress_test = argv[++i];
        } else if (strcmp(argv[i], "--verbose") == 0) {
            g_agent.log_verbose = 1;
        } else if (!g_agent.pid1) {
            usage();
        }
        /* as PID 1, unknown arguments come from the kernel cmdline and are ignored */
    }
    if (!listen_spec) {
        if (!g_agent.pid1) {
            usage();
        }
        listen_spec = "vsock:1024";
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGPWR);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (g_agent.pid1) {
        init_early();
    }
    g_agent.epfd = epoll_create1(EPOLL_CLOEXEC);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (g_agent.epfd < 0 || sfd < 0) {
        init_fatal("epoll_create1/signalfd failed: %s", strerror(errno));
    }
    g_agent.signal_ep = (struct ep){.kind = EP_SIGNAL, .fd = sfd};
    ep_set(&g_agent.signal_ep, EPOLLIN);
    g_agent.listen_ep = (struct ep){.kind = EP_LISTEN, .fd = listen_on(listen_spec)};
    ep_set(&g_agent.listen_ep, EPOLLIN);
    if (g_agent.pid1) {
        egress_setup(); /* before dockerd, so that its first pull already goes through the host */
        init_start_dockerd();
    } else if (egress_test) {
        static char dir[256];
        int eport = 0, dport = 0;
        if (sscanf(egress_test, "%255[^,],%d,%d", dir, &eport, &dport) != 3 || eport <= 0 || dport <= 0) {
            init_fatal("--egress-test %s: expected DIR,EGRESS_PORT,DNS_PORT", egress_test);
        }
        egress_test_mode(dir);
        if (egress_listen(eport, dport) < 0) {
            init_fatal("--egress-test %s: cannot listen", egress_test);
        }
    }
    init_ready_line();
    struct epoll_event evs[64];
    for (;;) {
        int64_t next = conns_next_deadline();
        int64_t enext = egress_next_deadline();
        if (enext && (!next || enext < next)) {
            next = enext;
        }
        int timeout = -1;
        if (next) {
            int64_t d = next - now_ms();
            timeout = d < 0 ? 0 : d > 60000 ? 60000 : (int)d + 1;
        }
        int n = epoll_wait(g_agent.epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            init_fatal("epoll_wait failed: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            struct ep *e = evs[i].data.ptr;
            if (e->fd < 0 || e->events == 0) {
                continue; /* closed or unregistered earlier in this batch */
            }
            switch (e->kind) {
            case EP_LISTEN:
                conn_accept(e->fd);
                break;
            case EP_SIGNAL:
                on_signals(e->fd);
                break;
            case EP_CONN:
                conn_event(e->c, evs[i].events);
                break;
            case EP_STREAM:
                stream_event(e, evs[i].events);
                break;
            case EP_EGRESS:
                egress_event(e, evs[i].events);
                break;
            }
        }
        conns_tick(now_ms());
        egress_tick(now_ms());
        conns_reap_dead();
        egress_reap();
    }
}
