package dev.paddock.hypervisor.memory;

/** An access outside guest RAM, or to closed guest memory. The message names the address and length. */
public final class GuestMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GuestMemoryException(String message) {
        super(message);
    }
}
