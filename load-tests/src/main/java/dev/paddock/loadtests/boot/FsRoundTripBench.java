package dev.paddock.loadtests.boot;

import dev.paddock.runtime.virtio.fs.FsDevice;
import dev.paddock.runtime.virtio.fs.FsDeviceConfig;
import dev.paddock.runtime.vmm.MicroVm;
import dev.paddock.runtime.vmm.VmBuilder;
import dev.paddock.runtime.vmm.VmStop;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where one virtio-fs request's time goes (issue 9): the boot test image (guest/test-image, {@code paddock.fs_stat})
 * mounts a share of {@code --files N} files, lstats them all once, then six more times after the 1 s cache
 * timeouts have lapsed (each a LOOKUP per file, as {@code git status} revalidates its index), and does the same on
 * a tmpfs copy. Printed: the guest's per-pass times on the share and on tmpfs, their ratio, and from inside the
 * VMM the mean time a request spent in the FUSE server and between the device loop popping it and its used entry
 * (hand-offs included). The rest of the guest's per-request wait is exits, interrupts and scheduling.
 *
 * <p>Options: {@code --files N} (400), {@code --image DIR} ($PADDOCK_STATE/test-image), {@code --timeout-s S} (600).
 * Runs inside the helper VM or natively: {@code load-tests/bench-fs-roundtrip.sh}.
 */
public final class FsRoundTripBench {
    private FsRoundTripBench() {
    }

    public static void main(String[] args) throws Exception {
        int files = 400;
        Path imageDir = TestImage.defaultDir();
        long timeout = 600;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--files" -> files = Integer.parseInt(args[i + 1]);
                case "--image" -> imageDir = Path.of(args[i + 1]);
                case "--timeout-s" -> timeout = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (see FsRoundTripBench's Javadoc)");
            }
        }
        TestImage image = TestImage.in(imageDir);
        Path share = Files.createTempDirectory("paddock-fs-roundtrip");
        for (int i = 0; i < files; i++) {
            Files.writeString(share.resolve("f" + i), "x".repeat(i % 100));
        }
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Optional<VmStop> stop;
        FsDevice.Latency latency;
        try (MicroVm vm = VmBuilder.create().name("fs-roundtrip").memoryMiB(256).vcpus(2)
                .kernel(image.bzImage()).initrd(image.initramfs())
                .cmdline(image.cmdline() + " paddock.fs_stat=bench")
                .attachSerial(bytes -> {
                    synchronized (console) {
                        console.writeBytes(bytes);
                    }
                })
                .attachI8042().attachRng()
                .attachFs(FsDeviceConfig.of("bench", share, false))
                .build()) {
            vm.start();
            stop = vm.awaitStop(Duration.ofSeconds(timeout));
            latency = vm.fsDevices().get(0).latency();
        }
        deleteTree(share);
        String text;
        synchronized (console) {
            text = console.toString(StandardCharsets.UTF_8);
        }
        List<String> results = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            if (line.startsWith("PADDOCK-TEST fs-stat")) {
                results.add(line.substring("PADDOCK-TEST ".length()));
            }
        }
        if (stop.isEmpty() || !stop.get().reason().isCleanPowerOff() || results.size() != 2) {
            System.out.println("fs-roundtrip: FAILED (" + stop.map(VmStop::toString).orElse("timeout") + "); console:\n" + text);
            System.exit(1);
        }
        double shareMs = medianPass(results.get(0));
        double localMs = medianPass(results.get(1));
        System.out.println("fs-roundtrip: " + String.join("; ", results) + " (ms per pass of " + files + " lstats)");
        System.out.printf(Locale.ROOT, "fs-roundtrip: median pass share %.0f ms, tmpfs %.0f ms: share/local = %.1f;"
                        + " per lstat on the share %.2f ms%n", shareMs, localMs, shareMs / Math.max(localMs, 1), shareMs / files);
        System.out.printf(Locale.ROOT, "fs-roundtrip: VMM, %d requests: %.0f us mean in the FUSE server, %.0f us mean"
                        + " from pop to used (max %.1f ms)%n", latency.served(), latency.meanHandleMicros(),
                latency.meanServiceMicros(), latency.maxServiceNanos() / 1e6);
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The median of the timed passes in {@code fs-stat-share=400 2469 2189 ...} (the first number is the file count). */
    static double medianPass(String result) {
        String[] f = result.substring(result.indexOf('=') + 1).trim().split("\\s+");
        double[] ms = Arrays.stream(f, 1, f.length).mapToDouble(Double::parseDouble).sorted().toArray();
        return ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
    }
}
