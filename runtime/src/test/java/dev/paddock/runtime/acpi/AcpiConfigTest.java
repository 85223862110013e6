package dev.paddock.runtime.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.runtime.arch.x86.Layout;
import java.util.List;
import org.junit.jupiter.api.Test;

class AcpiConfigTest {

    @Test
    void standardSlotsFollowTheLayout() {
        AcpiConfig config = AcpiConfig.standard(2, 19);
        assertThat(config.virtioDevices()).hasSize(19);
        assertThat(config.virtioDevices().get(0)).isEqualTo(new VirtioMmioSlot(0xC000_1000L, 0x1000, 5));
        assertThat(config.virtioDevices().get(18)).isEqualTo(new VirtioMmioSlot(0xC001_3000L, 0x1000, 23));
        assertThatThrownBy(() -> VirtioMmioSlot.standard(19)).hasMessageContaining("slots 0..18");
    }

    @Test
    void vcpuCountIsOneTo254() {
        assertThatThrownBy(() -> AcpiConfig.standard(0, 0)).hasMessageContaining("0 vCPUs").hasMessageContaining("1 to 254");
        assertThatThrownBy(() -> AcpiConfig.standard(255, 0)).hasMessageContaining("255 vCPUs");
        assertThat(AcpiConfig.standard(254, 0).vcpuCount()).isEqualTo(254);
    }

    @Test
    void gsisAreDeviceGsisAndUnique() {
        assertThatThrownBy(() -> new VirtioMmioSlot(0xC000_1000L, 0x1000, 4)).hasMessageContaining("GSI 4 is outside the device range 5..23");
        assertThatThrownBy(() -> new VirtioMmioSlot(0xC000_1000L, 0x1000, 24)).hasMessageContaining("GSI 24");
        assertThatThrownBy(() -> new AcpiConfig(1, List.of(new VirtioMmioSlot(0xC000_1000L, 0x1000, 5), new VirtioMmioSlot(0xC000_2000L, 0x1000, 5)), false, false))
                .hasMessageContaining("virtio device 1 at 0xC0002000 reuses GSI 5");
    }

    @Test
    void windowsLieInTheHoleAndDoNotOverlap() {
        assertThatThrownBy(() -> new VirtioMmioSlot(0xBFFF_F000L, 0x1000, 5)).hasMessageContaining("inside the MMIO hole [0xC0000000, 0x100000000)");
        assertThatThrownBy(() -> new VirtioMmioSlot(0xC000_1800L, 0x1000, 5)).hasMessageContaining("page-aligned");
        assertThatThrownBy(() -> new VirtioMmioSlot(0xFFFF_F000L, 0x2000, 5)).hasMessageContaining("MMIO hole");
        assertThatThrownBy(() -> new AcpiConfig(1, List.of(new VirtioMmioSlot(0xC000_1000L, 0x2000, 5), new VirtioMmioSlot(0xC000_2000L, 0x1000, 6)), false, false))
                .hasMessageContaining("virtio device 1 [0xC0002000, 0xC0003000) overlaps device 0 [0xC0001000, 0xC0003000)");
        assertThatThrownBy(() -> new AcpiConfig(1, List.of(new VirtioMmioSlot(Layout.IOAPIC_ADDRESS, 0x1000, 5)), false, false))
                .hasMessageContaining("overlaps the IOAPIC");
        assertThatThrownBy(() -> new AcpiConfig(1, List.of(new VirtioMmioSlot(Layout.LAPIC_ADDRESS, 0x1000, 5)), false, false))
                .hasMessageContaining("overlaps the local APIC");
        assertThatThrownBy(() -> new AcpiConfig(1, List.of(new VirtioMmioSlot(Layout.KVM_TSS_ADDRESS + 0x1000, 0x1000, 5)), false, false))
                .hasMessageContaining("overlaps KVM's TSS");
    }

    @Test
    void deviceListIsCopied() {
        List<VirtioMmioSlot> slots = new java.util.ArrayList<>(List.of(VirtioMmioSlot.standard(0)));
        AcpiConfig config = new AcpiConfig(1, slots, true, true);
        slots.add(VirtioMmioSlot.standard(1));
        assertThat(config.virtioDevices()).hasSize(1);
    }
}
