package dev.paddock.runtime.virtio.queue;

/**
 * One buffer of a descriptor chain: the guest-physical range [address, address + length).
 *
 * <p>A {@link VirtQueue} only builds these after checking that the whole range lies inside guest RAM, so a
 * device may access it without further checks (guest memory still bounds-checks every access).
 *
 * @param address guest-physical address of the first byte
 * @param length  bytes, 1 to 2^32 - 1 (a descriptor's {@code le32 len}, unsigned)
 */
public record GuestBuffer(long address, long length) {
    public GuestBuffer {
        if (length <= 0 || length > 0xFFFF_FFFFL || address < 0 || address + length < address) {
            throw new IllegalArgumentException(
                    "guest buffer [0x%x, +0x%x) is empty, longer than a descriptor can say, or wraps"
                            .formatted(address, length));
        }
    }
}
