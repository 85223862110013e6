package dev.paddock.runtime.arch.x86;

import dev.paddock.hypervisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * 4-level page tables that identity-map the first 1 GiB with 2 MiB pages, at {@link Layout#PML4},
 * {@link Layout#PDPT} and {@link Layout#PD}: the mapping the 64-bit Linux entry requires ("the range with
 * setup_header.init_size from start address of loaded kernel and zero page and command line buffer get ident
 * mapping", boot.rst §64-bit Boot Protocol). Entry bits: Intel SDM Vol. 3A §4.5, Tables 4-15/4-17/4-18.
 */
public final class IdentityPageTables {
    static final long PRESENT = 1;
    static final long WRITABLE = 1 << 1;
    /** PS in a page-directory entry: it maps a 2 MiB page. */
    static final long PAGE_SIZE_2M = 1 << 7;
    static final int ENTRIES = 512;
    static final int PAGE = 4096;
    /** Everything below this guest-physical address is mapped. */
    public static final long MAPPED_BYTES = 1L << 30;

    private IdentityPageTables() {}

    public static void write(GuestMemory memory) {
        ByteBuffer pml4 = page();
        pml4.putLong(0, Layout.PDPT | PRESENT | WRITABLE);
        ByteBuffer pdpt = page();
        pdpt.putLong(0, Layout.PD | PRESENT | WRITABLE);
        ByteBuffer pd = page();
        for (int i = 0; i < ENTRIES; i++) {
            pd.putLong(i * 8, ((long) i << 21) | PRESENT | WRITABLE | PAGE_SIZE_2M);
        }
        memory.write(Layout.PML4, pml4.array(), 0, PAGE);
        memory.write(Layout.PDPT, pdpt.array(), 0, PAGE);
        memory.write(Layout.PD, pd.array(), 0, PAGE);
    }

    private static ByteBuffer page() {
        return ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
    }
}
