package dev.paddock.loadtests.boot;

import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import dev.paddock.runtime.vmm.GuestRamPool;
import dev.paddock.runtime.vmm.MicroVm;
import dev.paddock.runtime.vmm.VmBuilder;
import dev.paddock.runtime.vmm.VmStop;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One Paddock boot in its own JVM, for {@link BootBenchmark}: builds a VM with the VMM's public builder, streams its
 * serial console to stdout, and when the guest has ended prints
 * {@code PADDOCK-BOOT-TIMING vm-create-to-marker-ms=<ms>}: from just before {@link VmBuilder#create()} to the
 * arrival of the init marker's line on the console listener, and {@code vm-build-ms=<ms>}: how much of that
 * {@link VmBuilder#build()} took (memory, kernel and initrd loading, ACPI, devices, vCPU setup). Exit status 0 only
 * for the guest's own power-off.
 *
 * <p>Options: {@code --kernel K --initrd I --disk D[:ro] --cmdline C --memory-mib M --cpus N [--timeout-s S]}.
 */
public final class PaddockBootOnce {
    private static final byte[] MARKER = GuestReport.MARKER.getBytes(StandardCharsets.US_ASCII);

    private PaddockBootOnce() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        MarkerWatch watch = new MarkerWatch(out);

        Optional<VmStop> stop = bootAndReport(opt, Path.of(require(opt, "kernel")), out, watch, null);
        System.exit(stop.isPresent() && stop.get().reason().isCleanPowerOff() ? 0 : 1);
    }

    /**
     * Builds and boots one VM with the options given and {@code kernel}, waits for it to end, and prints the
     * {@code PADDOCK-BOOT-TIMING} lines: {@code vm-create-to-marker-ms}, {@code vm-build-ms} and {@code stop}.
     */
    static Optional<VmStop> bootAndReport(Map<String, String> opt, Path kernel, PrintStream out, MarkerWatch watch,
                                          GuestRamPool ramPool) throws InterruptedException {
        String disk = require(opt, "disk");
        boolean readOnly = disk.endsWith(":ro");
        Path diskPath = Path.of(readOnly ? disk.substring(0, disk.length() - 3) : disk);
        long createStart = System.nanoTime();
        VmBuilder builder = VmBuilder.create();
        if (ramPool != null) {
            builder.guestRam(ramPool);
        }
        MicroVm vm = builder
                .name("bench")
                .memoryMiB(Long.parseLong(require(opt, "memory-mib")))
                .vcpus(Integer.parseInt(require(opt, "cpus")))
                .kernel(kernel)
                .initrd(Path.of(require(opt, "initrd")))
                .cmdline(require(opt, "cmdline"))
                .attachSerial(watch::output)
                .attachI8042()
                .attachBlock(new BlockDeviceConfig(diskPath, readOnly, "paddock-bench"))
                .attachRng()
                .build();
        long built = System.nanoTime();
        Optional<VmStop> stop;
        try (vm) {
            vm.start();
            stop = vm.awaitStop(Duration.ofSeconds(Long.parseLong(opt.getOrDefault("timeout-s", "180"))));
        }
        out.flush();
        long marker = watch.markerNanos();
        if (marker > 0) {
            out.printf(Locale.ROOT, "%svm-create-to-marker-ms=%.1f%n", ConsoleRun.CHILD_TIMING, (marker - createStart) / 1e6);
            out.printf(Locale.ROOT, "%svm-build-ms=%.1f%n", ConsoleRun.CHILD_TIMING, (built - createStart) / 1e6);
            StringBuilder phases = new StringBuilder();
            vm.buildPhases().forEach((step, nanos) -> phases.append(phases.isEmpty() ? "" : ",")
                    .append(step).append(':').append(String.format(Locale.ROOT, "%.1f", nanos / 1e6)));
            out.printf(Locale.ROOT, "%svm-build-phases-ms=%s%n", ConsoleRun.CHILD_TIMING, phases);
            if (ramPool != null) {
                out.printf(Locale.ROOT, "%svm-ram=%s%n", ConsoleRun.CHILD_TIMING,
                        vm.guestRamWasReady() ? "ready" : "fresh");
            }
        }
        out.printf("%sstop=%s%n", ConsoleRun.CHILD_TIMING, stop.map(VmStop::toString).orElse("TIMEOUT"));
        out.flush();
        return stop;
    }

    static String require(Map<String, String> opt, String name) {
        String v = opt.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is missing (see PaddockBootOnce's Javadoc)");
        }
        return v;
    }

    /** Copies console bytes to stdout and notes when the line holding the marker is complete. */
    static final class MarkerWatch {
        private final PrintStream out;
        private int matched;
        private boolean markerSeen;
        private volatile long markerNanos;

        MarkerWatch(PrintStream out) {
            this.out = out;
        }

        synchronized void output(byte[] bytes) {
            for (byte b : bytes) {
                if (markerNanos == 0) {
                    if (markerSeen && b == '\n') {
                        markerNanos = System.nanoTime();
                    } else if (!markerSeen) {
                        matched = b == MARKER[matched] ? matched + 1 : (b == MARKER[0] ? 1 : 0);
                        markerSeen = matched == MARKER.length;
                    }
                }
            }
            out.write(bytes, 0, bytes.length);
            out.flush();
        }

        long markerNanos() {
            return markerNanos;
        }
    }
}
