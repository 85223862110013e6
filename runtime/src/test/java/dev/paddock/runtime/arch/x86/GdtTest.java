package dev.paddock.runtime.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.hypervisor.x86.DescriptorTable;
import dev.paddock.hypervisor.x86.Segment;
import org.junit.jupiter.api.Test;

class GdtTest {

    @Test
    void longModeDescriptorsHaveTheirArchitecturalEncoding() {
        Gdt gdt = Gdt.longMode();
        assertThat(gdt.descriptor(0)).isZero();
        assertThat(gdt.descriptor(1)).isEqualTo(0x00AF_9B00_0000_FFFFL);
        assertThat(gdt.descriptor(2)).isEqualTo(0x00CF_9300_0000_FFFFL);
        assertThat(gdt.descriptor(3)).isEqualTo(0x008F_8B00_0000_FFFFL);
        assertThat(gdt.table()).isEqualTo(new DescriptorTable(0x500, 31));
        assertThat(Gdt.emptyIdt()).isEqualTo(new DescriptorTable(0x520, 0));
    }

    @Test
    void longModeSegmentsAreDerivedFromTheDescriptors() {
        Gdt gdt = Gdt.longMode();
        assertThat(gdt.code()).isEqualTo(Segment.longModeCode(0x08, 0));
        assertThat(gdt.data()).isEqualTo(Segment.flatData(0x10, 0));
        Segment tss = gdt.tss();
        assertThat(tss.selector()).isEqualTo(0x18);
        assertThat(tss.type()).isEqualTo(0xB);
        assertThat(tss.s()).isFalse();
        assertThat(tss.present()).isTrue();
        assertThat(tss.g()).isTrue();
        assertThat(tss.limit()).isEqualTo(0xFFFFFFFF);
    }

    @Test
    void protectedModeTableHasFlat32BitCodeAndASmallTss() {
        Gdt gdt = Gdt.protectedMode();
        assertThat(gdt.descriptor(1)).isEqualTo(0x00CF_9B00_0000_FFFFL);
        assertThat(gdt.descriptor(3)).isEqualTo(0x0000_8B00_0000_0067L);
        Segment code = gdt.code();
        assertThat(code.l()).isFalse();
        assertThat(code.db()).isTrue();
        assertThat(code.limit()).isEqualTo(0xFFFFFFFF);
        assertThat(code.type()).isEqualTo(0xB);
        assertThat(gdt.tss().limit()).isEqualTo(0x67);
        assertThat(gdt.tss().g()).isFalse();
    }

    @Test
    void encodeAndDecodeAgreeOnBaseAndLimit() {
        long d = Gdt.encode(0x4093, 0x1234_5678L, 0xABCDE);
        Segment s = Gdt.decode(d, 0x10);
        assertThat(s.base()).isEqualTo(0x1234_5678L);
        assertThat(s.limit()).isEqualTo(0xABCDE);
        assertThat(s.db()).isTrue();
        assertThat(s.g()).isFalse();
        assertThat(Gdt.decode(0, 0).unusable()).isTrue();
    }

    @Test
    void writesTheTableAndAZeroIdtIntoGuestMemory() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(1 << 20)) {
            memory.writeLong(0x520, -1);
            Gdt.longMode().write(memory);
            assertThat(memory.readLong(0x500)).isZero();
            assertThat(memory.readLong(0x508)).isEqualTo(0x00AF_9B00_0000_FFFFL);
            assertThat(memory.readLong(0x510)).isEqualTo(0x00CF_9300_0000_FFFFL);
            assertThat(memory.readLong(0x518)).isEqualTo(0x008F_8B00_0000_FFFFL);
            assertThat(memory.readLong(0x520)).isZero();
        }
    }
}
