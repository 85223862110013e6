package dev.paddock.runtime.virtio.vsock;

import java.time.Duration;
import java.util.Objects;

/**
 * How a virtio-vsock device is set up, apart from the device.
 *
 * @param guestCid       the guest's context ID ({@code le64 guest_cid} in config space): 3 to 0xFFFFFFFE (0, 1
 *                       and 2 are reserved, 2 being the host; Linux keeps a CID in 32 bits)
 * @param queueSize      QueueNumMax of each of the three queues (a power of two)
 * @param maxStreams     the most streams open at once in this VM, either direction, connecting ones included;
 *                       a guest REQUEST beyond it gets a RST, a host connect fails
 * @param sendHighWater  per stream: bytes queued host → guest at which {@link VsockStream#write} returns false
 * @param sendLowWater   per stream: bytes queued at or below which {@link VsockPeer#onWritable} fires after a
 *                       {@code false} from {@code write}; below {@code sendHighWater}
 * @param bufAlloc       the receive buffer the device advertises to the guest ({@code buf_alloc}): the most bytes
 *                       the guest may have sent that the host has not yet {@linkplain VsockStream#consumed consumed}
 * @param connectTimeout how long a host-initiated connect waits for the guest's RESPONSE
 */
public record VsockDeviceConfig(long guestCid, int queueSize, int maxStreams, int sendHighWater, int sendLowWater,
                                int bufAlloc, Duration connectTimeout) {

    /** 256-entry queues, 1024 streams, 256 KiB high / 64 KiB low water, 256 KiB buf_alloc, 2 s connect timeout. */
    public static VsockDeviceConfig withCid(long guestCid) {
        return new VsockDeviceConfig(guestCid, 256, 1024, 256 * 1024, 64 * 1024, 256 * 1024, Duration.ofSeconds(2));
    }

    public VsockDeviceConfig {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (guestCid < VsockConstants.MIN_GUEST_CID || guestCid > VsockConstants.MAX_GUEST_CID) {
            throw new IllegalArgumentException("virtio-vsock guest CID %d is outside [3, 4294967294]: 0, 1 and 2 are reserved (2 is the host)"
                    .formatted(guestCid));
        }
        if (queueSize < 1 || queueSize > 32768 || (queueSize & (queueSize - 1)) != 0) {
            throw new IllegalArgumentException("virtio-vsock queue size %d is not a power of two in [1, 32768]".formatted(queueSize));
        }
        if (maxStreams < 1) {
            throw new IllegalArgumentException("virtio-vsock maxStreams %d must be at least 1".formatted(maxStreams));
        }
        if (sendHighWater < 1 || sendLowWater < 0 || sendLowWater >= sendHighWater) {
            throw new IllegalArgumentException("virtio-vsock send water marks low %d / high %d: need 0 <= low < high"
                    .formatted(sendLowWater, sendHighWater));
        }
        if (bufAlloc < 1) {
            throw new IllegalArgumentException("virtio-vsock bufAlloc %d must be at least 1 byte".formatted(bufAlloc));
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("virtio-vsock connect timeout %s must be positive".formatted(connectTimeout));
        }
    }

    /** This config with another CID (e.g. one per sandbox). */
    public VsockDeviceConfig withGuestCid(long cid) {
        return new VsockDeviceConfig(cid, queueSize, maxStreams, sendHighWater, sendLowWater, bufAlloc, connectTimeout);
    }
}
