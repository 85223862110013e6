package dev.paddock.runtime.acpi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs ACPICA's {@code iasl} (Debian package {@code acpica-tools}) on table files: {@code -d} to
 * disassemble, plain to compile ASL back to AML. A missing {@code iasl} fails the test with the fix.
 */
final class Iasl {
    private Iasl() {}

    record Result(int exitCode, String output) {}

    /** {@code iasl -d file}; returns the console output and leaves {@code file.dsl} beside it. */
    static Result disassemble(Path table) {
        return run(table.getParent(), "-d", table.getFileName().toString());
    }

    /** The text of the {@code .dsl} that {@link #disassemble} wrote for {@code table}. */
    static String dsl(Path table) throws IOException {
        String name = table.getFileName().toString();
        Path dsl = table.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".dsl");
        assertThat(dsl).as("iasl -d should have written %s", dsl).exists();
        return Files.readString(dsl, StandardCharsets.US_ASCII);
    }

    /** Compiles {@code asl} to {@code outputPrefix.aml} with every optimization off ({@code -oa}). */
    static Result compileUnoptimized(Path asl, String outputPrefix) {
        return run(asl.getParent(), "-oa", "-p", outputPrefix, asl.getFileName().toString());
    }

    static Result run(Path directory, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add("iasl");
        command.addAll(List.of(arguments));
        Process process;
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run iasl (" + e.getMessage() + "): these tests decompile the ACPI tables with ACPICA's iasl; "
                    + "install it with `apt-get install acpica-tools` (dev/test must list acpica-tools among its packages)", e);
        }
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("iasl " + String.join(" ", arguments) + " did not finish in 60 s; output so far:\n" + output);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("reading iasl's output failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for iasl", e);
        }
    }
}
