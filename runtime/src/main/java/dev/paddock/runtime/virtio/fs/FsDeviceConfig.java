package dev.paddock.runtime.virtio.fs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a virtio-fs device is set up, apart from the device.
 *
 * @param tag        the mount tag the guest names ({@code mount -t virtiofs <tag> <dir>}): 1 to 36 bytes of
 *                   printable ASCII without spaces (virtio 1.2 §5.11.4: tag[36], NUL-padded)
 * @param sharedDir  the host directory to share; confinement keeps the guest inside it
 * @param readOnly   every mutating operation answers EROFS
 * @param queueSize  QueueNumMax of the hiprio and the request queue (a power of two, 2 to 32768); it also
 *                   bounds the requests in flight and, through the guest's max_pages, the I/O size
 * @param workers    host threads that serve this share's requests (the bounded pool)
 * @param agentUid   the guest's {@code agent} user: the host owner of {@code sharedDir} reads as it, and it
 *                   maps back to that owner
 * @param agentGid   the same for the group
 * @param hostInvalidated the host will tell the guest what changed on its side ({@link FsDevice#watchHost}, through
 *                   the sandbox's agent, which also drops the changed files' cached pages): the server then leaves
 *                   FUSE_AUTO_INVAL_DATA out of INIT, so the guest's own writes no longer drop the pages it just
 *                   wrote (docs/devices/virtio-fs.md, "File data"). Without a watcher such a share sees a host edit
 *                   that keeps a file's size only once the guest's pages of it are gone: set it only where
 *                   {@link ShareWatcher#canWatch} says the share can be watched and the guest's agent speaks §13
 */
public record FsDeviceConfig(String tag, Path sharedDir, boolean readOnly, int queueSize, int workers,
                             int agentUid, int agentGid, boolean hostInvalidated) {
    /** virtio_fs_config.tag's size. */
    public static final int TAG_BYTES = 36;
    public static final int DEFAULT_QUEUE_SIZE = 1024;
    public static final int DEFAULT_WORKERS = 4;
    /** The guest image's agent user (guest/image). */
    public static final int DEFAULT_AGENT_ID = 1000;

    public FsDeviceConfig {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(sharedDir, "sharedDir");
        byte[] bytes = tag.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length > TAG_BYTES || tag.chars().anyMatch(c -> c <= 0x20 || c > 0x7E)) {
            throw new IllegalArgumentException("virtio-fs tag \"%s\" must be 1 to %d printable ASCII characters without spaces"
                    .formatted(tag, TAG_BYTES));
        }
        if (queueSize < 2 || queueSize > 32768 || (queueSize & (queueSize - 1)) != 0) {
            throw new IllegalArgumentException("virtio-fs queue size %d is not a power of two in [2, 32768]".formatted(queueSize));
        }
        if (workers < 1 || workers > 64) {
            throw new IllegalArgumentException("virtio-fs worker count %d must be 1 to 64".formatted(workers));
        }
        if (agentUid < 0 || agentGid < 0) {
            throw new IllegalArgumentException("virtio-fs agent uid/gid %d/%d must not be negative".formatted(agentUid, agentGid));
        }
    }

    /** A share with the default queue size, worker count and agent ids, and no host invalidation. */
    public static FsDeviceConfig of(String tag, Path sharedDir, boolean readOnly) {
        return new FsDeviceConfig(tag, sharedDir, readOnly, DEFAULT_QUEUE_SIZE, DEFAULT_WORKERS, DEFAULT_AGENT_ID,
                DEFAULT_AGENT_ID, false);
    }

    /** This share, with {@link #hostInvalidated} as given. */
    public FsDeviceConfig withHostInvalidated(boolean invalidated) {
        return new FsDeviceConfig(tag, sharedDir, readOnly, queueSize, workers, agentUid, agentGid, invalidated);
    }
}
