package dev.paddock.runtime.virtio.fs.fuse;

/**
 * A file system operation failed with {@code errno}; the server answers the request with {@code -errno}.
 * Cheap (no stack trace): a guest can cause as many as it likes.
 */
final class FsErrnoException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int errno;

    FsErrnoException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    int errno() {
        return errno;
    }
}
