/* FS_INVALIDATE's work (PROTOCOL.md §13): make the guest's kernel forget what it cached of files that the host
 * changed under a virtio-fs share. Synchronous, on the event loop: a path costs one FUSE round trip and the host
 * keeps batches small. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
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
static void refresh_link(int dirfd, const char *name, struct pa_fsinv_reply *r) {
    int err = statx_fresh(dirfd, name, 0);
    if (err == 0) {
        r->refreshed++;
    } else if (err != ENOENT && err != ESRCH && err != EACCES && err != EPERM) {
        r->failed++;
        logf_agent("FS_INVALIDATE: statx of an open file failed: %s", strerror(err));
    }
}

/* Every /proc/<pid>/cwd and /proc/<pid>/fd/<n>. Returns 0 when /proc could be read. Relative lookups from the
 * directory fds avoid building paths; every fd is close-on-exec and closed before returning. */
static int refresh_open_files(struct pa_fsinv_reply *r) {
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
        refresh_link(pfd, "cwd", r);
        int ffd = openat(pfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *fds = ffd >= 0 ? fdopendir(ffd) : NULL;
        if (fds) {
            struct dirent *fe;
            while ((fe = readdir(fds))) {
                if (all_digits(fe->d_name)) {
                    refresh_link(dirfd(fds), fe->d_name, r);
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
    /* §13 step 1: only the guest's init may drop the kernel's caches; in loopback mode they are the host's */
    if ((q->flags & PA_FSINV_DROP_ENTRIES) && may_drop && drop_entries() == 0) {
        r->flags |= PA_FSINV_DROP_ENTRIES;
    }
    /* step 2 */
    if ((q->flags & PA_FSINV_OPEN_FILES) && refresh_open_files(r) == 0) {
        r->flags |= PA_FSINV_OPEN_FILES;
    }
    /* step 3: the path itself, not what a symlink there points to */
    for (uint32_t i = 0; i < q->count; i++) {
        int err = statx_fresh(AT_FDCWD, q->paths[i], AT_SYMLINK_NOFOLLOW);
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
