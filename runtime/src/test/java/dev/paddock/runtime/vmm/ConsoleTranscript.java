package dev.paddock.runtime.vmm;

import dev.paddock.runtime.devices.legacy.ConsoleListener;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Collects a guest's serial console, echoes it to the test log, and notes when (System.nanoTime) each complete line
 * arrived, so a test can both parse the test image's result lines and time the init marker.
 */
final class ConsoleTranscript implements ConsoleListener {
    record Line(String text, long arrivedNanos) {
    }

    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final List<Line> lines = new ArrayList<>();

    @Override
    public synchronized void output(byte[] bytes) {
        long now = System.nanoTime();
        System.out.write(bytes, 0, bytes.length);
        System.out.flush();
        for (byte b : bytes) {
            if (b == '\n') {
                lines.add(new Line(partial.toString(StandardCharsets.UTF_8).replace("\r", ""), now));
                partial.reset();
            } else {
                partial.write(b);
            }
        }
    }

    synchronized List<Line> lines() {
        return List.copyOf(lines);
    }

    /** The first line containing {@code text}. */
    synchronized Optional<Line> find(String text) {
        return lines.stream().filter(l -> l.text().contains(text)).findFirst();
    }

    /** The values of the test image's {@code PADDOCK-TEST key=value} lines, in order. */
    synchronized List<String> results() {
        return lines.stream().map(Line::text).filter(t -> t.contains("PADDOCK-TEST "))
                .map(t -> t.substring(t.indexOf("PADDOCK-TEST ") + "PADDOCK-TEST ".length()).strip()).toList();
    }

    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l.text()).append('\n'));
        return sb.append(partial.toString(StandardCharsets.UTF_8)).toString();
    }
}
