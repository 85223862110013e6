package dev.paddock.hypervisor;

/**
 * The data of an I/O or MMIO exit, as a little-endian window onto the exit record.
 *
 * <p>For a guest write (OUT, MMIO store) read it with {@link #value()} or {@link #bytes()}. For a guest read
 * (IN, MMIO load) supply the answer with {@link #setValue(long)} or {@link #setBytes(byte[])} before the
 * next {@code run()}; the hypervisor completes the guest's instruction with it. Any use after the next
 * {@code run()} throws {@link IllegalStateException}: the window then shows a different exit.
 */
public interface ExitData {

    /** Bytes in the window: size × count for port I/O, the access length for MMIO. */
    int length();

    /** The first {@code min(length, 8)} bytes as an unsigned little-endian value. */
    long value();

    /** A copy of all {@link #length()} bytes. */
    byte[] bytes();

    /** Writes the low {@code min(length, 8)} bytes of {@code value}, little-endian. */
    void setValue(long value);

    /** Writes exactly {@link #length()} bytes. */
    void setBytes(byte[] data);
}
