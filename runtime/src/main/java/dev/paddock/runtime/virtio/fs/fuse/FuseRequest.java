package dev.paddock.runtime.virtio.fs.fuse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One FUSE request: the decoded {@code fuse_in_header} and a bounded reader over the op's input after it.
 * Every read is checked against what the guest actually sent; a short input is EINVAL, never an exception
 * that escapes.
 */
final class FuseRequest {
    final int opcode;
    final long unique;
    final long nodeId;
    final int uid;
    final int gid;
    final int pid;
    private final ByteBuffer body;

    private FuseRequest(int opcode, long unique, long nodeId, int uid, int gid, int pid, ByteBuffer body) {
        this.opcode = opcode;
        this.unique = unique;
        this.nodeId = nodeId;
        this.uid = uid;
        this.gid = gid;
        this.pid = pid;
        this.body = body;
    }

    /**
     * Decodes the header of {@code raw} (all the readable bytes of a request).
     *
     * @throws FsErrnoException EINVAL when the header is short or its len disagrees with what arrived
     */
    static FuseRequest parse(ByteBuffer raw) throws FsErrnoException {
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        // GUEST-CONTROLLED: the header must be whole, and its len must cover itself and lie within what arrived
        // (the kernel sends exactly len bytes; trailing bytes beyond len are ignored).
        if (b.remaining() < FuseProtocol.IN_HEADER_BYTES) {
            throw new FsErrnoException(Errno.EINVAL, "request of " + b.remaining() + " bytes, shorter than fuse_in_header");
        }
        int start = b.position();
        long len = b.getInt(start) & 0xFFFF_FFFFL;
        if (len < FuseProtocol.IN_HEADER_BYTES || len > b.remaining()) {
            throw new FsErrnoException(Errno.EINVAL, "fuse_in_header.len " + len + " outside [40, " + b.remaining() + "]");
        }
        ByteBuffer body = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        body.position(start + FuseProtocol.IN_HEADER_BYTES).limit(start + (int) len);
        return new FuseRequest(b.getInt(start + 4), b.getLong(start + 8), b.getLong(start + 16),
                b.getInt(start + 24), b.getInt(start + 28), b.getInt(start + 32), body.slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Reads just the unique id, for answering a request whose header is otherwise unusable. */
    static long uniqueOf(ByteBuffer raw) {
        return raw.remaining() >= 16 ? raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(raw.position() + 8) : 0;
    }

    int remaining() {
        return body.remaining();
    }

    private void need(int bytes, String what) throws FsErrnoException {
        // GUEST-CONTROLLED: an op's fixed input must be all there.
        if (body.remaining() < bytes) {
            throw new FsErrnoException(Errno.EINVAL, what + " needs " + bytes + " bytes, " + body.remaining() + " left");
        }
    }

    int u32(String what) throws FsErrnoException {
        need(4, what);
        return body.getInt();
    }

    long u64(String what) throws FsErrnoException {
        need(8, what);
        return body.getLong();
    }

    void skip(int bytes, String what) throws FsErrnoException {
        need(bytes, what);
        body.position(body.position() + bytes);
    }

    /**
     * A NUL-terminated byte string of at most {@code max} bytes (without the NUL).
     *
     * @throws FsErrnoException EINVAL when no NUL ends it within the input, ENAMETOOLONG past {@code max}
     */
    byte[] cstring(int max) throws FsErrnoException {
        int from = body.position();
        int end = -1;
        // GUEST-CONTROLLED: the string must end inside the request, within max bytes.
        int limit = Math.min(body.limit(), from + max + 1);
        for (int i = from; i < limit; i++) {
            if (body.get(i) == 0) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new FsErrnoException(limit < body.limit() || body.limit() - from > max ? Errno.ENAMETOOLONG : Errno.EINVAL,
                    "string without a NUL within " + max + " bytes");
        }
        byte[] s = new byte[end - from];
        body.get(s);
        body.get(); // the NUL
        return s;
    }

    /** A name: one path component (see {@link FuseNames}). */
    byte[] name() throws FsErrnoException {
        return FuseNames.component(cstring(FuseProtocol.NAME_MAX));
    }

    /** The rest of the input, for WRITE's payload: exactly {@code count} bytes must be there. */
    byte[] payload(int count) throws FsErrnoException {
        need(count, "payload");
        byte[] data = new byte[count];
        body.get(data);
        return data;
    }
}
