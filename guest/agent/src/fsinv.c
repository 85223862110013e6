/* FS_INVALIDATE's work (PROTOCOL.md §13): make the guest's kernel forget what it cached of files that the host
 * changed under a virtio-fs share: names, attributes and pages. Synchronous, on the event loop: a path costs one
 * FUSE round trip and the host keeps batches small. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"

/* musl 1.2.3 has SYS_statx and AT_STATX_FORCE_SYNC but no statx() wrapper, no struct statx and no STATX_* masks.
 * These are the kernel's ABI values. */
#ifndef AT_SYMLINK_NOFOLLOW
#define AT_SYMLINK_NOFOLLOW 0x100  /* include/uapi/linux/fcntl.h */
#endif
#ifndef AT_NO_AUTOMOUNT
#define AT_NO_AUTOMOUNT 0x800      /* include/uapi/linux/fcntl.h */
#endif
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000 /* include/uapi/linux/fcntl.h */
#endif
#ifndef STATX_BASIC_STATS
#define STATX_BASIC_STATS 0x7ffu   /* include/uapi/linux/stat.h: STATX_TYPE .. STATX_BLOCKS */
#endif
#ifndef SYS_statx
#error "SYS_statx is missing: build with a libc whose headers know Linux 4.11's statx (musl >= 1.1.17)"
#endif

/* struct statx's stx_mode (u16 at byte 28) and stx_dev_major/minor (u32s at bytes 136 and 140),
 * include/uapi/linux/stat.h. */
#define STATX_MODE_OFFSET 28
#define STATX_DEV_MAJOR_OFFSET 136
#define STATX_DEV_MINOR_OFFSET 140

/* struct statx is 0x100 bytes (include/uapi/linux/stat.h). Only the kernel's side effect matters here (fresh
 * attributes from the FUSE server, and with them dropped pages or listings), so the answer lands in a buffer of
 * that size rather than in a struct this libc may not declare. */
static uint64_t statx_out[32];

/* 0, or the errno of statx(dirfd, path) that asks the file system for fresh attributes. */
static int statx_fresh(int dirfd, const char *path, int flags) {
    long rc = syscall(SYS_statx, dirfd, path, flags | AT_NO_AUTOMOUNT | AT_STATX_FORCE_SYNC,
                      (unsigned)STATX_BASIC_STATS, statx_out);
    return rc == 0 ? 0 : errno;
}

/* The file type statx_fresh's last successful call saw. */
static unsigned statx_type(void) {
    uint16_t mode;
    memcpy(&mode, (const uint8_t *)statx_out + STATX_MODE_OFFSET, sizeof mode);
    return mode & S_IFMT;
}

int fsinv_virtiofs_mount(const char *line, unsigned *major, unsigned *minor) {
    /* "36 35 0:33 / /work rw,relatime shared:1 - virtiofs ws0 rw": the device is field 3; the optional fields end
     * at " - ", then the type. A mount point with a space in it is written \040, so " - " comes once. */
    const char *sep = strstr(line, " - ");
    return sscanf(line, "%*u %*u %u:%u", major, minor) == 2 && sep && strncmp(sep + 3, "virtiofs ", 9) == 0;
}

/* The devices of the guest's virtio-fs mounts (/proc/self/mountinfo), read once per FS_INVALIDATE. */
#define MAX_SHARES 64
struct shares {
    int loaded;
    int n;
    uint32_t major[MAX_SHARES], minor[MAX_SHARES];
};

static void load_shares(struct shares *sh) {
    sh->loaded = 1;
    sh->n = 0;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) {
        logf_agent("FS_INVALIDATE: /proc/self/mountinfo: %s; no cached pages dropped", strerror(errno));
        return;
    }
    char line[4096 + 512];
    while (fgets(line, sizeof line, f)) {
        unsigned maj, min;
        if (fsinv_virtiofs_mount(line, &maj, &min) && sh->n < MAX_SHARES) {
            sh->major[sh->n] = maj;
            sh->minor[sh->n] = min;
            sh->n++;
        }
    }
    fclose(f);
}

/* Whether statx_fresh's last successful call saw a regular file on a virtio-fs share. */
static int statx_is_shared_file(struct shares *sh) {
    if (statx_type() != S_IFREG) {
        return 0;
    }
    if (!sh->loaded) {
        load_shares(sh);
    }
    uint32_t maj, min;
    memcpy(&maj, (const uint8_t *)statx_out + STATX_DEV_MAJOR_OFFSET, sizeof maj);
    memcpy(&min, (const uint8_t *)statx_out + STATX_DEV_MINOR_OFFSET, sizeof min);
    for (int i = 0; i < sh->n; i++) {
        if (sh->major[i] == maj && sh->minor[i] == min) {
            return 1;
        }
    }
    return 0;
}

/* Drops the pages the guest's kernel cached of a file on a virtio-fs share, so that its next read asks the server.
 * The server does not negotiate FUSE_AUTO_INVAL_DATA (docs/devices/virtio-fs.md): the fresh attributes statx just
 * fetched drop the pages when the size changed, not when only the mtime did, and a host edit that keeps the size
 * would be read stale. POSIX_FADV_DONTNEED drops the clean pages that no process maps; none is dirty (the share
 * writes through). The open costs no round trip (the server refuses OPEN, so the guest opens locally).
 * Returns 0, or the errno of the open (ENOENT: the name went away meanwhile). */
static int drop_pages(int dirfd, const char *path, int flags) {
    int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | flags);
    if (fd < 0) {
        return errno;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        if (rc != 0) {
            logf_agent("FS_INVALIDATE: dropping the cached pages of %s failed: %s", path, strerror(rc));
        }
    }
    close(fd);
    return 0;
}

static int all_digits(const char *s) {
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

/* statx through one magic link of /proc/<pid> (following it). A process or fd that went away in the meantime
 * (ENOENT, ESRCH) and one the agent may not inspect (EACCES, EPERM: only outside PID-1 mode, where the agent is
 * not root) count as nothing; any other failure is the file system's and counts as failed. */
static void refresh_link(int dirfd, const char *name, struct shares *sh, struct pa_fsinv_reply *r) {
    int err = statx_fresh(dirfd, name, 0);
    if (err == 0 && statx_is_shared_file(sh)) {
        err = drop_pages(dirfd, name, 0);
    }
    if (err == 0) {
        r->refreshed++;
    } else if (err != ENOENT && err != ESRCH && err != EACCES && err != EPERM) {
        r->failed++;
        logf_agent("FS_INVALIDATE: statx of an open file failed: %s", strerror(err));
    }
}

/* Every /proc/<pid>/cwd and /proc/<pid>/fd/<n>. Returns 0 when /proc could be read. Relative lookups from the
 * directory fds avoid building paths; every fd is close-on-exec and closed before returning. */
static int refresh_open_files(struct shares *sh, struct pa_fsinv_reply *r) {
    DIR *proc = opendir("/proc");
    if (!proc) {
        logf_agent("FS_INVALIDATE: opendir /proc failed: %s; open files not refreshed", strerror(errno));
        return -1;
    }
    struct dirent *pe;
    while ((pe = readdir(proc))) {
        if (!all_digits(pe->d_name)) {
            continue;
        }
        int pfd = openat(dirfd(proc), pe->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0) {
            continue; /* the process ended */
        }
        refresh_link(pfd, "cwd", sh, r);
        int ffd = openat(pfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *fds = ffd >= 0 ? fdopendir(ffd) : NULL;
        if (fds) {
            struct dirent *fe;
            while ((fe = readdir(fds))) {
                if (all_digits(fe->d_name)) {
                    refresh_link(dirfd(fds), fe->d_name, sh, r);
                }
            }
            closedir(fds); /* closes ffd */
        } else if (ffd >= 0) {
            close(ffd);
        }
        close(pfd);
    }
    closedir(proc);
    return 0;
}

/* Drops the guest's unused dentries and inodes (not the page cache): "2" to /proc/sys/vm/drop_caches. */
static int drop_entries(void) {
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        logf_agent("FS_INVALIDATE: open /proc/sys/vm/drop_caches failed: %s", strerror(errno));
        return -1;
    }
    ssize_t n = write(fd, "2\n", 2);
    int err = errno;
    close(fd);
    if (n != 2) {
        logf_agent("FS_INVALIDATE: writing 2 to /proc/sys/vm/drop_caches failed: %s",
                   n < 0 ? strerror(err) : "short write");
        return -1;
    }
    return 0;
}

void fsinv_run(const struct pa_fsinv *q, int may_drop, struct pa_fsinv_reply *r) {
    memset(r, 0, sizeof *r);
    struct shares sh = {0};
    /* §13 step 1: only the guest's init may drop the kernel's caches; in loopback mode they are the host's */
    if ((q->flags & PA_FSINV_DROP_ENTRIES) && may_drop && drop_entries() == 0) {
        r->flags |= PA_FSINV_DROP_ENTRIES;
    }
    /* step 2 */
    if ((q->flags & PA_FSINV_OPEN_FILES) && refresh_open_files(&sh, r) == 0) {
        r->flags |= PA_FSINV_OPEN_FILES;
    }
    /* step 3: the path itself, not what a symlink there points to */
    for (uint32_t i = 0; i < q->count; i++) {
        int err = statx_fresh(AT_FDCWD, q->paths[i], AT_SYMLINK_NOFOLLOW);
        if (err == 0 && statx_is_shared_file(&sh)) {
            err = drop_pages(AT_FDCWD, q->paths[i], O_NOFOLLOW);
        }
        if (err == 0) {
            r->refreshed++;
        } else if (err == ENOENT || err == ENOTDIR) {
            r->missing++;
        } else {
            r->failed++;
            logf_agent("FS_INVALIDATE: statx %s failed: %s", q->paths[i], strerror(err));
        }
    }
}
