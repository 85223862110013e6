/* Every process the agent started, so that each is reaped (SIGCHLD through a signalfd) and none leaks. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "agent.h"

struct child {
    pid_t pid;
    struct stream *s; /* NULL once the stream ended, or for dockerd */
};

static struct child *kids;
static size_t nkids, capkids;

void children_add(pid_t pid, struct stream *s) {
    if (nkids == capkids) {
        capkids = capkids ? capkids * 2 : 64;
        kids = realloc(kids, capkids * sizeof *kids);
        if (!kids) {
            fprintf(stderr, "paddock-agent: out of memory for the child table\n");
            abort();
        }
    }
    kids[nkids].pid = pid;
    kids[nkids].s = s;
    nkids++;
}

void children_detach(struct stream *s) {
    for (size_t i = 0; i < nkids; i++) {
        if (kids[i].s == s) {
            kids[i].s = NULL;
        }
    }
}

void children_reap(void) {
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) {
            if (pid < 0 && errno == EINTR) {
                continue;
            }
            return;
        }
        if (pid == g_agent.dockerd_pid) {
            logf_agent("dockerd (pid %d) exited with status 0x%x; see /var/log/dockerd.log", pid, st);
            g_agent.dockerd_pid = 0;
        }
        for (size_t i = 0; i < nkids; i++) {
            if (kids[i].pid == pid) {
                struct stream *s = kids[i].s;
                kids[i] = kids[--nkids];
                if (s) {
                    stream_child_exited(s, st);
                }
                break;
            }
        }
        /* any other pid: an orphan re-parented to PID 1, reaped and forgotten */
    }
}

uint32_t children_count(void) { return (uint32_t)nkids; }

void children_kill_all(int sig) {
    for (size_t i = 0; i < nkids; i++) {
        kill(-kids[i].pid, sig);
        kill(kids[i].pid, sig);
    }
}
