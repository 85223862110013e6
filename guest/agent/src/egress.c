/* Guest egress: see egress.h, guest/PROTOCOL.md §12 and docs/egress.md ("The guest side"). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "egress_wire.h"
#include "splice.h"

/* <linux/vm_sockets.h> is not in musl's headers: the stable UAPI layout. */
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
struct sockaddr_vm_egress {
    sa_family_t svm_family;
    unsigned short svm_reserved1;
    unsigned int svm_port;
    unsigned int svm_cid;
    unsigned char svm_flags;
    unsigned char svm_zero[3];
};
/* <linux/netfilter_ipv6/ip6_tables.h>: IP6T_SO_ORIGINAL_DST, the same number as SO_ORIGINAL_DST at SOL_IPV6. */
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* <linux/netfilter_ipv4.h> */
#endif

#define EGRESS_IF "paddock0"
#define EGRESS_ADDR4 "198.18.0.1/32"     /* RFC 2544 benchmarking block: unlikely to clash with docker's pools */
#define EGRESS_ADDR6 "fd70:6464:636b::1/128"
#define NFT_RULES "/run/paddock/egress.nft"
#define MAX_PAIRS 1024          /* GUEST-CONTROLLED: concurrent redirected connections; more are reset */
#define MAX_DNS_INFLIGHT 256    /* GUEST-CONTROLLED: UDP queries waiting for the host; more are dropped */
#define DNS_TIMEOUT_MS 5000     /* a UDP query the host has not answered by then is dropped (the client retries) */

enum { SUB_EGRESS_LISTEN, SUB_DNS_UDP, SUB_DNS_TCP_LISTEN, SUB_PAIR_GUEST, SUB_PAIR_HOST, SUB_DNS_QUERY };

struct pair {
    struct splice sp;
    struct ep ep[2];
    struct pair *next;
    int dead;
};

struct dnsq {
    struct ep ep;
    int udp_fd;
    struct sockaddr_storage client;
    socklen_t client_len;
    struct buf out;  /* the framed query, not yet written */
    struct buf in;   /* the framed answer, so far */
    int connecting;
    int64_t deadline;
    struct dnsq *next;
    int dead;
};

static struct {
    struct ep listeners[6];
    int nlisteners;
    struct pair *pairs;
    int npairs;
    struct dnsq *queries;
    int nqueries;
    const char *test_dir; /* loopback tests: unix sockets DIR/egress.sock and DIR/dns.sock stand in for the host */
} eg;

/* A non-blocking stream to the host's egress or DNS port: vsock CID 2, or a unix socket in loopback tests. */
static int host_connect(unsigned port, int *connecting) {
    int fd;
    int r;
    if (eg.test_dir) {
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        snprintf(un.sun_path, sizeof un.sun_path, "%s/%s", eg.test_dir,
                 port == EGRESS_VSOCK_PORT ? "egress.sock" : "dns.sock");
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        r = connect(fd, (struct sockaddr *)&un, sizeof un);
    } else {
        struct sockaddr_vm_egress a;
        memset(&a, 0, sizeof a);
        a.svm_family = AF_VSOCK;
        a.svm_port = port;
        a.svm_cid = EGRESS_HOST_CID;
        fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        r = connect(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (r < 0 && errno != EINPROGRESS && errno != EAGAIN) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *connecting = r < 0;
    return fd;
}

static int connect_finished(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return errno;
    }
    return err;
}

/* ---- redirected TCP connections ---- */

static void pair_arm(struct pair *p) {
    for (int i = 0; i < 2; i++) {
        /* 0 unregisters: a side with nothing to wait for (its EOF read, nothing to write) stays out of the set */
        ep_set(&p->ep[i], splice_events(&p->sp, i));
    }
}

static void pair_end(struct pair *p, int abortive) {
    ep_forget(&p->ep[0]);
    ep_forget(&p->ep[1]);
    splice_close(&p->sp, abortive);
    p->ep[0].fd = p->ep[1].fd = -1;
    p->dead = 1;
}

static void pair_pump(struct pair *p) {
    int r = splice_pump(&p->sp);
    if (r != 0) {
        if (r < 0) {
            logf_agent("egress connection ended with an error: %s", strerror(p->sp.err));
        }
        pair_end(p, r < 0);
        return;
    }
    pair_arm(p);
}

static int original_destination(int fd, struct sockaddr_storage *dst) {
    socklen_t len = sizeof *dst;
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0) {
        return -1;
    }
    int level = local.ss_family == AF_INET6 ? SOL_IPV6 : SOL_IP;
    int opt = local.ss_family == AF_INET6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST;
    if (getsockopt(fd, level, opt, dst, &len) == 0) {
        return 0;
    }
    if (eg.test_dir) { /* loopback tests: nothing was redirected, the listener's own address stands in */
        memcpy(dst, &local, sizeof local);
        return 0;
    }
    return -1;
}

static void accept_egress(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
                fprintf(stderr, "paddock-agent: egress accept failed: %s\n", strerror(errno));
            }
            return;
        }
        struct sockaddr_storage dst;
        char header[EGRESS_HEADER_MAX];
        int hlen = -1;
        if (original_destination(fd, &dst) == 0) {
            hlen = egress_header(header, sizeof header, (struct sockaddr *)&dst);
        } else {
            logf_agent("egress: SO_ORIGINAL_DST failed: %s; resetting the connection", strerror(errno));
        }
        int connecting = 0;
        int hfd = hlen < 0 || eg.npairs >= MAX_PAIRS ? -1 : host_connect(EGRESS_VSOCK_PORT, &connecting);
        if (hfd < 0) {
            if (hlen >= 0) {
                fprintf(stderr, "paddock-agent: egress: cannot reach the host (%s); resetting the connection\n",
                        eg.npairs >= MAX_PAIRS ? "too many connections" : strerror(errno));
            }
            struct linger l = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            close(fd);
            continue;
        }
        struct pair *p = calloc(1, sizeof *p);
        if (!p) {
            abort();
        }
        splice_init(&p->sp, fd, hfd);
        p->sp.connecting[1] = connecting;
        /* the header goes first, as if the guest had sent it */
        buf_append(&p->sp.q[0], header, (size_t)hlen);
        for (int i = 0; i < 2; i++) {
            p->ep[i] = (struct ep){.kind = EP_EGRESS, .fd = p->sp.fd[i], .x = p,
                                   .sub = i == 0 ? SUB_PAIR_GUEST : SUB_PAIR_HOST};
        }
        p->next = eg.pairs;
        eg.pairs = p;
        eg.npairs++;
        pair_pump(p);
    }
}

static void accept_dns_tcp(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        int connecting = 0;
        int hfd = eg.npairs >= MAX_PAIRS ? -1 : host_connect(DNS_VSOCK_PORT, &connecting);
        if (hfd < 0) {
            close(fd);
            continue;
        }
        /* DNS over TCP is already length-framed (RFC 1035 §4.2.2), as the host's DNS port speaks: a splice */
        struct pair *p = calloc(1, sizeof *p);
        if (!p) {
            abort();
        }
        splice_init(&p->sp, fd, hfd);
        p->sp.connecting[1] = connecting;
        for (int i = 0; i < 2; i++) {
            p->ep[i] = (struct ep){.kind = EP_EGRESS, .fd = p->sp.fd[i], .x = p,
                                   .sub = i == 0 ? SUB_PAIR_GUEST : SUB_PAIR_HOST};
        }
        p->next = eg.pairs;
        eg.pairs = p;
        eg.npairs++;
        pair_pump(p);
    }
}

/* ---- UDP DNS queries: one host stream per query ---- */

static void dnsq_end(struct dnsq *q) {
    ep_forget(&q->ep);
    if (q->ep.fd >= 0) {
        close(q->ep.fd);
        q->ep.fd = -1;
    }
    buf_free(&q->out);
    buf_free(&q->in);
    q->dead = 1;
}

static void dnsq_pump(struct dnsq *q) {
    if (q->connecting) {
        int e = connect_finished(q->ep.fd);
        if (e == EINPROGRESS || e == EALREADY) {
            return;
        }
        if (e) {
            logf_agent("dns: connecting to the host failed: %s", strerror(e));
            dnsq_end(q);
            return;
        }
        q->connecting = 0;
    }
    while (buf_used(&q->out) > 0) {
        ssize_t n = send(q->ep.fd, buf_head(&q->out), buf_used(&q->out), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                ep_set(&q->ep, EPOLLOUT);
                return;
            }
            dnsq_end(q);
            return;
        }
        buf_consume(&q->out, (size_t)n);
    }
    for (;;) {
        buf_reserve(&q->in, 4096);
        ssize_t n = read(q->ep.fd, q->in.data + q->in.len, q->in.cap - q->in.len);
        if (n > 0) {
            q->in.len += (size_t)n;
            const uint8_t *msg;
            long len = dns_unframe(buf_head(&q->in), buf_used(&q->in), &msg);
            if (len < 0) {
                dnsq_end(q);
                return;
            }
            if (len > 0) {
                sendto(q->udp_fd, msg, (size_t)len, 0, (struct sockaddr *)&q->client, q->client_len);
                dnsq_end(q);
                return;
            }
            // GUEST-CONTROLLED only through the host: the host's answer is bounded by its 2-octet length.
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            dnsq_end(q); /* the host ended the stream without an answer: the client times out and retries */
            return;
        }
        ep_set(&q->ep, EPOLLIN);
        return;
    }
}

static void read_dns_udp(int ufd) {
    uint8_t msg[4096]; /* GUEST-CONTROLLED: a longer datagram is cut here; the host answers FORMERR or drops it */
    for (;;) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(ufd, msg, sizeof msg, 0, (struct sockaddr *)&from, &flen);
        if (n <= 0) {
            return;
        }
        if (eg.nqueries >= MAX_DNS_INFLIGHT) {
            continue; /* dropped: the client retries */
        }
        int connecting = 0;
        int hfd = host_connect(DNS_VSOCK_PORT, &connecting);
        if (hfd < 0) {
            logf_agent("dns: cannot reach the host: %s", strerror(errno));
            continue;
        }
        struct dnsq *q = calloc(1, sizeof *q);
        if (!q) {
            abort();
        }
        q->ep = (struct ep){.kind = EP_EGRESS, .fd = hfd, .x = q, .sub = SUB_DNS_QUERY};
        q->udp_fd = ufd;
        q->client = from;
        q->client_len = flen;
        q->connecting = connecting;
        q->deadline = now_ms() + DNS_TIMEOUT_MS;
        buf_reserve(&q->out, (size_t)n + 2);
        q->out.len = (size_t)dns_frame(q->out.data, q->out.cap, msg, (size_t)n);
        q->next = eg.queries;
        eg.queries = q;
        eg.nqueries++;
        if (connecting) {
            ep_set(&q->ep, EPOLLOUT);
        } else {
            dnsq_pump(q);
        }
    }
}

/* ---- the event loop's entry points ---- */

void egress_event(struct ep *e, uint32_t events) {
    (void)events;
    switch (e->sub) {
    case SUB_EGRESS_LISTEN:
        accept_egress(e->fd);
        break;
    case SUB_DNS_TCP_LISTEN:
        accept_dns_tcp(e->fd);
        break;
    case SUB_DNS_UDP:
        read_dns_udp(e->fd);
        break;
    case SUB_PAIR_GUEST:
    case SUB_PAIR_HOST: {
        struct pair *p = e->x;
        if (p->dead) {
            break;
        }
        if (p->sp.connecting[1] && e->sub == SUB_PAIR_HOST) {
            int err = connect_finished(p->sp.fd[1]);
            if (err == EINPROGRESS || err == EALREADY) {
                break;
            }
            if (err) {
                fprintf(stderr, "paddock-agent: egress: connecting to the host failed: %s\n", strerror(err));
                pair_end(p, 1);
                break;
            }
            p->sp.connecting[1] = 0;
        }
        pair_pump(p);
        break;
    }
    case SUB_DNS_QUERY: {
        struct dnsq *q = e->x;
        if (!q->dead) {
            dnsq_pump(q);
        }
        break;
    }
    }
}

void egress_tick(int64_t now) {
    for (struct dnsq *q = eg.queries; q; q = q->next) {
        if (!q->dead && now >= q->deadline) {
            dnsq_end(q);
        }
    }
}

int64_t egress_next_deadline(void) {
    int64_t next = 0;
    for (struct dnsq *q = eg.queries; q; q = q->next) {
        if (!q->dead && (next == 0 || q->deadline < next)) {
            next = q->deadline;
        }
    }
    return next;
}

void egress_reap(void) {
    for (struct pair **pp = &eg.pairs; *pp;) {
        if ((*pp)->dead) {
            struct pair *d = *pp;
            *pp = d->next;
            free(d);
            eg.npairs--;
        } else {
            pp = &(*pp)->next;
        }
    }
    for (struct dnsq **qq = &eg.queries; *qq;) {
        if ((*qq)->dead) {
            struct dnsq *d = *qq;
            *qq = d->next;
            free(d);
            eg.nqueries--;
        } else {
            qq = &(*qq)->next;
        }
    }
}

/* ---- listeners and setup ---- */

static int add_listener(int family, int type, const char *ip, int port, int sub) {
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int r;
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        inet_pton(AF_INET6, ip, &a.sin6_addr);
        r = bind(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, ip, &a.sin_addr);
        r = bind(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (r < 0 || (type == SOCK_STREAM && listen(fd, 512) < 0)) {
        int e = errno;
        fprintf(stderr, "paddock-agent: egress: binding %s port %d failed: %s\n", ip, port, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    struct ep *e = &eg.listeners[eg.nlisteners++];
    *e = (struct ep){.kind = EP_EGRESS, .fd = fd, .sub = sub};
    ep_set(e, EPOLLIN);
    return 0;
}

int egress_listen(int egress_port, int dns_port) {
    /* 0.0.0.0 and [::]: nft REDIRECT from a container's bridge targets the bridge's own address */
    if (add_listener(AF_INET, SOCK_STREAM, "0.0.0.0", egress_port, SUB_EGRESS_LISTEN) < 0 ||
        add_listener(AF_INET, SOCK_DGRAM, "0.0.0.0", dns_port, SUB_DNS_UDP) < 0 ||
        add_listener(AF_INET, SOCK_STREAM, "0.0.0.0", dns_port, SUB_DNS_TCP_LISTEN) < 0) {
        return -1;
    }
    if (add_listener(AF_INET6, SOCK_STREAM, "::", egress_port, SUB_EGRESS_LISTEN) < 0) {
        fprintf(stderr, "paddock-agent: egress: no IPv6 listener; IPv6 connections will fail\n");
    }
    return 0;
}

void egress_test_mode(const char *dir) {
    eg.test_dir = dir;
}

/* Runs a program (searched in the sbin and bin directories) to completion; 0 when it exited 0. */
static int run(const char *path, char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        const char *dirs[] = {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"};
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
            char full[64];
            snprintf(full, sizeof full, "%s%s", dirs[i], path);
            execv(full, argv);
        }
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "paddock-agent: egress: %s", path);
        for (int i = 1; argv[i]; i++) {
            fprintf(stderr, " %s", argv[i]);
        }
        fprintf(stderr, " failed (%s %d)\n", WIFEXITED(st) ? "exit status" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return -1;
    }
    return 0;
}

/* The nft rules (docs/egress.md, "The guest side"). nat output: what guest processes send out of the dummy
 * route. nat prerouting: what containers send that would be routed out of it (fib), not what they send to each
 * other or to the guest. Redirected traffic carries DNAT status and is let through; anything else that would
 * leave through the dummy interface (UDP other than DNS, ICMP) is dropped. */
static const char NFT_TEXT[] =
    "table inet paddock_egress {\n"
    "  chain nat_output {\n"
    "    type nat hook output priority -110; policy accept;\n"
    "    oifname \"" EGRESS_IF "\" udp dport 53 redirect to :53\n"
    "    oifname \"" EGRESS_IF "\" tcp dport 53 redirect to :53\n"
    "    oifname \"" EGRESS_IF "\" meta l4proto tcp redirect to :15001\n"
    "  }\n"
    "  chain nat_prerouting {\n"
    "    type nat hook prerouting priority -110; policy accept;\n"
    "    iifname \"lo\" return\n"
    "    fib daddr oifname \"" EGRESS_IF "\" udp dport 53 redirect to :53\n"
    "    fib daddr oifname \"" EGRESS_IF "\" tcp dport 53 redirect to :53\n"
    "    fib daddr oifname \"" EGRESS_IF "\" meta l4proto tcp redirect to :15001\n"
    "  }\n"
    "  chain filter_output {\n"
    "    type filter hook output priority 0; policy accept;\n"
    "    ct status dnat accept\n"
    "    oifname \"" EGRESS_IF "\" drop\n"
    "  }\n"
    "  chain filter_forward {\n"
    "    type filter hook forward priority 0; policy accept;\n"
    "    ct status dnat accept\n"
    "    oifname \"" EGRESS_IF "\" drop\n"
    "  }\n"
    "}\n";

static int write_file(const char *path, const char *text, mode_t mode) {
    unlink(path); /* /etc/resolv.conf may be a symlink into /run */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "paddock-agent: egress: writing %s failed: %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

void egress_setup(void) {
    char *const steps[][12] = {
        {"ip", "link", "add", EGRESS_IF, "type", "dummy", NULL},
        {"ip", "link", "set", EGRESS_IF, "up", NULL},
        {"ip", "addr", "add", EGRESS_ADDR4, "dev", EGRESS_IF, NULL},
        {"ip", "route", "add", "default", "dev", EGRESS_IF, NULL},
        {"ip", "-6", "addr", "add", EGRESS_ADDR6, "dev", EGRESS_IF, "nodad", NULL},
        {"ip", "-6", "route", "add", "default", "dev", EGRESS_IF, NULL},
    };
    mkdir("/run/paddock", 0755);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (run("ip", steps[i]) < 0 && i < 4) {
            fprintf(stderr, "paddock-agent: egress is off: the guest has no network (is the dummy module in "
                    "guest/image/modules and iproute2 in the image?)\n");
            return;
        }
    }
    char *const nft[] = {"nft", "-f", NFT_RULES, NULL};
    if (write_file(NFT_RULES, NFT_TEXT, 0644) < 0 || run("nft", nft) < 0) {
        fprintf(stderr, "paddock-agent: egress is off: loading %s failed (is nftables in guest/image/packages and "
                "are nf_tables, nft_redir, nft_fib_inet and nft_ct in guest/image/modules?)\n", NFT_RULES);
        return;
    }
    write_file("/etc/resolv.conf", "# written by paddock-agent: the DNS stub forwards to the host's filter\n"
               "nameserver 127.0.0.1\noptions edns0 trust-ad\n", 0644);
    if (egress_listen(EGRESS_LISTEN_PORT, DNS_STUB_PORT) == 0) {
        fprintf(stderr, "paddock-agent: egress on: TCP redirected to :%d, DNS stub on :%d, vsock ports %u/%u\n",
                EGRESS_LISTEN_PORT, DNS_STUB_PORT, EGRESS_VSOCK_PORT, DNS_VSOCK_PORT);
    }
}
