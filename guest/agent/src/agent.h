/* The agent's shared state: one epoll loop, the connections and their streams, the children. */
#ifndef PADDOCK_AGENT_H
#define PADDOCK_AGENT_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "proto.h"
#include "egress.h"

#define AGENT_VERSION "0.1.0"
#define AGENT_SOFTWARE "paddock-agent/" AGENT_VERSION
#define OUTQ_HIGH (1u << 20)        /* PROTOCOL.md §5: stop reading child output above 1 MiB queued */
#define CONN_READ_PAUSE (4u << 20)  /* stop reading a connection whose replies pile up unread */
#define HELLO_TIMEOUT_MS 10000      /* §4 */
#define DRAIN_AFTER_EXIT_MS 2000    /* §6.2 step 5 */

/* What an epoll registration stands for; epoll_event.data.ptr points at one. */
enum ep_kind { EP_LISTEN, EP_CONN, EP_SIGNAL, EP_STREAM, EP_EGRESS };

/* Roles of one fd of a stream: which channels it reads (agent -> host) or writes (host -> agent). */
#define ROLE_WRITE_IN 0x1   /* chan 0: stdin pipe, pty master, socket */
#define ROLE_READ_OUT 0x2   /* chan 1: stdout pipe, pty master, socket */
#define ROLE_READ_ERR 0x4   /* chan 2: stderr pipe */

struct stream;
struct conn;

struct ep {
    enum ep_kind kind;
    int fd;
    uint32_t events;   /* what is registered now; 0 = not in the epoll set */
    int roles;         /* EP_STREAM only */
    struct stream *s;  /* EP_STREAM only */
    struct conn *c;    /* EP_CONN only */
    void *x;           /* EP_EGRESS only: the egress object (egress.c) */
    int sub;           /* EP_EGRESS only: which of its fds */
};

enum stream_kind { ST_EXEC, ST_SOCKET };

struct stream {
    uint32_t id;
    enum stream_kind kind;
    struct conn *c;
    struct stream *next;
    struct ep eps[3];       /* exec with pipes: stdin, stdout, stderr; pty or socket: eps[0] only */
    int neps;
    /* chan 0, host -> agent */
    struct buf inq;         /* bytes received, not yet written */
    uint32_t in_credit;     /* bytes the host may still send (our grant minus what arrived) */
    uint32_t in_pending;    /* bytes written since the last WINDOW we sent */
    int in_eof;             /* the host sent EOF */
    int in_closed;          /* we closed / shut down the writing side */
    /* chans 1 and 2, agent -> host */
    uint32_t out_window[3]; /* credit the host granted us */
    int out_eof[3];         /* we sent EOF on this chan (index 1, 2) */
    /* exec */
    int tty;
    pid_t pid;
    int exited;
    int wstatus;
    int64_t drain_deadline; /* ms, CLOCK_MONOTONIC; 0 = none */
    /* socket */
    int connecting;
};

struct conn {
    struct ep ep;
    struct conn *next;
    struct buf in;
    struct buf out;
    int hello_done;
    int64_t hello_deadline;
    uint32_t peer_window;   /* the host's initial_window for agent -> host channels */
    struct stream *streams;
    uint32_t nstreams;
    int dead;               /* closed; freed at the end of the loop iteration */
};

struct agent {
    int epfd;
    int pid1;
    int64_t started_ms;
    struct conn *conns;
    int nconns;
    struct ep listen_ep;
    struct ep signal_ep;
    int shutting_down;
    pid_t dockerd_pid;
    int log_verbose;
};

extern struct agent g_agent;

int64_t now_ms(void);
void logf_agent(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* loop.c */
void ep_set(struct ep *e, uint32_t events);
void ep_forget(struct ep *e);

/* conn.c */
void conn_accept(int listen_fd);
void conn_event(struct conn *c, uint32_t events);
void stream_event(struct ep *e, uint32_t events);
void conns_tick(int64_t now);
void conns_reap_dead(void);
void conn_close_all(void);
void stream_child_exited(struct stream *s, int wstatus);
int64_t conns_next_deadline(void);

/* children.c: every process the agent started, so that each is reaped and none is leaked. */
void children_add(pid_t pid, struct stream *s);
void children_detach(struct stream *s);
void children_reap(void);
uint32_t children_count(void);
void children_kill_all(int sig);

/* spawn.c */
struct spawn_result {
    int code;         /* 0 = started, else a pa_err */
    int sys_errno;
    char message[512];
    pid_t pid;
    int fd_in, fd_out, fd_err; /* pipes; with a tty all three are the pty master (fd_out == fd_in) */
};
void spawn_exec(const struct pa_exec *e, struct spawn_result *r);
pid_t spawn_daemon(const char *path, char *const argv[], const char *log_path);

/* user.c */
struct user_ids {
    uid_t uid;
    gid_t gid;
    gid_t groups[64];
    int ngroups;
    int set;          /* 0: keep the agent's own user */
};
/* 0, or PA_E_USER_UNKNOWN with a message. Reads passwd/group files itself: no NSS in a static binary. */
int user_resolve(const char *spec, const char *passwd_path, const char *group_path, struct user_ids *u,
                 char *err, size_t errlen);

/* init.c: PID-1 duties. */
void init_early(void);            /* mounts, modules, root, hostname, loopback; powers off on failure */
void init_start_dockerd(void);
void init_ready_line(void);
void init_finish_shutdown(void) __attribute__((noreturn));
void init_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int docker_ready(void);

/* fsinv.c: FS_INVALIDATE's work (PROTOCOL.md §13), synchronous. Drops the dentry cache only when may_drop (the
 * agent is the guest's init); fills r with the counts and the flags of what was done. */
void fsinv_run(const struct pa_fsinv *q, int may_drop, struct pa_fsinv_reply *r);
/* 1 when a /proc/self/mountinfo line is a virtiofs mount, with its device's major and minor; else 0. */
int fsinv_virtiofs_mount(const char *line, unsigned *major, unsigned *minor);

/* main.c */
void agent_begin_shutdown(const char *why);

#endif
