package dev.paddock.cli.vmm;

import java.util.Locale;

/** {@code --memory} values: a number of MiB, or with a unit: 512M, 512MiB, 2G, 2GiB. */
final class MemorySize {
    private MemorySize() {
    }

    /** Bytes for {@code text}; throws naming the value and the accepted forms. */
    static long parseBytes(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1L << 20;
        if (t.endsWith("GIB") || t.endsWith("G")) {
            unit = 1L << 30;
            t = t.substring(0, t.length() - (t.endsWith("GIB") ? 3 : 1));
        } else if (t.endsWith("MIB") || t.endsWith("M")) {
            t = t.substring(0, t.length() - (t.endsWith("MIB") ? 3 : 1));
        }
        try {
            long n = Long.parseLong(t);
            if (n <= 0 || n > (1L << 40) / unit) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--memory \"" + text + "\" is not a size; give MiB (512), or 512M, 2G");
        }
    }
}
