/* Starting an exec: pipes or a pty, a new session, user switch, cwd, PATH search. Failures between fork and
 * execve come back through a close-on-exec pipe, so the host gets USER_UNKNOWN/CWD/EXEC_FAILED, not exit 127. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" /* PROTOCOL.md §6.1 */

struct child_report {
    int code;
    int sys_errno;
    char what[32];
};

static void report(int fd, int code, const char *what) {
    struct child_report r = {.code = code, .sys_errno = errno};
    snprintf(r.what, sizeof r.what, "%s", what);
    ssize_t ignored = write(fd, &r, sizeof r);
    (void)ignored;
    _exit(127);
}

static int exec_search(char *const argv[], char *const env[]) {
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, env);
        return errno;
    }
    const char *path = DEFAULT_PATH;
    for (char *const *e = env; *e; e++) {
        if (strncmp(*e, "PATH=", 5) == 0) {
            path = *e + 5;
        }
    }
    int seen_eacces = 0, last = ENOENT;
    size_t alen = strlen(argv[0]);
    char full[4096 + 256];
    while (*path) {
        const char *end = strchr(path, ':');
        size_t dlen = end ? (size_t)(end - path) : strlen(path);
        if (dlen + alen + 2 <= sizeof full) {
            if (dlen == 0) {
                memcpy(full, argv[0], alen + 1); /* an empty PATH entry means the current directory */
            } else {
                memcpy(full, path, dlen);
                full[dlen] = '/';
                memcpy(full + dlen + 1, argv[0], alen + 1);
            }
            execve(full, argv, env);
            last = errno;
            if (last == EACCES) {
                seen_eacces = 1;
            } else if (last != ENOENT && last != ENOTDIR) {
                return last;
            }
        }
        if (!end) {
            break;
        }
        path = end + 1;
    }
    return seen_eacces ? EACCES : last;
}

static void child(const struct pa_exec *e, const struct user_ids *u, const char *slave, int in[2], int out[2],
                  int err[2], int rep) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (setsid() < 0) {
        report(rep, PA_E_EXEC_FAILED, "setsid");
    }
    if (slave) {
        int fd = open(slave, O_RDWR);
        if (fd < 0) {
            report(rep, PA_E_EXEC_FAILED, "open pty slave");
        }
        if (ioctl(fd, TIOCSCTTY, 0) < 0) {
            report(rep, PA_E_EXEC_FAILED, "TIOCSCTTY");
        }
        if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
            report(rep, PA_E_EXEC_FAILED, "dup2");
        }
        if (fd > 2) {
            close(fd);
        }
    } else if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
        report(rep, PA_E_EXEC_FAILED, "dup2");
    }
    if (u->set) {
        if (setgroups((size_t)u->ngroups, u->groups) < 0) {
            report(rep, PA_E_EXEC_FAILED, "setgroups");
        }
        if (setgid(u->gid) < 0) {
            report(rep, PA_E_EXEC_FAILED, "setgid");
        }
        if (setuid(u->uid) < 0) {
            report(rep, PA_E_EXEC_FAILED, "setuid");
        }
    }
    if (chdir(e->cwd[0] ? e->cwd : "/") < 0) {
        report(rep, PA_E_CWD, "chdir");
    }
    errno = exec_search(e->argv, e->env);
    report(rep, PA_E_EXEC_FAILED, "execve");
}

static void close_pair(int p[2]) {
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0) {
            close(p[i]);
            p[i] = -1;
        }
    }
}

void spawn_exec(const struct pa_exec *e, struct spawn_result *r) {
    memset(r, 0, sizeof *r);
    r->fd_in = r->fd_out = r->fd_err = -1;
    struct user_ids u;
    int code = user_resolve(e->user, "/etc/passwd", "/etc/group", &u, r->message, sizeof r->message);
    if (code) {
        r->code = code;
        return;
    }
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1};
    int master = -1;
    char slave[128];
    const char *stage = "pipe2";
    if (e->flags & PA_EXEC_TTY) {
        stage = "posix_openpt";
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) {
            goto fail;
        }
        stage = "grantpt/unlockpt/ptsname";
        if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, sizeof slave) != 0) {
            goto fail;
        }
        struct winsize ws = {.ws_row = e->rows, .ws_col = e->cols};
        stage = "TIOCSWINSZ";
        if (ioctl(master, TIOCSWINSZ, &ws) < 0) {
            goto fail;
        }
    } else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        goto fail;
    }
    stage = "pipe2";
    if (pipe2(rep, O_CLOEXEC) < 0) {
        goto fail;
    }
    stage = "fork";
    pid_t pid = fork();
    if (pid < 0) {
        goto fail;
    }
    if (pid == 0) {
        child(e, &u, master >= 0 ? slave : NULL, in, out, err, rep[1]);
    }
    close(rep[1]);
    rep[1] = -1;
    struct child_report cr;
    ssize_t n;
    do {
        n = read(rep[0], &cr, sizeof cr);
    } while (n < 0 && errno == EINTR);
    close(rep[0]);
    rep[0] = -1;
    if (n == (ssize_t)sizeof cr) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        r->code = cr.code;
        r->sys_errno = cr.sys_errno;
        const char *hint = cr.code == PA_E_CWD ? "check cwd" : strcmp(cr.what, "execve") == 0
            ? "check argv[0] and PATH" : "check the user and the guest's limits";
        snprintf(r->message, sizeof r->message, "%s %s: %s (errno %d): %s", cr.what,
                 cr.code == PA_E_CWD ? e->cwd : e->argv[0], strerror(cr.sys_errno), cr.sys_errno, hint);
        goto cleanup;
    }
    r->pid = pid;
    if (master >= 0) {
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        r->fd_in = r->fd_out = master;
        master = -1;
    } else {
        close(in[0]);
        close(out[1]);
        close(err[1]);
        fcntl(in[1], F_SETFL, O_NONBLOCK);
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        fcntl(err[0], F_SETFL, O_NONBLOCK);
        r->fd_in = in[1];
        r->fd_out = out[0];
        r->fd_err = err[0];
        in[0] = in[1] = out[0] = out[1] = err[0] = err[1] = -1;
    }
    return;
fail:
    r->code = PA_E_EXEC_FAILED;
    r->sys_errno = errno;
    snprintf(r->message, sizeof r->message, "starting %s: %s failed: %s (errno %d): the guest may be out of "
             "processes or fds", e->argv[0], stage, strerror(errno), errno);
cleanup:
    close_pair(in);
    close_pair(out);
    close_pair(err);
    close_pair(rep);
    if (master >= 0) {
        close(master);
    }
}

pid_t spawn_daemon(const char *path, char *const argv[], const char *log_path) {
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (nul >= 0) {
        dup2(nul, 0);
    }
    char *env[] = {"PATH=" DEFAULT_PATH, "HOME=/root", NULL};
    execve(path, argv, env);
    fprintf(stderr, "paddock-agent: execve %s failed: %s\n", path, strerror(errno));
    _exit(127);
}
