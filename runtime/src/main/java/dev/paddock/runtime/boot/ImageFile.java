package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A kernel or initrd file read by offset, where every read is checked against the file's size first, so a
 * malformed header gives a {@link BootException} naming the field rather than an exception from deep inside.
 */
final class ImageFile implements AutoCloseable {
    /** Copy through a bounded buffer: a 50 MiB vmlinux must not need a 50 MiB heap array. */
    private static final int COPY_CHUNK = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final long size;

    private ImageFile(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    static ImageFile open(Path path, String what) {
        try {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            return new ImageFile(path, channel, channel.size());
        } catch (IOException e) {
            throw new BootException("cannot open the %s %s: %s".formatted(what, path, e), e);
        }
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** Whether [offset, offset+length) lies inside the file (no overflow). */
    boolean covers(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
    }

    /** The bytes at [offset, offset+length), or a BootException naming {@code what} when the file is too short. */
    byte[] read(long offset, int length, String what) {
        requireCovered(offset, length, what);
        byte[] out = new byte[length];
        ByteBuffer buf = ByteBuffer.wrap(out);
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, offset + buf.position());
                if (n < 0) {
                    throw new BootException("%s shrank while being read (%s at 0x%x)".formatted(path, what, offset));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading %s of %s".formatted(what, path), e);
        }
        return out;
    }

    /**
     * Copies [offset, offset+length) of the file to guest-physical {@code gpa}. The caller has checked that
     * the guest range is RAM; this checks the file range.
     */
    void copyTo(GuestMemory memory, long gpa, long offset, long length, String what) {
        requireCovered(offset, length, what);
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_CHUNK, Math.max(length, 1)));
        long done = 0;
        try {
            while (done < length) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), length - done));
                while (buf.hasRemaining()) {
                    int n = channel.read(buf, offset + done + buf.position());
                    if (n < 0) {
                        throw new BootException("%s shrank while being read (%s at 0x%x)".formatted(path, what,
                                offset + done));
                    }
                }
                buf.flip();
                memory.write(gpa + done, buf);
                done += buf.limit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading %s of %s".formatted(what, path), e);
        }
    }

    private void requireCovered(long offset, long length, String what) {
        if (!covers(offset, length)) {
            throw new BootException(("%s is truncated or malformed: %s needs bytes [0x%x, +0x%x) but the file has "
                    + "%d bytes; check that the file is a complete, uncorrupted image")
                    .formatted(path, what, offset, length, size));
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + path, e);
        }
    }
}
