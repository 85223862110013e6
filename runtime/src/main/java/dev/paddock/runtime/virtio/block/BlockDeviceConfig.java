package dev.paddock.runtime.virtio.block;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a virtio-blk device is set up, apart from the device.
 *
 * @param image    a raw disk image file; its size, rounded down to 512-byte sectors, is the capacity
 * @param readOnly offer VIRTIO_BLK_F_RO and fail writes; the file is opened read-only
 * @param id       the serial the guest reads with VIRTIO_BLK_T_GET_ID (/sys/block/vdX/serial): printable
 *                 ASCII, at most {@link BlockConstants#ID_BYTES} bytes
 */
public record BlockDeviceConfig(Path image, boolean readOnly, String id) {
    public BlockDeviceConfig {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(id, "id");
        if (id.length() > BlockConstants.ID_BYTES || !StandardCharsets.US_ASCII.newEncoder().canEncode(id)
                || id.chars().anyMatch(c -> c < 0x20 || c > 0x7E)) {
            throw new IllegalArgumentException("virtio-blk id \"%s\" must be printable ASCII of at most %d bytes"
                    .formatted(id, BlockConstants.ID_BYTES));
        }
    }
}
