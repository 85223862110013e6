package dev.paddock.vsock.agent.wire;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The frames of guest/PROTOCOL.md §11 ("Worked example"), read from the spec itself so the test and the spec
 * cannot drift apart: each frame is a direction line ({@code host → agent  NAME ...}) followed by hex lines.
 */
record WorkedExample(List<Entry> frames) {
    record Entry(boolean fromHost, String op, Buffer bytes) {
    }

    private static final Pattern HEX_BYTE = Pattern.compile("[0-9a-f]{2}");

    static WorkedExample load() throws IOException {
        Path spec = findSpec();
        String text = Files.readString(spec);
        int start = text.indexOf("## 11. Worked example");
        if (start < 0) {
            throw new IllegalStateException(spec + " has no '## 11. Worked example' section; the test reads its bytes");
        }
        int open = text.indexOf("```", start);
        int close = text.indexOf("```", open + 3);
        List<Entry> entries = new ArrayList<>();
        Entry current = null;
        for (String line : text.substring(open + 3, close).split("\n")) {
            String trimmed = line.trim();
            if (trimmed.startsWith("host → agent") || trimmed.startsWith("agent → host")) {
                if (current != null) {
                    entries.add(current);
                }
                String op = trimmed.substring("host → agent".length()).trim().split("\\s+")[0];
                current = new Entry(trimmed.startsWith("host"), op, Buffer.buffer());
            } else if (current != null && !trimmed.isEmpty()) {
                for (String token : trimmed.split("\\s+")) {
                    if (!HEX_BYTE.matcher(token).matches()) {
                        break; // the rest of the line is a comment
                    }
                    current.bytes().appendByte((byte) Integer.parseInt(token, 16));
                }
            }
        }
        if (current != null) {
            entries.add(current);
        }
        return new WorkedExample(entries);
    }

    Entry get(int index, String expectedOp) {
        Entry e = frames.get(index);
        if (!e.op().equals(expectedOp)) {
            throw new IllegalStateException("worked example frame " + index + " is " + e.op() + ", expected "
                    + expectedOp + "; PROTOCOL.md §11 changed, update this test");
        }
        return e;
    }

    private static Path findSpec() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("guest/PROTOCOL.md");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("guest/PROTOCOL.md not found above " + Path.of("").toAbsolutePath()
                + "; run the tests inside the Paddock repository");
    }
}
