package dev.paddock.hypervisor.x86;

/** The general-purpose registers, RIP and RFLAGS of an x86_64 vCPU (KVM: struct kvm_regs). */
public record Regs(long rax, long rbx, long rcx, long rdx, long rsi, long rdi, long rsp, long rbp,
                   long r8, long r9, long r10, long r11, long r12, long r13, long r14, long r15,
                   long rip, long rflags) {

    /** The order of struct kvm_regs, which is also the order of the record components. */
    public enum Register {
        RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8, R9, R10, R11, R12, R13, R14, R15, RIP, RFLAGS
    }

    /** RFLAGS bit 1 is reserved and always set; this is the architectural reset value. */
    public static final long RFLAGS_RESERVED = 0x2;

    public static Regs fromArray(long[] values) {
        if (values.length != 18) {
            throw new IllegalArgumentException("x86_64 has 18 registers in struct kvm_regs, got " + values.length);
        }
        long[] v = values;
        return new Regs(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
                v[14], v[15], v[16], v[17]);
    }

    public long[] toArray() {
        return new long[] {rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip,
            rflags};
    }

    public long get(Register r) {
        return toArray()[r.ordinal()];
    }

    /** A copy with one register changed. */
    public Regs with(Register r, long value) {
        long[] v = toArray();
        v[r.ordinal()] = value;
        return fromArray(v);
    }
}
