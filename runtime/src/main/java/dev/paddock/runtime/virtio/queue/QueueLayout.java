package dev.paddock.runtime.virtio.queue;

/**
 * What the driver wrote into a queue's configuration registers: its size and the guest-physical addresses
 * of its three parts. Nothing here is trusted yet; {@link VirtQueue#activate} checks it.
 *
 * @param size           QueueNum: number of descriptors
 * @param descriptorTable QueueDesc: 16 bytes per descriptor
 * @param availableRing  QueueDriver (the "avail" ring)
 * @param usedRing       QueueDevice (the "used" ring)
 */
public record QueueLayout(int size, long descriptorTable, long availableRing, long usedRing) {
}
