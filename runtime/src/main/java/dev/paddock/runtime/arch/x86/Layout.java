package dev.paddock.runtime.arch.x86;

/**
 * Where things live in an x86_64 Paddock guest's physical address space: one table that the loaders,
 * the ACPI builder, the device manager and the e820 map all read, so they can never disagree.
 *
 * <p>The low-memory plan follows the usual microVM layout (Linux boot protocol §"The 64-bit boot
 * protocol", the PVH ABI, and ACPI 6.x §5.2.5 for where an RSDP may live).
 */
public final class Layout {
    private Layout() {}

    /** GDT with null, code, data and TSS descriptors. */
    public static final long GDT = 0x500;
    /** An empty IDT (limit 0): the kernel installs its own before enabling interrupts. */
    public static final long IDT = 0x520;
    /** PVH's struct hvm_start_info, then its memory map and module list. */
    public static final long PVH_INFO = 0x6000;
    /** The Linux zero page (struct boot_params). */
    public static final long ZERO_PAGE = 0x7000;
    /** Initial stack pointer for the boot vCPU. */
    public static final long BOOT_STACK = 0x8FF0;
    /** Identity-map page tables: PML4, PDPT, PD (first 1 GiB in 2 MiB pages). */
    public static final long PML4 = 0x9000;
    public static final long PDPT = 0xA000;
    public static final long PD = 0xB000;
    /** The kernel command line, NUL-terminated. */
    public static final long CMDLINE = 0x20000;
    public static final int CMDLINE_MAX = 4096;
    /** End of conventional low RAM (e820 usable [0, EBDA_START)). */
    public static final long EBDA_START = 0x9FC00;
    /** ACPI tables other than the RSDP: XSDT, FADT, MADT, DSDT, in [ACPI_TABLES, RSDP). */
    public static final long ACPI_TABLES = 0xA0000;
    /** The RSDP, in the BIOS read-only area where the kernel's legacy scan also finds it (ACPI §5.2.5.1). */
    public static final long RSDP = 0xE0000;
    /** Start of high RAM and the default load address of a non-relocated kernel. */
    public static final long HIMEM_START = 0x100000;

    /** The 32-bit MMIO hole: guest RAM never covers [MMIO_HOLE_START, 4 GiB). */
    public static final long MMIO_HOLE_START = 0xC000_0000L;
    public static final long MMIO_HOLE_END = 0x1_0000_0000L;
    /** virtio-mmio slots: 4 KiB each from here, one GSI each from FIRST_DEVICE_GSI. */
    public static final long VIRTIO_MMIO_BASE = 0xC000_1000L;
    public static final long VIRTIO_MMIO_SIZE = 0x1000;
    public static final int FIRST_DEVICE_GSI = 5;
    /** IOAPIC has 24 pins (GSI 0..23). */
    public static final int LAST_DEVICE_GSI = 23;
    /** Local APIC and IOAPIC default addresses (MADT). */
    public static final long LAPIC_ADDRESS = 0xFEE0_0000L;
    public static final long IOAPIC_ADDRESS = 0xFEC0_0000L;
    /** KVM's TSS (three pages) just below the IOAPIC region, out of guest RAM (KVM_SET_TSS_ADDR). */
    public static final long KVM_TSS_ADDRESS = 0xFFFB_D000L;

    /** COM1 (8250) ports and ISA IRQ. */
    public static final int COM1_PORT = 0x3F8;
    public static final int COM1_IRQ = 4;
    /** i8042 ports: data 0x60, command/status 0x64. */
    public static final int I8042_DATA_PORT = 0x60;
    public static final int I8042_COMMAND_PORT = 0x64;

    /**
     * Guest RAM regions for {@code memoryBytes} of RAM: below the MMIO hole first, the rest from 4 GiB.
     * Each entry is {@code {guestAddress, size}}, as the GuestMemory providers take them.
     */
    public static long[][] ramRegions(long memoryBytes) {
        if (memoryBytes <= 0 || (memoryBytes & 0xFFF) != 0) {
            throw new IllegalArgumentException("guest memory of %d bytes is not a positive multiple of 4 KiB".formatted(memoryBytes));
        }
        if (memoryBytes <= MMIO_HOLE_START) {
            return new long[][] {{0, memoryBytes}};
        }
        return new long[][] {{0, MMIO_HOLE_START}, {MMIO_HOLE_END, memoryBytes - MMIO_HOLE_START}};
    }
}
