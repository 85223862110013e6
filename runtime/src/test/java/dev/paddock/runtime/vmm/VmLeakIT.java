package dev.paddock.runtime.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * 100 create/boot/destroy cycles of a 2-vCPU VM with a serial console, an i8042, virtio-rng and a virtio-blk disk
 * (each with its irqfd, ioeventfds, event-loop registrations; the disk with its file and worker pool):
 * afterwards this process has the open fds, Java threads and memory mappings it had before.
 */
@Timeout(600)
class VmLeakIT {
    private static final int CYCLES = 100;
    /** Cycles before the baseline, so class loading, JIT and malloc arenas have settled. */
    private static final int WARM_UP = 5;
    /**
     * The JVM maps and unmaps memory of its own (code cache, GC, malloc arenas of new threads), so mappings get a
     * little slack; a leak of even one mapping per cycle would show as 100 or more (each cycle maps guest RAM and
     * two kvm_run pages).
     */
    private static final int MAPPING_SLACK = 20;

    @TempDir
    static Path dir;
    private static Path disk;

    @Test
    void aHundredVmsReleaseEveryFdThreadAndMapping() throws Exception {
        disk = Files.write(dir.resolve("disk.raw"), new byte[1 << 20]);
        for (int i = 0; i < WARM_UP; i++) {
            cycle(i);
        }
        System.gc();
        long fds = count(Path.of("/proc/self/fd"));
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
        long maps = lines(Path.of("/proc/self/maps"));
        long tasks = count(Path.of("/proc/self/task"));

        long start = System.nanoTime();
        for (int i = 0; i < CYCLES; i++) {
            cycle(i);
            if ((i + 1) % 10 == 0) {
                System.out.printf("VmLeakIT: %d cycles in %.1f s%n", i + 1, (System.nanoTime() - start) / 1e9);
            }
        }
        System.gc();

        long fdsAfter = count(Path.of("/proc/self/fd"));
        int threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
        long mapsAfter = lines(Path.of("/proc/self/maps"));
        long tasksAfter = count(Path.of("/proc/self/task"));
        System.out.printf("VmLeakIT: after %d cycles: fds %d -> %d, Java threads %d -> %d, native threads %d -> %d,"
                + " mappings %d -> %d%n", CYCLES, fds, fdsAfter, threads, threadsAfter, tasks, tasksAfter, maps, mapsAfter);
        assertThat(fdsAfter).as("open fds").isEqualTo(fds);
        // A JDK thread alive at the baseline may have ended since (one did in the helper VM): count no new ones.
        Set<Thread> newThreads = new HashSet<>(Thread.getAllStackTraces().keySet());
        newThreads.removeAll(threadsBefore);
        assertThat(newThreads).as("Java threads started during the cycles and still alive").isEmpty();
        assertThat(threadsAfter).as("Java threads").isLessThanOrEqualTo(threads);
        assertThat(mapsAfter).as("memory mappings").isLessThanOrEqualTo(maps + MAPPING_SLACK);
    }

    private static void cycle(int i) throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        try (MicroVm vm = VmBuilder.create().name("leak" + i).memoryMiB(64).vcpus(2)
                .realModeImage(TinyGuests.image(TinyGuests.HELLO_THEN_RESET))
                .attachSerial(console).attachI8042().attachRng()
                .attachBlock(new BlockDeviceConfig(disk, i % 2 == 0, "leak" + i)).build()) {
            assertThat(vm.virtioTransports()).hasSize(2);
            vm.start();
            VmStop stop = vm.awaitStop(Duration.ofSeconds(60)).orElseThrow(() -> new AssertionError(
                    "cycle " + i + ": no reset in 60 s; console: " + console.text()));
            assertThat(stop.reason()).as("cycle %d: %s", i, stop).isEqualTo(StopReason.GUEST_RESET);
            assertThat(console.text()).isEqualTo(TinyGuests.HELLO);
        }
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static long lines(Path file) throws IOException {
        try (Stream<String> s = Files.lines(file)) {
            return s.count();
        }
    }
}
