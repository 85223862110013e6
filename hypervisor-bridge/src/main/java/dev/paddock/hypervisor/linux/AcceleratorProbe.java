package dev.paddock.hypervisor.linux;

import dev.paddock.hypervisor.Accelerator;
import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.VcpuExit;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Segment;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Decides how this host runs Paddock's guests: {@code native}, {@code emulated} or {@code unavailable}.
 *
 * <p>A {@code /dev/kvm} that exists is not enough: on PVM hosts (RIG.md) guest kernel-mode code is
 * instruction-emulated at 1–2 M instructions/s and the vmx/svm flags are absent either way. So the probe
 * runs a real-mode (CPL0) loop of {@value #LOOP_ITERATIONS} iterations in a tiny VM and times it: hardware
 * does it in tens of microseconds, PVM in about 0.1–0.2 s. The run is cut off by a vCPU kick after
 * {@value #BUDGET_MILLIS} ms so the probe stays well under a second. Without a fast {@code /dev/kvm}, the
 * answer is {@code emulated} when QEMU is on the PATH or installable from the host's apt sources.
 *
 * <p>The answer is cached per boot in {@code ${PADDOCK_STATE:-$HOME/.paddock}/accel-probe}, keyed by
 * {@code /proc/sys/kernel/random/boot_id}: hardware and modules do not change without a reboot.
 * {@code main} prints the word on stdout and the reason on stderr; {@code --fresh} ignores the cache.
 */
public final class AcceleratorProbe {

    /** The probe's answer and why, in one line. */
    public record Result(Accelerator accelerator, String reason) {
    }

    static final int LOOP_ITERATIONS = 100_000;
    /** At hardware speed the loop takes ~0.1 ms; 10 ms leaves room for a slow first entry, not for emulation. */
    static final long NATIVE_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final long BUDGET_MILLIS = 150;
    private static final int CODE_GPA = 0x1000;
    private static final int DONE_PORT = 0x10;
    private static final int WARM_UP_PORT = 0x11;
    private static final long TSS_ADDRESS = 0xFFFB_D000L;

    /**
     * Real mode, CS = 0, loaded at 0x1000 (assembled with GNU as, .code16). The first OUT is a warm-up exit,
     * so the timed run excludes VM-entry setup and the first page faults:
     * <pre>
     *   e6 11                out  %al, $0x11
     *   66 b9 a0 86 01 00   mov  $100000, %ecx
     *   66 49             1: dec  %ecx
     *   75 fc                jnz  1b
     *   e6 10                out  %al, $0x10
     *   f4                   hlt
     * </pre>
     */
    private static final byte[] LOOP = {
        (byte) 0xe6, WARM_UP_PORT,
        0x66, (byte) 0xb9, (byte) 0xa0, (byte) 0x86, 0x01, 0x00,
        0x66, 0x49,
        0x75, (byte) 0xfc,
        (byte) 0xe6, DONE_PORT,
        (byte) 0xf4,
    };

    private AcceleratorProbe() {
    }

    public static void main(String[] args) {
        boolean fresh = args.length > 0 && args[0].equals("--fresh");
        Result r = fresh ? probeUncached() : probe();
        System.out.println(r.accelerator().word());
        System.err.println(r.reason());
    }

    /** The cached answer for this boot, probing (and caching) when there is none. */
    public static Result probe() {
        Path cache = stateDirectory().resolve("accel-probe");
        Optional<String> bootId = bootId();
        if (bootId.isPresent()) {
            Optional<Result> cached = readCache(cache, bootId.get());
            if (cached.isPresent()) {
                return cached.get();
            }
        }
        Result r = probeUncached();
        bootId.ifPresent(id -> writeCache(cache, id, r));
        return r;
    }

    /** Probes now, without the cache. */
    public static Result probeUncached() {
        boolean inHelperVm = HelperVmGuest.inside();
        return decide(timeKernelModeLoop(Kvm.DEVICE), inHelperVm ? Optional.empty() : qemuAvailable(), inHelperVm);
    }

    /**
     * The decision, apart from the measurements, so it can be tested. Inside Paddock's helper VM its
     * {@code /dev/kvm} is the answer whatever the loop's time: it is the nested KVM that the emulated accelerator
     * provides, it is slow only when L1 is busy, and there is nowhere faster to go (a helper VM inside the helper
     * VM would be slower still, and would share, and break, the host's rig state).
     */
    static Result decide(KvmSpeed kvm, Optional<String> qemu, boolean inHelperVm) {
        if (kvm.fast()) {
            return new Result(Accelerator.NATIVE, kvm.detail());
        }
        if (inHelperVm) {
            if (kvm.runs()) {
                return new Result(Accelerator.NATIVE, "inside Paddock's helper VM, whose /dev/kvm is the nested KVM of"
                        + " the emulated accelerator (" + kvm.detail() + "; slower than hardware because L1 runs under"
                        + " TCG and is busy, never a reason to nest another helper VM)");
            }
            return new Result(Accelerator.UNAVAILABLE, "inside Paddock's helper VM, but its /dev/kvm cannot run guests ("
                    + kvm.detail() + "); the helper VM's kernel must load kvm-amd: see its console log (paddock rig"
                    + " status, on the host)");
        }
        if (qemu.isPresent()) {
            return new Result(Accelerator.EMULATED, kvm.detail() + "; " + qemu.get());
        }
        return new Result(Accelerator.UNAVAILABLE, kvm.detail()
                + "; and no QEMU to run the helper VM (apt-get install qemu-system-x86)");
    }

    /**
     * What the kernel-mode loop showed: whether /dev/kvm ran the probe guest at all ({@code runs}), fast enough
     * for a guest kernel or not, and why.
     */
    record KvmSpeed(boolean fast, boolean runs, String detail) {
        static KvmSpeed unusable(String detail) {
            return new KvmSpeed(false, false, detail);
        }
    }

    static KvmSpeed timeKernelModeLoop(Path device) {
        if (!Files.exists(device)) {
            return KvmSpeed.unusable(device + " does not exist");
        }
        try (Kvm kvm = Kvm.open(device)) {
            return timeLoop(kvm);
        } catch (HypervisorException e) {
            return KvmSpeed.unusable(e.getMessage());
        }
    }

    private static KvmSpeed timeLoop(Kvm kvm) {
        try (KvmVm vm = kvm.createVm();
                MmapGuestMemory ram = MmapGuestMemory.allocate(new long[] {0, 0x10000})) {
            if (kvm.hasCapability(KvmCapability.SET_TSS_ADDR)) {
                vm.setTssAddress(TSS_ADDRESS);
            }
            vm.mapMemory(ram);
            ram.write(CODE_GPA, LOOP, 0, LOOP.length);
            try (KvmVcpu vcpu = vm.createVcpu(0)) {
                vcpu.setSregs(vcpu.sregs().withSegments(Segment.realMode(0, true), Segment.realMode(0, false)));
                vcpu.setRegs(vcpu.regs().with(Regs.Register.RIP, CODE_GPA)
                        .with(Regs.Register.RFLAGS, Regs.RFLAGS_RESERVED));
                KvmVcpu.prepareKick();
                Thread watchdog = new Thread(() -> {
                    try {
                        Thread.sleep(BUDGET_MILLIS);
                        vcpu.kick();
                    } catch (InterruptedException done) {
                        Thread.currentThread().interrupt();
                    }
                }, "accel-probe-watchdog");
                watchdog.setDaemon(true);
                watchdog.start();
                try {
                    VcpuExit warmUp = vcpu.run();
                    if (!(warmUp instanceof VcpuExit.Io io && io.port() == WARM_UP_PORT)) {
                        return KvmSpeed.unusable("/dev/kvm stopped the probe guest unexpectedly: " + warmUp);
                    }
                    long start = System.nanoTime();
                    VcpuExit exit = vcpu.run();
                    long elapsed = System.nanoTime() - start;
                    return judge(exit, elapsed, vcpu);
                } finally {
                    watchdog.interrupt();
                    watchdog.join();
                }
            }
        } catch (HypervisorException e) {
            return KvmSpeed.unusable("/dev/kvm could not run the probe guest: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return KvmSpeed.unusable("interrupted while timing /dev/kvm");
        }
    }

    private static KvmSpeed judge(VcpuExit exit, long elapsedNanos, KvmVcpu vcpu) {
        double micros = elapsedNanos / 1000.0;
        if (exit instanceof VcpuExit.Io io && io.port() == DONE_PORT) {
            boolean fast = elapsedNanos <= NATIVE_LIMIT_NANOS;
            return new KvmSpeed(fast, true, "/dev/kvm ran %d kernel-mode loop iterations in %.0f µs (%s)".formatted(
                    LOOP_ITERATIONS, micros, fast ? "hardware speed"
                            : "too slow for a guest kernel: kernel-mode code is emulated, as on PVM"));
        }
        if (exit instanceof VcpuExit.Interrupted) {
            long left = vcpu.regs().rcx() & 0xFFFFFFFFL;
            return new KvmSpeed(false, true, ("/dev/kvm ran only %d of %d kernel-mode loop iterations in %d ms: guest"
                    + " kernel code is emulated (as on PVM), too slow to boot Linux")
                    .formatted(LOOP_ITERATIONS - left, LOOP_ITERATIONS, BUDGET_MILLIS));
        }
        return KvmSpeed.unusable("/dev/kvm stopped the probe guest unexpectedly: " + exit);
    }

    /** "qemu-system-x86_64 at PATH" or "qemu-system-x86 installable (candidate V)", or empty. */
    static Optional<String> qemuAvailable() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path exe = Path.of(dir.isEmpty() ? "." : dir, "qemu-system-x86_64");
                if (Files.isExecutable(exe)) {
                    return Optional.of("QEMU is installed (" + exe + ")");
                }
            }
        }
        return aptCandidate("qemu-system-x86").map(v -> "QEMU is installable (apt: qemu-system-x86 " + v + ")");
    }

    private static Optional<String> aptCandidate(String pkg) {
        try {
            Process p = new ProcessBuilder("apt-cache", "policy", pkg).redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            for (String line : out.split("\n")) {
                String t = line.trim();
                if (t.startsWith("Candidate:")) {
                    String v = t.substring("Candidate:".length()).trim();
                    return v.isEmpty() || v.equals("(none)") ? Optional.empty() : Optional.of(v);
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // no apt-cache: not a Debian-family host, so not installable this way
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Path stateDirectory() {
        String state = System.getenv("PADDOCK_STATE");
        if (state != null && !state.isEmpty()) {
            return Path.of(state);
        }
        return Path.of(System.getProperty("user.home"), ".paddock");
    }

    private static Optional<String> bootId() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Cache format: three lines, {@code boot_id}, the word, the reason. */
    static Optional<Result> readCache(Path cache, String bootId) {
        try {
            String[] lines = Files.readString(cache).split("\n", 3);
            if (lines.length == 3 && lines[0].equals(bootId)) {
                for (Accelerator a : Accelerator.values()) {
                    if (a.word().equals(lines[1])) {
                        return Optional.of(new Result(a, lines[2].strip() + " (cached for this boot)"));
                    }
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // no cache yet, or unreadable: probe again
        }
    }

    static void writeCache(Path cache, String bootId, Result r) {
        try {
            Files.createDirectories(cache.getParent());
            Path tmp = Files.createTempFile(cache.getParent(), "accel-probe", ".tmp");
            Files.writeString(tmp, bootId + "\n" + r.accelerator().word() + "\n"
                    + r.reason().replace('\n', ' ') + "\n");
            Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the accelerator probe cache " + cache
                    + " (set PADDOCK_STATE to a writable directory)", e);
        }
    }
}
