package dev.paddock.runtime.bus;

import dev.paddock.hypervisor.ExitData;
import java.util.Arrays;

/** An exit's data window over a plain array, for bus tests without KVM. */
final class ArrayExitData implements ExitData {
    final byte[] bytes;

    ArrayExitData(int length) {
        this.bytes = new byte[length];
    }

    ArrayExitData(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    @Override
    public int length() {
        return bytes.length;
    }

    @Override
    public long value() {
        long v = 0;
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            v |= (bytes[i] & 0xFFL) << (8 * i);
        }
        return v;
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public void setValue(long value) {
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            bytes[i] = (byte) (value >>> (8 * i));
        }
    }

    @Override
    public void setBytes(byte[] data) {
        if (data.length != bytes.length) {
            throw new IllegalArgumentException("length " + data.length + " != " + bytes.length);
        }
        System.arraycopy(data, 0, bytes, 0, data.length);
    }

    @Override
    public String toString() {
        return Arrays.toString(bytes);
    }
}
