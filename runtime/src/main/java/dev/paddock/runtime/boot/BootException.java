package dev.paddock.runtime.boot;

/**
 * Why a kernel, initrd or command line cannot be put into a guest: a malformed or unsupported image, or a
 * guest too small for it. The message names the file or value, the number that is wrong and what to do.
 */
public final class BootException extends RuntimeException {
    public BootException(String message) {
        super(message);
    }

    public BootException(String message, Throwable cause) {
        super(message, cause);
    }
}
