package dev.paddock.runtime.virtio.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw disk image: sector-addressed positional I/O on a {@link FileChannel} (pread/pwrite, safe from
 * several worker threads at once). The capacity is fixed when the image is opened.
 */
final class DiskImage implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final boolean readOnly;
    private final long capacitySectors;

    private DiskImage(Path path, FileChannel channel, boolean readOnly, long capacitySectors) {
        this.path = path;
        this.channel = channel;
        this.readOnly = readOnly;
        this.capacitySectors = capacitySectors;
    }

    static DiskImage open(Path path, boolean readOnly) throws IOException {
        FileChannel channel = readOnly
                ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long sectors = channel.size() >>> BlockConstants.SECTOR_SHIFT;
            if (sectors == 0) {
                throw new IOException("disk image %s is smaller than one 512-byte sector; give a raw image of at least 512 bytes"
                        .formatted(path));
            }
            return new DiskImage(path, channel, readOnly, sectors);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    Path path() {
        return path;
    }

    boolean readOnly() {
        return readOnly;
    }

    /** Whole 512-byte sectors; a trailing partial sector of the file is not part of the disk. */
    long capacitySectors() {
        return capacitySectors;
    }

    /** Fills {@code dst} from byte {@code position}; an end of file before that is an error. */
    void readFully(ByteBuffer dst, long position) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new IOException("disk image %s ended at %d, before byte %d; was it truncated while in use?"
                        .formatted(path, at, position + dst.limit()));
            }
            at += n;
        }
    }

    void writeFully(ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += channel.write(src, at);
        }
    }

    /** fdatasync: the data written so far, and what is needed to read it back, reach the disk. */
    void flush() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
