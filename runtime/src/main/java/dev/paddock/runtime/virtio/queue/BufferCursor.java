package dev.paddock.runtime.virtio.queue;

import dev.paddock.hypervisor.memory.GuestMemory;
import java.util.List;

/**
 * Sequential access across a chain's buffers in one direction, as if they were one byte stream: a request
 * header may be split over descriptors anywhere (virtio 1.2 §2.6.4, "message framing").
 *
 * <p>Not thread-safe; a device uses one cursor per request on one thread.
 */
public final class BufferCursor {
    private final GuestMemory memory;
    private final List<GuestBuffer> buffers;
    private int buffer;
    private long offsetInBuffer;
    private long remaining;

    public BufferCursor(GuestMemory memory, List<GuestBuffer> buffers) {
        this.memory = memory;
        this.buffers = buffers;
        for (GuestBuffer b : buffers) {
            remaining += b.length();
        }
    }

    /** Bytes left between the cursor and the end of the last buffer. */
    public long remaining() {
        return remaining;
    }

    /** Copies up to {@code length} bytes into {@code dst[offset..]}; returns how many (less at the end). */
    public int read(byte[] dst, int offset, int length) {
        return transfer(dst, offset, length, false);
    }

    /** Copies up to {@code length} bytes from {@code src[offset..]} into the buffers; returns how many. */
    public int write(byte[] src, int offset, int length) {
        return transfer(src, offset, length, true);
    }

    /** Moves forward by up to {@code count} bytes without touching memory; returns how many. */
    public long skip(long count) {
        long done = 0;
        while (done < count && buffer < buffers.size()) {
            long step = Math.min(count - done, buffers.get(buffer).length() - offsetInBuffer);
            advance(step);
            done += step;
        }
        return done;
    }

    private int transfer(byte[] bytes, int offset, int length, boolean toGuest) {
        int done = 0;
        while (done < length && buffer < buffers.size()) {
            GuestBuffer b = buffers.get(buffer);
            int step = (int) Math.min(length - done, b.length() - offsetInBuffer);
            long gpa = b.address() + offsetInBuffer;
            if (toGuest) {
                memory.write(gpa, bytes, offset + done, step);
            } else {
                memory.read(gpa, bytes, offset + done, step);
            }
            advance(step);
            done += step;
        }
        return done;
    }

    private void advance(long step) {
        offsetInBuffer += step;
        remaining -= step;
        if (offsetInBuffer == buffers.get(buffer).length()) {
            buffer++;
            offsetInBuffer = 0;
        }
    }
}
