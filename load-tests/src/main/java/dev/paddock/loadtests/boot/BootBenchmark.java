package dev.paddock.loadtests.boot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Issue 4's boot benchmark: Paddock against QEMU microvm, the same kernel, initramfs, disk, cmdline, memory and
 * vCPUs, runs alternating (the order flips every round), for the bzImage and the PVH entry. Each run is timed from
 * the VMM's process start to the init marker line on its console, as this JVM reads it. Paddock's runs also
 * report, from inside their JVM, the time from the start of VM creation to the same line. Prints every run, the
 * medians and the Paddock/QEMU ratios. Meant to run inside the helper VM (load-tests/bench-boot.sh).
 *
 * <p>Options: {@code --runs N} (5), {@code --image DIR} ($PADDOCK_STATE/test-image), {@code --memory-mib M} (256),
 * {@code --cpus N} (2), {@code --entries bzimage,pvh}, {@code --vmms qemu,paddock} (add {@code paddock-daemon}: one long-lived VMM JVM, timed from each
 * boot request, as the daemon starts sandboxes; {@code --daemon-jvm-options "..."} for its JVM), {@code --timeout-s S} (180),
 * {@code --qemu BINARY} (qemu-system-x86_64), {@code --paddock-jvm-options "..."} (space-separated), {@code --stage DIR}
 * (copy the image there first, e.g. to the helper VM's own tmpfs, so that no run reads it over the 9p share).
 */
public final class BootBenchmark {
    private static final String KNOWN_FILE = "guest/test-image/disk/paddock-known-file.txt";

    private BootBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        int runs = Integer.parseInt(opt.getOrDefault("runs", "5"));
        int memoryMiB = Integer.parseInt(opt.getOrDefault("memory-mib", "256"));
        int cpus = Integer.parseInt(opt.getOrDefault("cpus", "2"));
        long timeout = Long.parseLong(opt.getOrDefault("timeout-s", "180"));
        TestImage image = TestImage.in(Path.of(opt.getOrDefault("image", TestImage.defaultDir().toString())));
        if (opt.containsKey("stage")) {
            image = image.copyTo(Path.of(opt.get("stage")));
        }
        String diskFile = Files.readString(Path.of(opt.getOrDefault("known-file", KNOWN_FILE))).strip();
        List<KernelEntry> entries = Arrays.stream(opt.getOrDefault("entries", "bzimage,pvh").split(","))
                .map(e -> KernelEntry.valueOf(e.strip().toUpperCase(Locale.ROOT))).toList();

        // Where the boot server's stderr and any JVM crash report go (the working directory may be read-only).
        Path logDir = Path.of(opt.getOrDefault("stage", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(logDir);
        List<VmmUnderTest> vmms = new ArrayList<>();
        for (String v : opt.getOrDefault("vmms", "qemu,paddock").split(",")) {
            switch (v.strip()) {
                case "qemu" -> vmms.add(new VmmUnderTest.QemuMicrovm(opt.getOrDefault("qemu", "qemu-system-x86_64")));
                case "paddock" -> vmms.add(new VmmUnderTest.Paddock(
                        ProcessHandle.current().info().command().orElseThrow(
                                () -> new IllegalStateException("cannot tell which java runs this benchmark")),
                        Arrays.stream(opt.getOrDefault("paddock-jvm-options", "").split(" "))
                                .filter(s -> !s.isBlank()).toList(),
                        System.getProperty("java.class.path")));
                case "paddock-daemon" -> vmms.add(new VmmUnderTest.PaddockDaemon(
                        ProcessHandle.current().info().command().orElseThrow(
                                () -> new IllegalStateException("cannot tell which java runs this benchmark")),
                        java.util.stream.Stream.concat(
                                Arrays.stream(opt.getOrDefault("daemon-jvm-options", "").split(" ")).filter(s -> !s.isBlank()),
                                java.util.stream.Stream.of("-XX:ErrorFile=" + logDir.resolve("paddock-boot-server-hs_err_pid%p.log")))
                                .toList(),
                        System.getProperty("java.class.path")));
                default -> throw new IllegalArgumentException("--vmms: unknown VMM \"" + v
                        + "\"; use qemu, paddock and/or paddock-daemon");
            }
        }

        System.out.printf("boot benchmark: %d runs each, %d MiB, %d vCPUs, entries %s, image %s%ncmdline: %s%n",
                runs, memoryMiB, cpus, entries, image.dir(), image.cmdline());
        Map<KernelEntry, Map<String, List<ConsoleRun.Result>>> results = new EnumMap<>(KernelEntry.class);
        boolean failed = false;
        ServerSlot server = new ServerSlot(logDir);
        for (VmmUnderTest vmm : vmms) {
            if (vmm instanceof VmmUnderTest.PaddockDaemon daemon) {
                // The daemon's JVM starts before any timed run, as Paddock's daemon is up before a sandbox starts.
                server.start(daemon, image, entries.get(0), memoryMiB, cpus, new GuestReport(cpus, diskFile), timeout);
            }
        }
        for (int round = 1; round <= runs; round++) {
            for (KernelEntry entry : entries) {
                List<VmmUnderTest> order = new ArrayList<>(vmms);
                if (round % 2 == 0) {
                    java.util.Collections.reverse(order);
                }
                for (VmmUnderTest vmm : order) {
                    if (vmm instanceof VmmUnderTest.PaddockDaemon daemon && !server.alive()) {
                        // A dead server would fail every later request; a new one boots once uncounted first.
                        server.start(daemon, image, entry, memoryMiB, cpus, new GuestReport(cpus, diskFile), timeout);
                    }
                    ConsoleRun.Result r = vmm instanceof VmmUnderTest.PaddockDaemon daemon
                            ? ConsoleRun.request(server.current(), daemon.request(image, entry), new GuestReport(cpus, diskFile), timeout)
                            : ConsoleRun.run(vmm.command(image, entry, memoryMiB, cpus), new GuestReport(cpus, diskFile), timeout);
                    results.computeIfAbsent(entry, e -> new LinkedHashMap<>())
                            .computeIfAbsent(vmm.name(), n -> new ArrayList<>()).add(r);
                    System.out.printf(Locale.ROOT, "round %d %-7s %-12s marker %s after %s (guest uptime %s), exit %d after %.3f s%s%s%n",
                            round, entry, vmm.name(), seconds(r.startToMarkerNanos()),
                            vmm instanceof VmmUnderTest.PaddockDaemon ? "the boot request" : "process start",
                            r.markerUptime().map(u -> u + " s").orElse("?"), r.exitCode(), r.startToExitNanos() / 1e9,
                            r.childTimings().isEmpty() ? "" : ", " + String.join(", ", r.childTimings()),
                            r.ok() ? "" : "  BROKEN: " + r.problems());
                    if (!r.ok()) {
                        failed = true;
                        System.out.println("---- console tail ----\n" + r.consoleTail() + "----------------------");
                    }
                }
            }
        }
        server.close();
        summarize(results);
        if (server.brokenFirstBoots > 0) {
            System.out.println("boot benchmark: " + server.brokenFirstBoots + " uncounted first boot(s) of a boot server were BROKEN (above)");
            failed = true;
        }
        if (failed) {
            System.out.println("boot benchmark: some runs did not boot correctly (BROKEN above); their figures are not trustworthy");
            System.exit(1);
        }
    }

    /**
     * The benchmark's one boot server, started again (with a fresh stderr file) when it has died. Each start is
     * followed by one boot that is printed and not counted: a fresh JVM's cold boot, which a running daemon is past.
     */
    private static final class ServerSlot {
        private final Path logDir;
        private ConsoleRun.BootServer server;
        private int starts;
        private int brokenFirstBoots;

        ServerSlot(Path logDir) {
            this.logDir = logDir;
        }

        void start(VmmUnderTest.PaddockDaemon daemon, TestImage image, KernelEntry entry, int memoryMiB, int cpus,
                GuestReport report, long timeout) throws Exception {
            if (server != null) {
                System.out.println("paddock-daemon: the boot server is gone (" + server.death() + "); starting another");
            }
            Path stderr = logDir.resolve("paddock-boot-server-" + (++starts) + ".stderr");
            server = ConsoleRun.BootServer.start(daemon.command(image, entry, memoryMiB, cpus), stderr, timeout);
            ConsoleRun.Result first = ConsoleRun.request(server, daemon.request(image, entry), report, timeout);
            System.out.printf(Locale.ROOT, "paddock-daemon: first boot in the fresh daemon JVM #%d (not counted, stderr in %s): marker %s"
                    + " after the request, %s%s%n", starts, stderr, seconds(first.startToMarkerNanos()),
                    String.join(", ", first.childTimings()), first.ok() ? "" : "  BROKEN: " + first.problems());
            if (!first.ok()) {
                brokenFirstBoots++;
                System.out.println("---- console tail ----\n" + first.consoleTail() + "----------------------");
            }
        }

        boolean alive() {
            return server != null && server.alive();
        }

        ConsoleRun.BootServer current() {
            return server;
        }

        void close() throws Exception {
            if (server != null) {
                server.close();
            }
        }
    }

    private static void summarize(Map<KernelEntry, Map<String, List<ConsoleRun.Result>>> results) {
        System.out.println();
        System.out.println("| entry | VMM | median: process start -> marker | median guest uptime at marker | median: VM creation -> marker (in-process) | of which VM build | runs |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (var byEntry : results.entrySet()) {
            for (var byVmm : byEntry.getValue().entrySet()) {
                List<ConsoleRun.Result> rs = byVmm.getValue().stream().filter(ConsoleRun.Result::ok).toList();
                double uptimeNanos = median(rs.stream().flatMap(r -> r.markerUptime().stream()).mapToDouble(d -> d * 1e9).toArray());
                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d |%n", byEntry.getKey(), byVmm.getKey(),
                        seconds(median(rs.stream().mapToDouble(r -> r.startToMarkerNanos()).toArray())), seconds(uptimeNanos),
                        childMedian(rs, "vm-create-to-marker-ms").map(ms -> seconds(ms * 1e6)).orElse("-"),
                        childMedian(rs, "vm-build-ms").map(ms -> seconds(ms * 1e6)).orElse("-"),
                        rs.size());
            }
            Map<String, List<ConsoleRun.Result>> m = byEntry.getValue();
            if (m.containsKey("paddock-daemon") && m.containsKey("qemu-microvm")) {
                double d = median(okOnly(m.get("paddock-daemon")).mapToDouble(r -> r.startToMarkerNanos()).toArray());
                double q = median(okOnly(m.get("qemu-microvm")).mapToDouble(r -> r.startToMarkerNanos()).toArray());
                System.out.printf(Locale.ROOT, "%s: Paddock daemon (from the boot request) / QEMU (from process start) = %.3f%n",
                        byEntry.getKey(), d / q);
            }
            if (m.containsKey("paddock") && m.containsKey("qemu-microvm")) {
                double p = median(okOnly(m.get("paddock")).mapToDouble(r -> r.startToMarkerNanos()).toArray());
                double q = median(okOnly(m.get("qemu-microvm")).mapToDouble(r -> r.startToMarkerNanos()).toArray());
                Optional<Double> inProcess = childMedian(okOnly(m.get("paddock")).toList(), "vm-create-to-marker-ms");
                System.out.printf(Locale.ROOT, "%s: Paddock/QEMU (both from process start) = %.3f%s%n", byEntry.getKey(), p / q,
                        inProcess.map(ms -> String.format(Locale.ROOT, "; Paddock from VM creation / QEMU from process start = %.3f", ms * 1e6 / q)).orElse(""));
            }
        }
    }

    private static java.util.stream.Stream<ConsoleRun.Result> okOnly(List<ConsoleRun.Result> rs) {
        return rs.stream().filter(ConsoleRun.Result::ok);
    }

    private static Optional<Double> childMedian(List<ConsoleRun.Result> rs, String name) {
        double[] values = rs.stream().flatMap(r -> r.childTimings().stream())
                .filter(t -> t.startsWith(name + "=")).mapToDouble(t -> Double.parseDouble(t.substring(name.length() + 1)))
                .toArray();
        return values.length == 0 ? Optional.empty() : Optional.of(median(values));
    }

    /** The median; -1 for no values. */
    static double median(double[] values) {
        if (values.length == 0) {
            return -1;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static String seconds(double nanos) {
        return nanos < 0 ? "?" : String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got \"" + args[i] + "\" (see BootBenchmark's Javadoc)");
            }
            opt.put(args[i].substring(2), args[++i]);
        }
        return opt;
    }
}
