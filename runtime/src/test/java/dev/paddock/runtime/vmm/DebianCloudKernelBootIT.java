package dev.paddock.runtime.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 4's "done when": Debian's stock cloud kernel (guest/test-image) boots on our VMM through both entries, the
 * bzImage (64-bit boot protocol) and the extracted ELF vmlinux (PVH), with its virtio-mmio devices found through
 * ACPI. The image's /init prints a marker, the online CPUs, 16 bytes from /dev/hwrng (virtio-rng) and a known file
 * from an ext4 disk (read-only virtio-blk), then runs {@code poweroff -f}, which must end the VM with a clean
 * power-off reported to the lifecycle listener. Timeouts are generous: in the helper VM (nested KVM under QEMU
 * TCG) QEMU microvm reaches the marker at 1.6–4.4 s of guest uptime.
 */
class DebianCloudKernelBootIT {
    private static final int CPUS = 2;
    private static final int MEMORY_MIB = 256;
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(240);

    private static BootTestImage image;

    @BeforeAll
    static void locateImage() {
        image = BootTestImage.locate();
    }

    @Test
    void bzImageBootsToInitAndPowersOff() throws InterruptedException {
        bootAndCheck("bzImage", image.bzImage());
    }

    @Test
    void pvhVmlinuxBootsToInitAndPowersOff() throws InterruptedException {
        bootAndCheck("PVH", image.pvhVmlinux());
    }

    /** A guest that printed nothing by then hit the known start hang (docs/accelerators.md, issue 4). */
    private static final long FIRST_OUTPUT_SECONDS = 90;

    private static void bootAndCheck(String entry, Path kernel) throws InterruptedException {
        if (!boot(entry, kernel, true)) {
            System.out.printf("DebianCloudKernelBootIT: WARNING: the %s guest printed nothing in %d s (the known start"
                    + " hang of issue 4, docs/accelerators.md); retrying once%n", entry, FIRST_OUTPUT_SECONDS);
            boot(entry, kernel, false);
        }
    }

    /** Returns false only when {@code mayGiveUp} and the guest printed nothing at all within FIRST_OUTPUT_SECONDS. */
    private static boolean boot(String entry, Path kernel, boolean mayGiveUp) throws InterruptedException {
        ConsoleTranscript console = new ConsoleTranscript();
        List<VmStop> stops = new CopyOnWriteArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        VmListener listener = new VmListener() {
            @Override
            public void stopped(VmStop stop) {
                stops.add(stop);
                stopped.countDown();
            }
        };
        long start;
        try (MicroVm vm = VmBuilder.create()
                .name("boot-it-" + entry.toLowerCase())
                .memoryMiB(MEMORY_MIB).vcpus(CPUS)
                .kernel(kernel).initrd(image.initramfs()).cmdline(image.cmdline())
                .attachSerial(console)
                .attachI8042()
                .attachBlock(new BlockDeviceConfig(image.disk(), true, "paddock-test"))
                .attachRng()
                .listener(listener)
                .build()) {
            start = System.nanoTime();
            vm.start();
            if (mayGiveUp) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FIRST_OUTPUT_SECONDS);
                while (console.toString().isEmpty() && stopped.getCount() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                if (console.toString().isEmpty() && stopped.getCount() > 0) {
                    return false;
                }
            }
            boolean ended = stopped.await(BOOT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(ended).as("the %s guest ended within %s; console so far:%n%s", entry, BOOT_TIMEOUT, console).isTrue();
        }
        long end = System.nanoTime();

        String transcript = console.toString();
        assertThat(stops).as("stop events reported for the %s guest; console:%n%s", entry, transcript).hasSize(1);
        assertThat(stops.get(0).reason()).as("how the %s guest ended (%s); console:%n%s", entry, stops.get(0), transcript)
                .isEqualTo(StopReason.GUEST_POWEROFF);

        var marker = console.find("PADDOCK-INIT-MARKER");
        assertThat(marker).as("the init marker on the %s guest's console:%n%s", entry, transcript).isPresent();
        List<String> results = console.results();
        assertThat(results).as("the %s guest's results", entry)
                .noneMatch(r -> r.startsWith("module-error=") || r.startsWith("disk=") || r.startsWith("hwrng=missing"))
                .contains("modules-loaded=7")
                .anyMatch(r -> r.startsWith("cpus-online=" + CPUS + " list=0-" + (CPUS - 1)))
                .anyMatch(r -> r.matches("hwrng=[0-9a-f]{32} source=virtio_rng\\.\\d+"))
                .contains("disk-file=" + image.knownFileContent())
                .anyMatch(r -> r.startsWith("done "));
        String hwrng = results.stream().filter(r -> r.startsWith("hwrng=")).findFirst().orElseThrow();
        assertThat(hwrng).as("16 bytes from /dev/hwrng are not all zero").doesNotStartWith("hwrng=" + "0".repeat(32));

        System.out.printf("DebianCloudKernelBootIT: %s: %s %.3f s after start(), powered off %.3f s after start()%n",
                entry, marker.get().text().trim(), (marker.get().arrivedNanos() - start) / 1e9, (end - start) / 1e9);
        return true;
    }
}
