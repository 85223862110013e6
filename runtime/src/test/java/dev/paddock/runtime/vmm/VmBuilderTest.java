package dev.paddock.runtime.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation only: building needs /dev/kvm, which the ITs exercise. */
class VmBuilderTest {
    @TempDir
    Path dir;

    @Test
    void vcpusMustBeOneTo254() {
        assertThatThrownBy(() -> VmBuilder.create().vcpus(0)).isInstanceOf(VmConfigException.class)
                .hasMessage("vcpus = 0: a VM has 1 to 254 vCPUs");
        assertThatThrownBy(() -> VmBuilder.create().vcpus(255)).hasMessageContaining("vcpus = 255");
        assertThat(VmBuilder.create().vcpus(254).memoryMiB(64).config()).isEqualTo(new VmConfig(64L << 20, 254));
    }

    @Test
    void memoryMustBeAtLeast64MiBInWholeMiB() {
        assertThatThrownBy(() -> VmBuilder.create().memoryMiB(63))
                .hasMessage("memory = 66060288 bytes (63 MiB): a VM needs at least 64 MiB");
        assertThatThrownBy(() -> VmBuilder.create().memory((64L << 20) + 4096))
                .hasMessageContaining("not a whole number of MiB; round it to 65 MiB");
        assertThat(VmBuilder.create().memory(8L << 30).config().memoryMiB()).isEqualTo(8192);
    }

    @Test
    void aMissingKernelFileIsNamed() {
        Path missing = dir.resolve("vmlinuz");
        assertThatThrownBy(() -> VmBuilder.create().kernel(missing).build())
                .isInstanceOf(VmConfigException.class)
                .hasMessageContaining("kernel file " + missing + " does not exist");
    }

    @Test
    void aMissingInitrdIsNamed() throws Exception {
        Path kernel = Files.write(dir.resolve("vmlinuz"), new byte[] {1});
        Path initrd = dir.resolve("initrd.img");
        assertThatThrownBy(() -> VmBuilder.create().kernel(kernel).initrd(initrd).build())
                .hasMessageContaining("initrd file " + initrd + " does not exist");
        assertThatThrownBy(() -> VmBuilder.create().kernel(dir).build())
                .hasMessageContaining("is not a readable regular file");
    }

    @Test
    void somethingMustBootAndOnlyOneThing() {
        assertThatThrownBy(() -> VmBuilder.create().build()).hasMessageContaining("nothing to boot");
        RealModeImage image = new RealModeImage(new byte[] {(byte) 0xF4}, 0x1000);
        assertThatThrownBy(() -> VmBuilder.create().kernel(dir.resolve("k")).realModeImage(image).bootSource())
                .hasMessageContaining("choose one");
        assertThatThrownBy(() -> VmBuilder.create().initrd(dir.resolve("i")).bootSource())
                .hasMessageContaining("without a kernel");
        assertThatThrownBy(() -> VmBuilder.create().realModeImage(image).cmdline("quiet").bootSource())
                .hasMessageContaining("needs a kernel");
        assertThat(VmBuilder.create().realModeImage(image).bootSource()).isEqualTo(image);
    }

    @Test
    void theCommandLineMustFitAndBePrintable() {
        Path k = dir.resolve("k");
        assertThatThrownBy(() -> VmBuilder.create().kernel(k).cmdline("x".repeat(4096)).bootSource())
                .hasMessage("the kernel command line is 4096 bytes; at most 4095 fit");
        assertThatThrownBy(() -> VmBuilder.create().kernel(k).cmdline("a\nb").bootSource())
                .hasMessageContaining("printable ASCII");
        assertThat(VmBuilder.create().kernel(k).cmdline("console=ttyS0").bootSource())
                .isEqualTo(new KernelConfig(k, java.util.Optional.empty(), "console=ttyS0"));
    }

    @Test
    void aRealModeImageMustBeReachableWithCsZero() {
        assertThatThrownBy(() -> new RealModeImage(new byte[16], 0xFFF8)).hasMessageContaining("must lie within");
        assertThatThrownBy(() -> new RealModeImage(new byte[1], 0x100)).hasMessageContaining("must lie within");
        assertThatThrownBy(() -> new RealModeImage(new byte[0], 0x1000)).hasMessageContaining("at least one byte");
    }

    @Test
    void theSerialConsoleAttachesOnce() {
        VmBuilder b = VmBuilder.create().attachSerial(bytes -> { });
        assertThatThrownBy(() -> b.attachSerial(bytes -> { })).hasMessageContaining("called twice");
    }

    @Test
    void theI8042AttachesOnce() {
        VmBuilder b = VmBuilder.create().attachI8042();
        assertThatThrownBy(b::attachI8042).hasMessageContaining("one PS/2 controller");
    }

    @Test
    void atMostNineteenVirtioDevicesFitTheSlots() {
        VmBuilder b = VmBuilder.create();
        for (int i = 0; i < 19; i++) {
            b.attachRng();
        }
        assertThatThrownBy(b::attachRng).isInstanceOf(VmConfigException.class)
                .hasMessage("cannot attach virtio-rng: all 19 virtio-mmio slots (GSIs 5..23) are taken");
    }

    @Test
    void aVirtioFsShareTakesASlotLikeAnyVirtioDevice() {
        VmBuilder b = VmBuilder.create();
        for (int i = 0; i < 18; i++) {
            b.attachRng();
        }
        b.attachFs(dev.paddock.runtime.virtio.fs.FsDeviceConfig.of("workspace", java.nio.file.Path.of("/tmp"), true));
        assertThatThrownBy(() -> b.attachFs(dev.paddock.runtime.virtio.fs.FsDeviceConfig.of("second", java.nio.file.Path.of("/tmp"), false)))
                .isInstanceOf(VmConfigException.class)
                .hasMessage("cannot attach virtio-fs second: all 19 virtio-mmio slots (GSIs 5..23) are taken");
    }

    @Test
    void namesAreShortAndSafeForThreadNames() {
        assertThatThrownBy(() -> VmBuilder.create().name("a b")).hasMessageContaining("letters, digits");
        VmBuilder.create().name("sandbox-1");
    }
}
