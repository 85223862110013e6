package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The raw libc layer: direct-mapped JNA bindings for the few system calls Paddock's VMM makes.
 *
 * <p>Nothing outside this package sees these methods; the safe API ({@link Kvm}, {@link KvmVm},
 * {@link KvmVcpu}, {@link EventFd}, {@link Epoll}, {@link MmapGuestMemory}) checks each result and
 * turns failures into {@link HypervisorException}s that name the call and the errno.
 *
 * <p>Every method declares {@link LastErrorException}: JNA then captures {@code errno} right after the
 * call, before the JVM can clobber it. {@code ioctl} is variadic in C; here it is a set of fixed-arity
 * overloads (the third argument is either a plain integer or a pointer), which is how direct mapping
 * calls a variadic function safely on x86_64.
 */
final class LibC {
    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {
        throw new AssertionError("no instances");
    }

    // <fcntl.h> / <asm-generic/fcntl.h>
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    // <sys/mman.h> / <asm-generic/mman-common.h>, <asm/mman.h>
    static final int PROT_NONE = 0;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int MAP_HUGETLB = 0x40000;
    static final int MADV_DONTNEED = 4;
    static final int MADV_DONTDUMP = 16;
    static final int MADV_HUGEPAGE = 14;
    /** Fault in every page of the range, writable, as a write would (Linux 5.14+; EINVAL before). */
    static final int MADV_POPULATE_WRITE = 23;
    static final long MAP_FAILED = -1L;

    // <sys/eventfd.h>
    static final int EFD_CLOEXEC = O_CLOEXEC;
    static final int EFD_NONBLOCK = 0x800;

    // <sys/timerfd.h> (linux/timerfd.h): TFD_CLOEXEC = O_CLOEXEC, TFD_NONBLOCK = O_NONBLOCK; CLOCK_MONOTONIC from
    // <linux/time.h>
    static final int TFD_CLOEXEC = O_CLOEXEC;
    static final int TFD_NONBLOCK = 0x800;
    static final int CLOCK_MONOTONIC = 1;
    /** struct itimerspec: it_interval then it_value, each a struct timespec of two longs (x86-64). */
    static final int ITIMERSPEC_LONGS = 4;

    // <sys/epoll.h>
    static final int EPOLL_CLOEXEC = O_CLOEXEC;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x001;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;

    // <asm-generic/errno-base.h>, <asm-generic/errno.h>
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EINVAL = 22;

    static native int open(String path, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int ioctl(int fd, long request, long arg) throws LastErrorException;

    static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset)
            throws LastErrorException;

    static native int munmap(Pointer addr, long length) throws LastErrorException;

    static native int madvise(Pointer addr, long length, int advice) throws LastErrorException;

    /** One byte per page of {@code [addr, addr+length)}; bit 0 set where the page is resident (mincore(2)). */
    static native int mincore(Pointer addr, long length, byte[] vec) throws LastErrorException;

    static native int eventfd(int initval, int flags) throws LastErrorException;

    static native int timerfd_create(int clockid, int flags) throws LastErrorException;

    static native int timerfd_settime(int fd, int flags, long[] newValue, Pointer oldValue) throws LastErrorException;

    static native int epoll_create1(int flags) throws LastErrorException;

    /** {@code event} points at a packed {@code struct epoll_event {u32 events; u64 data;}} (12 bytes on x86_64). */
    static native int epoll_ctl(int epfd, int op, int fd, Pointer event) throws LastErrorException;

    static native int epoll_wait(int epfd, Pointer events, int maxevents, int timeout) throws LastErrorException;

    static native long read(int fd, Pointer buf, long count) throws LastErrorException;

    static native long write(int fd, Pointer buf, long count) throws LastErrorException;

    /** eventfd reads and writes move one u64; a long[1] avoids a native allocation per call. */
    static native long read(int fd, long[] buf, long count) throws LastErrorException;

    static native long write(int fd, long[] buf, long count) throws LastErrorException;

    // The vCPU kick: a real-time signal delivered to the thread blocked in KVM_RUN makes the ioctl
    // return EINTR; kvm_run.immediate_exit covers the race where the signal lands before KVM_RUN.
    static native long pthread_self();

    static native int pthread_kill(long thread, int sig);

    /** glibc's first free real-time signal (the two below it belong to NPTL). */
    static native int __libc_current_sigrtmin();

    /** {@code act} and {@code oldact} point at glibc's {@code struct sigaction} (152 bytes on x86_64). */
    static native int sigaction(int signum, Pointer act, Pointer oldact) throws LastErrorException;

    static native int getpid();
}
