package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * An AML name (ACPI 6.5 §20.2.2, "Name Objects Encoding"), written the ASL way: {@code "\\_SB_.V000"},
 * {@code "_HID"}, {@code "^PARN"}.
 *
 * <p>A NameSeg is four characters: a lead of {@code A–Z} or {@code _}, then {@code A–Z}, {@code 0–9} or
 * {@code _}; ASL pads shorter segments with {@code _}, and so do we. The path starts with an optional
 * RootChar {@code \} (0x5C) or any number of ParentPrefixChars {@code ^} (0x5E). One segment is written
 * bare, two after DualNamePrefix (0x2E), three or more after MultiNamePrefix (0x2F) and a count byte;
 * a prefix with no segment ends in NullName (0x00).
 */
public record NameString(String path) implements AmlTerm {

    static final int ROOT_CHAR = 0x5C;
    static final int PARENT_PREFIX_CHAR = 0x5E;
    static final int DUAL_NAME_PREFIX = 0x2E;
    static final int MULTI_NAME_PREFIX = 0x2F;
    static final int NULL_NAME = 0x00;
    /** MultiNamePrefix SegCount is a ByteData, and zero is not allowed (§20.2.2). */
    static final int MAX_SEGMENTS = 255;

    public NameString {
        // Parse once here so a bad name fails where it is built, not when a table is written.
        parse(path);
    }

    public static NameString of(String path) {
        return new NameString(path);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        Parsed parsed = parse(path);
        out.writeBytes(parsed.prefix);
        List<byte[]> segments = parsed.segments;
        switch (segments.size()) {
            case 0 -> out.write(NULL_NAME);
            case 1 -> out.writeBytes(segments.get(0));
            case 2 -> {
                out.write(DUAL_NAME_PREFIX);
                segments.forEach(out::writeBytes);
            }
            default -> {
                out.write(MULTI_NAME_PREFIX);
                out.write(segments.size());
                segments.forEach(out::writeBytes);
            }
        }
    }

    private record Parsed(byte[] prefix, List<byte[]> segments) {}

    private static Parsed parse(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("an AML name cannot be empty: give a NameSeg such as \"_HID\" or a path such as \"\\\\_SB_.V000\"");
        }
        int i = 0;
        ByteArrayOutputStream prefix = new ByteArrayOutputStream();
        if (path.charAt(0) == '\\') {
            prefix.write(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                prefix.write(PARENT_PREFIX_CHAR);
                i++;
            }
        }
        List<byte[]> segments = new ArrayList<>();
        String rest = path.substring(i);
        if (!rest.isEmpty()) {
            for (String segment : rest.split("\\.", -1)) {
                segments.add(nameSeg(segment, path));
            }
        }
        if (segments.isEmpty() && prefix.size() == 0) {
            throw new IllegalArgumentException("AML name \"%s\" has no NameSeg".formatted(path));
        }
        if (segments.size() > MAX_SEGMENTS) {
            throw new IllegalArgumentException("AML name \"%s\" has %d segments; a MultiNamePath holds at most %d (ACPI §20.2.2)"
                    .formatted(path, segments.size(), MAX_SEGMENTS));
        }
        return new Parsed(prefix.toByteArray(), segments);
    }

    private static byte[] nameSeg(String segment, String path) {
        if (segment.isEmpty() || segment.length() > 4) {
            throw new IllegalArgumentException("AML name \"%s\": segment \"%s\" must be 1 to 4 characters (ACPI §20.2.2 NameSeg)"
                    .formatted(path, segment));
        }
        byte[] seg = {'_', '_', '_', '_'};
        for (int k = 0; k < segment.length(); k++) {
            char c = segment.charAt(k);
            boolean lead = (c >= 'A' && c <= 'Z') || c == '_';
            boolean valid = lead || (k > 0 && c >= '0' && c <= '9');
            if (!valid) {
                throw new IllegalArgumentException(("AML name \"%s\": character '%c' in segment \"%s\" is not allowed; a NameSeg is a lead "
                        + "A-Z or _ then A-Z, 0-9 or _ (ACPI §20.2.2)").formatted(path, c, segment));
            }
            seg[k] = (byte) c;
        }
        return seg;
    }
}
