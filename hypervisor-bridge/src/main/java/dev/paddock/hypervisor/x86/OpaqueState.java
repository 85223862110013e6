package dev.paddock.hypervisor.x86;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A fixed-size block of vCPU state kept as the hypervisor's bytes (little-endian), so a snapshot saves and
 * restores it exactly. Subclasses add typed accessors for the fields Paddock reads or sets.
 */
public abstract class OpaqueState {
    private final byte[] bytes;

    protected OpaqueState(byte[] bytes, int expectedSize) {
        if (bytes.length != expectedSize) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " is " + expectedSize + " bytes, got "
                    + bytes.length);
        }
        this.bytes = bytes.clone();
    }

    /** A copy of the raw bytes. */
    public final byte[] bytes() {
        return bytes.clone();
    }

    protected final ByteBuffer view() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A copy of the bytes with a little-endian value of {@code width} bytes written at {@code offset}. */
    protected final byte[] patched(int offset, int width, long value) {
        byte[] copy = bytes.clone();
        for (int i = 0; i < width; i++) {
            copy[offset + i] = (byte) (value >>> (8 * i));
        }
        return copy;
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Arrays.equals(bytes, ((OpaqueState) o).bytes);
    }

    @Override
    public final int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + bytes.length + " bytes]";
    }
}
