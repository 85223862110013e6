package dev.paddock.hypervisor.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * Host-side forensics over what a guest holds: how often byte strings occur in its RAM or in one of its disk
 * images. The egress tests use it to prove that a secret the host injects on the way out never entered a guest
 * (issue 7, docs/egress.md). RAM is read through {@link GuestMemory}, region by region, so the scan sees exactly the
 * RAM the guest sees and nothing else of the host; pause the VM first, or the count is of a moving target.
 * All needles are counted in one pass; chunks that are all zero (untouched RAM, a sparse disk's holes) are
 * recognised with a vectorised compare and skipped when no needle contains a zero byte.
 */
public final class GuestScan {
    /** Bytes read per step: large enough to amortise the copy, small enough to stay off the heap's large objects. */
    static final int CHUNK = 1 << 20;
    private static final byte[] ZEROS = new byte[CHUNK];

    private GuestScan() {
    }

    /** Occurrences of each needle in all of {@code memory}, overlapping ones included; none across two regions. */
    public static long[] countInMemory(GuestMemory memory, List<byte[]> needles) {
        Scanner scanner = new Scanner(needles);
        for (GuestRegion region : memory.regions()) {
            scanner.restart();
            long end = region.guestAddress() + region.size();
            for (long gpa = region.guestAddress(); gpa < end; ) {
                int n = (int) Math.min(CHUNK, end - gpa);
                memory.read(gpa, scanner.buf, scanner.carried, n);
                scanner.scan(n);
                gpa += n;
            }
        }
        return scanner.hits;
    }

    /** Occurrences of each needle in the file {@code image} (a raw disk image, a log), overlapping ones included. */
    public static long[] countInFile(Path image, List<byte[]> needles) throws IOException {
        Scanner scanner = new Scanner(needles);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            while (true) {
                ByteBuffer into = ByteBuffer.wrap(scanner.buf, scanner.carried, CHUNK);
                int n = 0;
                while (into.hasRemaining()) {
                    int r = ch.read(into);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                if (n == 0) {
                    return scanner.hits;
                }
                scanner.scan(n);
            }
        }
    }

    /**
     * A chunk buffer that keeps the previous chunk's last (longest needle - 1) bytes, so a match across two chunks
     * counts, once.
     */
    private static final class Scanner {
        final List<byte[]> needles;
        final long[] hits;
        final byte[] buf;
        final int keepMax;
        final boolean zeroFree;
        int carried;

        Scanner(List<byte[]> needles) {
            if (needles.isEmpty()) {
                throw new IllegalArgumentException("a scan needs at least one needle");
            }
            int longest = 0;
            boolean anyZero = false;
            for (byte[] needle : needles) {
                if (needle.length == 0 || needle.length > CHUNK) {
                    throw new IllegalArgumentException("a scan needle must be 1.." + CHUNK + " bytes, not " + needle.length);
                }
                longest = Math.max(longest, needle.length);
                for (byte b : needle) {
                    anyZero |= b == 0;
                }
            }
            this.needles = List.copyOf(needles);
            this.hits = new long[needles.size()];
            this.keepMax = longest - 1;
            this.zeroFree = !anyZero;
            this.buf = new byte[CHUNK + keepMax];
        }

        void restart() {
            carried = 0;
        }

        /** {@code n} new bytes were read into {@code buf} after the carried ones. */
        void scan(int n) {
            int filled = carried + n;
            // A match needs a non-zero byte in the new part (it ends there and no needle has a zero byte).
            boolean newPartZero = zeroFree && Arrays.mismatch(buf, carried, filled, ZEROS, 0, n) < 0;
            if (!newPartZero) {
                for (int k = 0; k < needles.size(); k++) {
                    byte[] needle = needles.get(k);
                    // matches wholly inside the carried bytes were counted with the previous chunk
                    int from = Math.max(0, carried - needle.length + 1);
                    hits[k] += occurrences(buf, from, filled, needle);
                }
            }
            int keep = Math.min(keepMax, filled);
            System.arraycopy(buf, filled - keep, buf, 0, keep);
            carried = keep;
        }
    }

    static long occurrences(byte[] haystack, int from, int to, byte[] needle) {
        long hits = 0;
        byte first = needle[0];
        for (int i = from; i + needle.length <= to; i++) {
            if (haystack[i] == first && Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                hits++;
            }
        }
        return hits;
    }
}
