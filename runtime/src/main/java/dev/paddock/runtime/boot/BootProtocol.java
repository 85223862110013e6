package dev.paddock.runtime.boot;

/** How the boot vCPU enters the kernel. */
public enum BootProtocol {
    /**
     * The 64-bit Linux boot protocol (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): long mode
     * with identity paging, RIP = load address + 0x200, RSI = the zero page.
     */
    LINUX_64,
    /**
     * The PVH boot ABI (xen docs/misc/pvh.pandoc): 32-bit protected mode, paging off, EIP = the ELF note
     * XEN_ELFNOTE_PHYS32_ENTRY, EBX = struct hvm_start_info.
     */
    PVH
}
