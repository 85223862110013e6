/* PID-1 duties (guest/agent/README.md, "The PID-1 sequence"): early mounts, modules, the overlay root and
 * the switch into it, hostname, loopback, dockerd, and the orderly power-off. A failure prints one clear
 * console line and powers off: PID 1 must never return (the kernel would panic). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define MODULES_LIST "/etc/paddock/modules"
#define DOCKERD "/usr/sbin/dockerd" /* Debian's docker.io installs the daemon in sbin */
#define DOCKER_SOCK "/var/run/docker.sock"
#define CONTAINERD "/usr/bin/containerd" /* Debian's containerd package */
#define CONTAINERD_SOCK "/run/containerd/containerd.sock"
#define DEVICE_WAIT_MS 10000

static char cmd_root[128] = "/dev/vda";
static char cmd_state[128] = "/dev/vdb";
static char cmd_hostname[65] = "paddock";

void init_fatal(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "PADDOCK-AGENT-FATAL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; powering off\n");
    va_end(ap);
    fflush(stderr);
    if (!g_agent.pid1) {
        exit(1);
    }
    sync();
    reboot(RB_POWER_OFF);
    for (;;) {
        pause();
    }
}

static void mkdir_p(const char *path, mode_t mode) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    mkdir(tmp, mode);
}

static void must_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
    mkdir_p(dst, 0755);
    if (mount(src, dst, type, flags, data) < 0) {
        init_fatal("mount %s (%s) on %s with \"%s\" failed: %s", src ? src : "-", type ? type : "move/bind", dst,
                   data ? data : "", strerror(errno));
    }
}

static void console_fds(void) {
    int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) {
        close(fd);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static void cmdline_parse(void) {
    char buf[4096];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        init_fatal("cannot read /proc/cmdline: %s", strerror(errno));
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    struct { const char *key; char *dst; size_t cap; } keys[] = {
        {"paddock.root=", cmd_root, sizeof cmd_root},
        {"paddock.state=", cmd_state, sizeof cmd_state},
        {"paddock.hostname=", cmd_hostname, sizeof cmd_hostname},
    };
    for (char *tok = strtok(buf, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            size_t kl = strlen(keys[i].key);
            if (strncmp(tok, keys[i].key, kl) == 0) {
                if (strlen(tok + kl) >= keys[i].cap) {
                    init_fatal("kernel cmdline %s is longer than %zu bytes", tok, keys[i].cap - 1);
                }
                strcpy(keys[i].dst, tok + kl);
            }
        }
    }
}

static void load_modules(void) {
    FILE *f = fopen(MODULES_LIST, "re");
    if (!f) {
        fprintf(stderr, "paddock-agent: no %s (%s); loading no modules\n", MODULES_LIST, strerror(errno));
        return;
    }
    char line[512];
    int loaded = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') {
            continue;
        }
        size_t len = strlen(line);
        if ((len > 3 && strcmp(line + len - 3, ".xz") == 0) || (len > 4 && strcmp(line + len - 4, ".zst") == 0)) {
            fprintf(stderr, "paddock-agent: module %s is compressed; the image build must decompress modules "
                    "(guest/agent/README.md)\n", line);
            continue;
        }
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "paddock-agent: module %s: %s\n", line, strerror(errno));
            continue;
        }
        if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST) {
            fprintf(stderr, "paddock-agent: loading module %s failed: %s\n", line, strerror(errno));
        } else {
            loaded++;
        }
        close(fd);
    }
    fclose(f);
    fprintf(stderr, "paddock-agent: loaded %d modules from %s\n", loaded, MODULES_LIST);
}

static void wait_device(const char *dev) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    for (int waited = 0; waited < DEVICE_WAIT_MS; waited += 10) {
        if (access(dev, F_OK) == 0) {
            return;
        }
        nanosleep(&ts, NULL);
    }
    init_fatal("block device %s did not appear within %d ms: check the VM's disks and the virtio_blk module "
               "(kernel cmdline paddock.root=/paddock.state=)", dev, DEVICE_WAIT_MS);
}

static void loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
            fprintf(stderr, "paddock-agent: bringing up lo failed: %s\n", strerror(errno));
        }
    }
    close(fd);
}

static void switch_root(void) {
    wait_device(cmd_root);
    must_mount(cmd_root, "/mnt/base", "ext4", MS_RDONLY, NULL);
    if (strcmp(cmd_state, "tmpfs") == 0) {
        must_mount("state", "/mnt/state", "tmpfs", 0, "mode=0755");
    } else {
        wait_device(cmd_state);
        must_mount(cmd_state, "/mnt/state", "ext4", 0, NULL);
    }
    mkdir_p("/mnt/state/upper", 0755);
    mkdir_p("/mnt/state/work", 0755);
    mkdir_p("/mnt/state/docker", 0710);
    must_mount("overlay", "/mnt/root", "overlay", 0,
               "lowerdir=/mnt/base,upperdir=/mnt/state/upper,workdir=/mnt/state/work");
    /* the two disks stay reachable under /run/paddock so that shutdown can sync and unmount them */
    must_mount("run", "/mnt/root/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    must_mount("/mnt/base", "/mnt/root/run/paddock/base", NULL, MS_MOVE, NULL);
    must_mount("/mnt/state", "/mnt/root/run/paddock/state", NULL, MS_MOVE, NULL);
    /* dockerd's overlay2 cannot use an overlay as its upper layer: /var/lib/docker is the state disk itself */
    must_mount("/mnt/root/run/paddock/state/docker", "/mnt/root/var/lib/docker", NULL, MS_BIND, NULL);
    must_mount("/dev", "/mnt/root/dev", NULL, MS_MOVE, NULL);
    must_mount("/proc", "/mnt/root/proc", NULL, MS_MOVE, NULL);
    must_mount("/sys", "/mnt/root/sys", NULL, MS_MOVE, NULL);
    if (chdir("/mnt/root") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
        init_fatal("switching the root to the overlay failed: %s", strerror(errno));
    }
}

/* The links udev or systemd would make: devtmpfs has none of them, and without /dev/fd a shell's process
 * substitution, <(cmd), fails. */
static void dev_links(void) {
    static const char *const links[][2] = {
        {"/proc/self/fd", "/dev/fd"},
        {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST) {
            fprintf(stderr, "paddock-agent: symlink %s -> %s failed: %s\n", links[i][1], links[i][0], strerror(errno));
        }
    }
}

void init_early(void) {
    umask(022);
    must_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    must_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    must_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    console_fds();
    cmdline_parse();
    load_modules();
    if (strcmp(cmd_root, "none") != 0) {
        switch_root();
    } else {
        must_mount("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    }
    must_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666,gid=5");
    must_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    dev_links();
    must_mount("tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    must_mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate");
    if (sethostname(cmd_hostname, strlen(cmd_hostname)) < 0) {
        fprintf(stderr, "paddock-agent: sethostname %s failed: %s\n", cmd_hostname, strerror(errno));
    }
    loopback_up();
}

void init_start_dockerd(void) {
    if (access(DOCKERD, X_OK) != 0) {
        return;
    }
    mkdir_p("/var/log", 0755);
    /* containerd runs as a daemon of its own, and dockerd is pointed at its socket (as Debian's docker.service
     * does): dockerd then waits up to 60 s for it. Left to start containerd itself, dockerd gives up after a few
     * seconds ("timeout waiting for containerd to start"), which a sandbox under the emulated accelerator, whose
     * containerd takes longer than that to come up, never makes. */
    char *argv_plain[] = {"dockerd", NULL};
    char *argv_ext[] = {"dockerd", "--containerd=" CONTAINERD_SOCK, NULL};
    char **argv = argv_plain;
    if (access(CONTAINERD, X_OK) == 0) {
        char *cargv[] = {"containerd", NULL};
        pid_t cpid = spawn_daemon(CONTAINERD, cargv, "/var/log/containerd.log");
        if (cpid < 0) {
            fprintf(stderr, "paddock-agent: starting containerd failed: %s\n", strerror(errno));
        } else {
            children_add(cpid, NULL);
            fprintf(stderr, "paddock-agent: started containerd (pid %d), log /var/log/containerd.log\n", cpid);
            argv = argv_ext;
        }
    }
    pid_t pid = spawn_daemon(DOCKERD, argv, "/var/log/dockerd.log");
    if (pid < 0) {
        fprintf(stderr, "paddock-agent: starting dockerd failed: %s\n", strerror(errno));
        return;
    }
    g_agent.dockerd_pid = pid;
    children_add(pid, NULL);
    fprintf(stderr, "paddock-agent: started dockerd (pid %d), log /var/log/dockerd.log\n", pid);
}

int docker_ready(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, DOCKER_SOCK);
    int ok = connect(fd, (struct sockaddr *)&un, sizeof un) == 0;
    close(fd);
    return ok;
}

void init_ready_line(void) {
    struct timespec bt;
    clock_gettime(CLOCK_BOOTTIME, &bt);
    printf("PADDOCK-AGENT-READY version=%s uptime_ms=%lld agent_ms=%lld\n", AGENT_VERSION,
           (long long)bt.tv_sec * 1000 + bt.tv_nsec / 1000000, (long long)(now_ms() - g_agent.started_ms));
    fflush(stdout);
}

void init_finish_shutdown(void) {
    sync();
    char mps[128][256];
    int n = 0;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f) {
        char line[1024];
        while (n < 128 && fgets(line, sizeof line, f)) {
            char mp[256];
            if (sscanf(line, "%*s %*s %*s %*s %255s", mp) == 1 && strcmp(mp, "/") != 0) {
                strcpy(mps[n++], mp);
            }
        }
        fclose(f);
    }
    for (int i = n - 1; i >= 0; i--) { /* mountinfo lists parents first: unmount in reverse */
        if (umount2(mps[i], 0) < 0 && umount2(mps[i], MNT_DETACH) < 0) {
            fprintf(stderr, "paddock-agent: unmount %s: %s\n", mps[i], strerror(errno));
        }
    }
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0) {
        fprintf(stderr, "paddock-agent: remounting / read-only: %s\n", strerror(errno));
    }
    sync();
    fprintf(stderr, "paddock-agent: powering off\n");
    reboot(RB_POWER_OFF);
    init_fatal("reboot(RB_POWER_OFF) failed: %s", strerror(errno));
}
