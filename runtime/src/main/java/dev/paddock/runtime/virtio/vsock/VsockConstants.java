package dev.paddock.runtime.virtio.vsock;

/**
 * virtio-vsock wire values (virtio 1.2 §5.10), from include/uapi/linux/virtio_vsock.h and
 * include/linux/virtio_vsock.h.
 */
final class VsockConstants {
    private VsockConstants() {
    }

    /** Queue indices (§5.10.2): receive (device → driver), transmit (driver → device), events. */
    static final int RX_QUEUE = 0;
    static final int TX_QUEUE = 1;
    static final int EVENT_QUEUE = 2;

    /** VIRTIO_VSOCK_F_STREAM (§5.10.3): stream sockets; without any type bit the device acts as if it was negotiated. */
    static final int F_STREAM = 0;

    /** VMADDR_CID_HOST (include/uapi/linux/vm_sockets.h): the host's context ID. */
    static final long HOST_CID = 2;
    /** The lowest context ID a guest may have: 0 (hypervisor), 1 (local) and 2 (host) are reserved. */
    static final long MIN_GUEST_CID = 3;
    /** CIDs 0xFFFFFFFF (VMADDR_CID_ANY) and above are not usable guest CIDs (the guest stores them as u32). */
    static final long MAX_GUEST_CID = 0xFFFF_FFFEL;

    /** Configuration space: {@code le64 guest_cid} (struct virtio_vsock_config). */
    static final int CONFIG_BYTES = 8;

    /** sizeof(struct virtio_vsock_hdr): the packed 44-byte header of every packet. */
    static final int HEADER_BYTES = 44;
    static final int HDR_SRC_CID = 0;
    static final int HDR_DST_CID = 8;
    static final int HDR_SRC_PORT = 16;
    static final int HDR_DST_PORT = 20;
    static final int HDR_LEN = 24;
    static final int HDR_TYPE = 28;
    static final int HDR_OP = 30;
    static final int HDR_FLAGS = 32;
    static final int HDR_BUF_ALLOC = 36;
    static final int HDR_FWD_CNT = 40;

    /** enum virtio_vsock_type */
    static final int TYPE_STREAM = 1;
    static final int TYPE_SEQPACKET = 2;

    /** enum virtio_vsock_op */
    static final int OP_INVALID = 0;
    static final int OP_REQUEST = 1;
    static final int OP_RESPONSE = 2;
    static final int OP_RST = 3;
    static final int OP_SHUTDOWN = 4;
    static final int OP_RW = 5;
    static final int OP_CREDIT_UPDATE = 6;
    static final int OP_CREDIT_REQUEST = 7;

    /** enum virtio_vsock_shutdown: flags of OP_SHUTDOWN. */
    static final int SHUTDOWN_RCV = 1;
    static final int SHUTDOWN_SEND = 2;
    static final int SHUTDOWN_BOTH = SHUTDOWN_RCV | SHUTDOWN_SEND;

    /** enum virtio_vsock_event_id; struct virtio_vsock_event is one le32 id. */
    static final int EVENT_TRANSPORT_RESET = 0;
    static final int EVENT_BYTES = 4;

    /**
     * VIRTIO_VSOCK_MAX_PKT_BUF_SIZE (include/linux/virtio_vsock.h): Linux never puts more payload than this in
     * one packet, and it is the most one TX packet may carry here.
     */
    static final int MAX_PACKET_PAYLOAD = 64 * 1024;

    static String opName(int op) {
        return switch (op) {
            case OP_REQUEST -> "REQUEST";
            case OP_RESPONSE -> "RESPONSE";
            case OP_RST -> "RST";
            case OP_SHUTDOWN -> "SHUTDOWN";
            case OP_RW -> "RW";
            case OP_CREDIT_UPDATE -> "CREDIT_UPDATE";
            case OP_CREDIT_REQUEST -> "CREDIT_REQUEST";
            default -> "op " + op;
        };
    }
}
