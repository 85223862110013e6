package dev.paddock.hypervisor;

/**
 * A hypervisor operation failed. The message names the operation (an ioctl, a syscall, a device),
 * the errno or value involved, and where possible what to do about it.
 */
public class HypervisorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public HypervisorException(String message) {
        this(message, 0, null);
    }

    public HypervisorException(String message, int errno) {
        this(message, errno, null);
    }

    public HypervisorException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** The errno of the failed system call, or 0 when the failure was not a system call's. */
    public int errno() {
        return errno;
    }
}
