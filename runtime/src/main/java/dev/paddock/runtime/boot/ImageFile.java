package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestMemoryException;
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
        ByteBuffer bounce = null;
        long done = 0;
        try {
            while (done < length) {
                int n = (int) Math.min(COPY_CHUNK, length - done);
                // The file is read straight into guest RAM (one copy, by the kernel); a heap buffer in between
                // cost two more copies of every byte (the JDK's temporary direct buffer, then into RAM). The
                // warm PVH build in the helper VM did not get measurably faster from this (docs/performance.md):
                // its time goes elsewhere.
                ByteBuffer dst = directView(memory, gpa + done, n);
                if (dst == null) {
                    bounce = bounce != null ? bounce : ByteBuffer.allocate((int) Math.min(COPY_CHUNK, length));
                    bounce.clear().limit(n);
                    dst = bounce;
                }
                while (dst.hasRemaining()) {
                    int r = channel.read(dst, offset + done + dst.position());
                    if (r < 0) {
                        throw new BootException("%s shrank while being read (%s at 0x%x)".formatted(path, what,
                                offset + done));
                    }
                }
                if (dst == bounce) {
                    memory.write(gpa + done, bounce.flip());
                }
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading %s of %s".formatted(what, path), e);
        }
    }

    /** A view of guest RAM to read into, or null where the range straddles two of the memory's buffers. */
    private static ByteBuffer directView(GuestMemory memory, long gpa, int length) {
        try {
            return memory.slice(gpa, length);
        } catch (GuestMemoryException e) {
            return null;
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
