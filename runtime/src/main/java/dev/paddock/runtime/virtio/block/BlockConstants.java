package dev.paddock.runtime.virtio.block;

/** virtio-blk's wire values, from include/uapi/linux/virtio_blk.h (virtio 1.2 §5.2). */
public final class BlockConstants {
    private BlockConstants() {
    }

    /** Addressing unit of {@code sector} and {@code capacity}, whatever blk_size says (§5.2.6). */
    public static final int SECTOR_SIZE = 512;
    public static final int SECTOR_SHIFT = 9;

    /** VIRTIO_BLK_F_SIZE_MAX: config size_max bounds one segment. */
    public static final int F_SIZE_MAX = 1;
    /** VIRTIO_BLK_F_SEG_MAX: config seg_max bounds the data segments of a request. */
    public static final int F_SEG_MAX = 2;
    /** VIRTIO_BLK_F_RO: the disk is read-only. */
    public static final int F_RO = 5;
    /** VIRTIO_BLK_F_BLK_SIZE: config blk_size is the logical block size. */
    public static final int F_BLK_SIZE = 6;
    /** VIRTIO_BLK_F_FLUSH: VIRTIO_BLK_T_FLUSH is supported (the guest then assumes a write-back cache). */
    public static final int F_FLUSH = 9;

    /** VIRTIO_BLK_T_IN: read sectors. */
    public static final int T_IN = 0;
    /** VIRTIO_BLK_T_OUT: write sectors. */
    public static final int T_OUT = 1;
    /** VIRTIO_BLK_T_FLUSH: make earlier writes durable. */
    public static final int T_FLUSH = 4;
    /** VIRTIO_BLK_T_GET_ID: read the device ID string. */
    public static final int T_GET_ID = 8;

    /** VIRTIO_BLK_S_OK */
    public static final int S_OK = 0;
    /** VIRTIO_BLK_S_IOERR */
    public static final int S_IOERR = 1;
    /** VIRTIO_BLK_S_UNSUPP */
    public static final int S_UNSUPP = 2;

    /** VIRTIO_BLK_ID_BYTES: the ID string's buffer, not necessarily NUL-terminated. */
    public static final int ID_BYTES = 20;

    /** struct virtio_blk_outhdr: le32 type, le32 ioprio, le64 sector. */
    public static final int REQUEST_HEADER_BYTES = 16;

    /** struct virtio_blk_config offsets. */
    public static final int CONFIG_CAPACITY = 0;
    public static final int CONFIG_SIZE_MAX = 8;
    public static final int CONFIG_SEG_MAX = 12;
    public static final int CONFIG_BLK_SIZE = 20;
    /** We expose the config up to and including blk_size; later fields belong to features we do not offer. */
    public static final int CONFIG_BYTES = 24;
}
