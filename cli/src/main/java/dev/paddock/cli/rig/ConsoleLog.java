package dev.paddock.cli.rig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The last lines of the helper VM's serial console, for error messages. */
final class ConsoleLog {
    private ConsoleLog() {}

    static String tail(Path log, int lines) {
        if (!Files.exists(log)) return "  (no console log at " + log + ")";
        try {
            // The console carries raw kernel output; decode leniently.
            String text = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1);
            List<String> all = text.lines().toList();
            List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
            if (last.isEmpty()) return "  (the console log " + log + " is empty)";
            StringBuilder b = new StringBuilder();
            for (String l : last) b.append("  | ").append(l).append('\n');
            return b.toString().stripTrailing();
        } catch (IOException e) {
            return "  (cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    static boolean contains(Path log, String marker) {
        try {
            return Files.exists(log)
                    && new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1).contains(marker);
        } catch (IOException e) {
            return false;
        }
    }
}
