package dev.paddock.hypervisor.x86;

/**
 * A segment register's hidden descriptor cache (KVM: struct kvm_segment). {@code type} is the 4-bit
 * descriptor type (e.g. 0xB execute/read accessed code, 0x3 read/write accessed data).
 */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl, boolean db,
                      boolean s, boolean l, boolean g, boolean avl, boolean unusable) {

    /** A real-mode segment: base = selector × 16, 64 KiB limit. */
    public static Segment realMode(int selector, boolean code) {
        return new Segment((long) selector << 4, 0xFFFF, selector, code ? 0xB : 0x3, true, 0, false, true, false,
                false, false, false);
    }

    /** A flat 64-bit code segment (L=1) at the given privilege level. */
    public static Segment longModeCode(int selector, int dpl) {
        return new Segment(0, 0xFFFFFFFF, selector, 0xB, true, dpl, false, true, true, true, false, false);
    }

    /** A flat data segment at the given privilege level. */
    public static Segment flatData(int selector, int dpl) {
        return new Segment(0, 0xFFFFFFFF, selector, 0x3, true, dpl, true, true, false, true, false, false);
    }
}
