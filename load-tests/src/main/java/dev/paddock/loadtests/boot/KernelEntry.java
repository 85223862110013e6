package dev.paddock.loadtests.boot;

/** How the kernel is entered: the 64-bit boot protocol on the bzImage, or PVH on the extracted ELF vmlinux. */
enum KernelEntry {
    /** vmlinuz: the kernel decompresses itself (LZ4) before it starts. */
    BZIMAGE,
    /** vmlinux with XEN_ELFNOTE_PHYS32_ENTRY: loaded uncompressed, no decompression step. */
    PVH
}
