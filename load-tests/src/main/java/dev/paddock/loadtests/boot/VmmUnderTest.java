package dev.paddock.loadtests.boot;

import java.util.ArrayList;
import java.util.List;

/** A VMM the benchmark boots: the command line that boots the test image and streams its console to stdout. */
sealed interface VmmUnderTest {

    String name();

    List<String> command(TestImage image, KernelEntry entry, int memoryMiB, int cpus);

    /** {@code java <options> -cp <class path> <main>}, as a list the caller appends the main's arguments to. */
    private static List<String> java(String javaBinary, List<String> jvmOptions, String classPath, Class<?> main) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classPath, main.getName()));
        return cmd;
    }

    /**
     * QEMU's microvm machine, as RIG.md measured it: virtio-mmio devices described in its ACPI DSDT, no option
     * ROMs, COM1 on stdio, no RTC. Given the ELF vmlinux, QEMU boots it through its PVH note.
     */
    record QemuMicrovm(String binary) implements VmmUnderTest {
        @Override
        public String name() {
            return "qemu-microvm";
        }

        @Override
        public List<String> command(TestImage image, KernelEntry entry, int memoryMiB, int cpus) {
            return List.of(binary, "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=off", "-enable-kvm", "-cpu", "host",
                    "-m", Integer.toString(memoryMiB), "-smp", Integer.toString(cpus),
                    "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                    "-kernel", image.kernel(entry).toString(), "-initrd", image.initramfs().toString(),
                    "-append", image.cmdline(),
                    "-drive", "id=disk0,file=" + image.disk() + ",format=raw,if=none,readonly=on",
                    "-device", "virtio-blk-device,drive=disk0", "-device", "virtio-rng-device");
        }
    }

    /**
     * Paddock's VMM in a fresh JVM per boot ({@link PaddockBootOnce}): the JDK that runs the benchmark, its
     * class path, and the JVM options given (the same a product launcher would use).
     */
    record Paddock(String javaBinary, List<String> jvmOptions, String classPath) implements VmmUnderTest {
        @Override
        public String name() {
            return "paddock";
        }

        @Override
        public List<String> command(TestImage image, KernelEntry entry, int memoryMiB, int cpus) {
            List<String> cmd = java(javaBinary, jvmOptions, classPath, PaddockBootOnce.class);
            cmd.addAll(List.of(
                    "--kernel", image.kernel(entry).toString(), "--initrd", image.initramfs().toString(),
                    "--disk", image.disk() + ":ro", "--cmdline", image.cmdline(),
                    "--memory-mib", Integer.toString(memoryMiB), "--cpus", Integer.toString(cpus)));
            return cmd;
        }
    }
    /**
     * Paddock's VMM as the daemon runs it ({@link PaddockBootServer}): one JVM started once, before any timed run,
     * which boots a fresh VM per request. {@link #command} starts the server; {@link #request} asks for one boot.
     */
    record PaddockDaemon(String javaBinary, List<String> jvmOptions, String classPath) implements VmmUnderTest {
        @Override
        public String name() {
            return "paddock-daemon";
        }

        @Override
        public List<String> command(TestImage image, KernelEntry entry, int memoryMiB, int cpus) {
            List<String> cmd = java(javaBinary, jvmOptions, classPath, PaddockBootServer.class);
            cmd.addAll(List.of(
                    "--initrd", image.initramfs().toString(), "--disk", image.disk() + ":ro", "--cmdline", image.cmdline(),
                    "--memory-mib", Integer.toString(memoryMiB), "--cpus", Integer.toString(cpus)));
            return cmd;
        }

        String request(TestImage image, KernelEntry entry) {
            return PaddockBootServer.REQUEST + image.kernel(entry);
        }
    }
}
