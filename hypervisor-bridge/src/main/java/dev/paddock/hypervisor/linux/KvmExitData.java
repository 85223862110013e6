package dev.paddock.hypervisor.linux;

import com.sun.jna.Pointer;
import dev.paddock.hypervisor.ExitData;

/** The data window of one IO/MMIO exit, inside the vCPU's kvm_run mapping; stale after the next run(). */
final class KvmExitData implements ExitData {
    private final KvmVcpu vcpu;
    private final long generation;
    private final Pointer run;
    private final long offset;
    private final int length;

    /** {@code offset} and {@code length} were validated against the mapping by the caller. */
    KvmExitData(KvmVcpu vcpu, long generation, Pointer run, long offset, int length) {
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
            v |= (run.getByte(offset + i) & 0xFFL) << (8 * i);
        }
        return v;
    }

    @Override
    public byte[] bytes() {
        check();
        return run.getByteArray(offset, length);
    }

    @Override
    public void setValue(long value) {
        check();
        int n = Math.min(length, 8);
        for (int i = 0; i < n; i++) {
            run.setByte(offset + i, (byte) (value >>> (8 * i)));
        }
    }

    @Override
    public void setBytes(byte[] data) {
        check();
        if (data.length != length) {
            throw new IllegalArgumentException("this exit carries " + length + " bytes, got " + data.length);
        }
        run.write(offset, data, 0, length);
    }

    private void check() {
        vcpu.checkGeneration(generation);
    }
}
