package dev.paddock.runtime.arch.x86;

import dev.paddock.hypervisor.x86.MsrEntry;
import java.util.List;

/**
 * The model-specific registers every vCPU starts with: the syscall/sysenter MSRs and the TSC zeroed (no state
 * left from the host's view of the CPU), fast strings on, and MTRRs enabled with write-back as the default
 * memory type (without it Linux maps all RAM uncached). MSR numbers: arch/x86/include/asm/msr-index.h.
 */
public final class BootMsrs {
    public static final int IA32_TSC = 0x0000_0010;
    public static final int IA32_SYSENTER_CS = 0x0000_0174;
    public static final int IA32_SYSENTER_ESP = 0x0000_0175;
    public static final int IA32_SYSENTER_EIP = 0x0000_0176;
    public static final int IA32_MISC_ENABLE = 0x0000_01A0;
    public static final int MTRR_DEF_TYPE = 0x0000_02FF;
    public static final int STAR = 0xC000_0081;
    public static final int LSTAR = 0xC000_0082;
    public static final int CSTAR = 0xC000_0083;
    public static final int SYSCALL_MASK = 0xC000_0084;
    public static final int KERNEL_GS_BASE = 0xC000_0102;
    /** MSR_IA32_MISC_ENABLE_FAST_STRING_BIT 0. */
    public static final long MISC_ENABLE_FAST_STRING = 1L;
    /** MTRRdefType: E (bit 11) enables MTRRs; type 6 = write-back (Intel SDM Vol. 3A §11.11.2.1). */
    public static final long MTRR_ENABLE = 1L << 11;
    public static final long MTRR_TYPE_WRITEBACK = 6;

    private BootMsrs() {}

    public static List<MsrEntry> entries() {
        return List.of(
                new MsrEntry(IA32_SYSENTER_CS, 0),
                new MsrEntry(IA32_SYSENTER_ESP, 0),
                new MsrEntry(IA32_SYSENTER_EIP, 0),
                new MsrEntry(STAR, 0),
                new MsrEntry(CSTAR, 0),
                new MsrEntry(KERNEL_GS_BASE, 0),
                new MsrEntry(SYSCALL_MASK, 0),
                new MsrEntry(LSTAR, 0),
                new MsrEntry(IA32_TSC, 0),
                new MsrEntry(IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING),
                new MsrEntry(MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WRITEBACK));
    }
}
