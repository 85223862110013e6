package dev.paddock.runtime.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 100 create/boot/destroy cycles of a 2-vCPU VM with a serial console and an i8042: afterwards this process has
 * the open fds, Java threads and memory mappings it had before.
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

    @Test
    void aHundredVmsReleaseEveryFdThreadAndMapping() throws Exception {
        for (int i = 0; i < WARM_UP; i++) {
            cycle(i);
        }
        System.gc();
        long fds = count(Path.of("/proc/self/fd"));
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        long maps = lines(Path.of("/proc/self/maps"));
        long tasks = count(Path.of("/proc/self/task"));

        for (int i = 0; i < CYCLES; i++) {
            cycle(i);
        }
        System.gc();

        long fdsAfter = count(Path.of("/proc/self/fd"));
        int threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
        long mapsAfter = lines(Path.of("/proc/self/maps"));
        long tasksAfter = count(Path.of("/proc/self/task"));
        System.out.printf("VmLeakIT: after %d cycles: fds %d -> %d, Java threads %d -> %d, native threads %d -> %d,"
                + " mappings %d -> %d%n", CYCLES, fds, fdsAfter, threads, threadsAfter, tasks, tasksAfter, maps, mapsAfter);
        assertThat(fdsAfter).as("open fds").isEqualTo(fds);
        assertThat(threadsAfter).as("Java threads").isEqualTo(threads);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("vm-leak"));
        assertThat(mapsAfter).as("memory mappings").isLessThanOrEqualTo(maps + MAPPING_SLACK);
    }

    private static void cycle(int i) throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        try (MicroVm vm = VmBuilder.create().name("leak" + i).memoryMiB(64).vcpus(2)
                .realModeImage(TinyGuests.image(TinyGuests.HELLO_THEN_RESET))
                .attachSerial(console).attachI8042().build()) {
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
