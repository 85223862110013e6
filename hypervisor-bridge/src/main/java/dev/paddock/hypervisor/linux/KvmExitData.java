package dev.paddock.hypervisor.linux;

import dev.paddock.hypervisor.ExitData;
import java.nio.ByteBuffer;

/**
 * The data window of one IO/MMIO exit, inside the vCPU's kvm_run mapping (a direct-buffer view of it, used only on
 * the vCPU thread); stale after the next run().
 */
final class KvmExitData implements ExitData {
    private final KvmVcpu vcpu;
    private final long generation;
    private final ByteBuffer run;
    private final int offset;
    private final int length;

    /** {@code offset} and {@code length} were validated against the mapping by the caller. */
    KvmExitData(KvmVcpu vcpu, long generation, ByteBuffer run, int offset, int length) {
        this.vcpu = vcpu;
        this.generation = generation;
        this.run = run;
        this.offset = offset;
        this.length = length;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public long value() {
        check();
        int n = Math.min(length, 8);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (run.get(offset + i) & 0xFFL) << (8 * i);
        }
        return v;
    }

    @Override
    public byte[] bytes() {
        check();
        byte[] out = new byte[length];
        run.get(offset, out);
        return out;
    }

    @Override
    public void setValue(long value) {
        check();
        int n = Math.min(length, 8);
        for (int i = 0; i < n; i++) {
            run.put(offset + i, (byte) (value >>> (8 * i)));
        }
    }

    @Override
    public void setBytes(byte[] data) {
        check();
        if (data.length != length) {
            throw new IllegalArgumentException("this exit carries " + length + " bytes, got " + data.length);
        }
        run.put(offset, data, 0, length);
    }

    private void check() {
        vcpu.checkGeneration(generation);
    }
}
