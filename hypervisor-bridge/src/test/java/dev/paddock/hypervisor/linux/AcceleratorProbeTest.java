package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.Accelerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorProbeTest {

    @Test
    void fastKvmIsNative() {
        var r = AcceleratorProbe.decide(new AcceleratorProbe.KvmSpeed(true, true, "ran in 80 µs"), Optional.empty(), false);
        assertThat(r.accelerator()).isEqualTo(Accelerator.NATIVE);
        assertThat(r.reason()).isEqualTo("ran in 80 µs");
    }

    @Test
    void slowOrMissingKvmWithQemuIsEmulated() {
        var r = AcceleratorProbe.decide(AcceleratorProbe.KvmSpeed.unusable("/dev/kvm does not exist"),
                Optional.of("QEMU is installed (/usr/bin/qemu-system-x86_64)"), false);
        assertThat(r.accelerator()).isEqualTo(Accelerator.EMULATED);
        assertThat(r.reason()).isEqualTo("/dev/kvm does not exist; QEMU is installed (/usr/bin/qemu-system-x86_64)");
    }

    @Test
    void noKvmAndNoQemuIsUnavailableAndSaysWhatToInstall() {
        var r = AcceleratorProbe.decide(AcceleratorProbe.KvmSpeed.unusable("/dev/kvm does not exist"),
                Optional.empty(), false);
        assertThat(r.accelerator()).isEqualTo(Accelerator.UNAVAILABLE);
        assertThat(r.reason()).contains("apt-get install qemu-system-x86");
    }

    @Test
    void insideTheHelperVmASlowButWorkingKvmIsNativeNeverEmulated() {
        // A busy L1 under TCG can take longer than the native limit; nesting another helper VM is never the answer.
        var slow = new AcceleratorProbe.KvmSpeed(false, true, "/dev/kvm ran only 4000 of 100000 kernel-mode loop iterations in 150 ms");
        var r = AcceleratorProbe.decide(slow, Optional.of("QEMU is installed (/usr/bin/qemu-system-x86_64)"), true);
        assertThat(r.accelerator()).isEqualTo(Accelerator.NATIVE);
        assertThat(r.reason()).contains("inside Paddock's helper VM").contains("ran only 4000");
    }

    @Test
    void insideTheHelperVmAKvmThatCannotRunGuestsIsUnavailableAndSaysWhy() {
        var r = AcceleratorProbe.decide(AcceleratorProbe.KvmSpeed.unusable("/dev/kvm does not exist"),
                Optional.of("QEMU is installed (/usr/bin/qemu-system-x86_64)"), true);
        assertThat(r.accelerator()).isEqualTo(Accelerator.UNAVAILABLE);
        assertThat(r.reason()).contains("inside Paddock's helper VM").contains("/dev/kvm does not exist")
                .contains("kvm-amd");
    }

    @Test
    void missingDeviceIsNotFast(@TempDir Path dir) {
        var speed = AcceleratorProbe.timeKernelModeLoop(dir.resolve("kvm"));
        assertThat(speed.fast()).isFalse();
        assertThat(speed.runs()).isFalse();
        assertThat(speed.detail()).isEqualTo(dir.resolve("kvm") + " does not exist");
    }

    @Test
    void cacheIsKeyedByBootId(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("state/accel-probe");
        var r = new AcceleratorProbe.Result(Accelerator.EMULATED, "slow kernel-mode code");
        AcceleratorProbe.writeCache(cache, "boot-1", r);
        assertThat(Files.readString(cache)).isEqualTo("boot-1\nemulated\nslow kernel-mode code\n");
        assertThat(AcceleratorProbe.readCache(cache, "boot-1")).get()
                .satisfies(c -> assertThat(c.accelerator()).isEqualTo(Accelerator.EMULATED))
                .satisfies(c -> assertThat(c.reason()).startsWith("slow kernel-mode code"));
        assertThat(AcceleratorProbe.readCache(cache, "boot-2")).isEmpty();
        assertThat(AcceleratorProbe.readCache(dir.resolve("absent"), "boot-1")).isEmpty();
    }

    @Test
    void thisHostIsNotNative() {
        // These machines have no /dev/kvm or a PVM one (RIG.md); the uncached probe must not call that native,
        // and must answer quickly.
        long start = System.nanoTime();
        var r = AcceleratorProbe.probeUncached();
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (!Files.exists(Kvm.DEVICE)) {
            assertThat(r.accelerator()).isNotEqualTo(Accelerator.NATIVE);
        }
        assertThat(millis).as("probe time in ms").isLessThan(1000);
    }
}
