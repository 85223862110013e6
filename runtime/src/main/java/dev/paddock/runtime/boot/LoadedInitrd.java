package dev.paddock.runtime.boot;

/** An initrd in guest memory: page-aligned {@code address}, {@code size} bytes. */
public record LoadedInitrd(long address, long size) {
    public long end() {
        return address + size;
    }
}
