package dev.paddock.loadtests.boot;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the test image's /init printed (guest/test-image/README.md): the marker line and the {@code PADDOCK-TEST}
 * result lines. {@link #problems()} lists every expectation the boot did not meet, so a run that booted but, say,
 * found no disk is reported as broken rather than timed.
 */
final class GuestReport {
    static final String MARKER = "PADDOCK-INIT-MARKER";
    private static final String RESULT = "PADDOCK-TEST ";

    private final List<String> results = new ArrayList<>();
    private final int expectedCpus;
    private final String expectedDiskFile;
    private String markerLine;

    GuestReport(int expectedCpus, String expectedDiskFile) {
        this.expectedCpus = expectedCpus;
        this.expectedDiskFile = expectedDiskFile;
    }

    /** Takes one console line; returns true when it is the init marker. */
    boolean accept(String line) {
        int marker = line.indexOf(MARKER);
        if (marker >= 0 && markerLine == null) {
            markerLine = line.substring(marker);
            return true;
        }
        int result = line.indexOf(RESULT);
        if (result >= 0) {
            results.add(line.substring(result + RESULT.length()).strip());
        }
        return false;
    }

    /** Guest uptime in seconds when /init printed the marker. */
    Optional<Double> markerUptime() {
        if (markerLine == null) {
            return Optional.empty();
        }
        int eq = markerLine.indexOf("uptime=");
        return eq < 0 ? Optional.empty() : Optional.of(Double.parseDouble(markerLine.substring(eq + 7).strip()));
    }

    List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (markerLine == null) {
            problems.add("no " + MARKER + " line");
        }
        expect(problems, "cpus-online=" + expectedCpus + " ");
        expect(problems, "hwrng=");
        results.stream().filter(r -> r.startsWith("hwrng=") && !r.matches("hwrng=[0-9a-f]{32} .*"))
                .forEach(r -> problems.add("hwrng did not give 16 bytes: " + r));
        expect(problems, "disk-file=" + expectedDiskFile);
        expect(problems, "done ");
        results.stream().filter(r -> r.startsWith("module-error=") || r.startsWith("disk="))
                .forEach(r -> problems.add("guest reported " + r));
        return problems;
    }

    private void expect(List<String> problems, String prefix) {
        if (results.stream().noneMatch(r -> r.startsWith(prefix))) {
            problems.add("no result line starting with \"" + prefix + "\" (got " + results + ")");
        }
    }
}
