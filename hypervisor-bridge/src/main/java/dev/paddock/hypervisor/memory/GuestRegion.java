package dev.paddock.hypervisor.memory;

import java.util.OptionalLong;

/**
 * One contiguous range of guest RAM, as a hypervisor maps it into a VM.
 *
 * @param guestAddress first guest-physical address of the range
 * @param size         length in bytes (page-aligned for mmap-backed regions)
 * @param hostAddress  the host virtual address backing it when the region lives in mmap'd memory
 *                     (what {@code KVM_SET_USER_MEMORY_REGION} needs); empty for heap-backed regions,
 *                     which exist only for device tests and can never be given to a hypervisor
 */
public record GuestRegion(long guestAddress, long size, OptionalLong hostAddress) {
    public GuestRegion {
        if (guestAddress < 0 || size <= 0 || guestAddress + size < guestAddress) {
            throw new IllegalArgumentException(
                    "guest region [0x%x, +0x%x) is empty or wraps the address space".formatted(guestAddress, size));
        }
    }

    /** One past the last guest-physical address of the range. */
    public long end() {
        return guestAddress + size;
    }

    public boolean contains(long gpa) {
        return gpa >= guestAddress && gpa - guestAddress < size;
    }
}
