package dev.paddock.runtime.virtio.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import java.util.List;
import org.junit.jupiter.api.Test;

class BufferCursorTest {
    @Test
    void readsAndWritesAcrossBuffersAsOneStream() {
        HeapGuestMemory memory = HeapGuestMemory.ofSize(0x10000);
        List<GuestBuffer> buffers = List.of(new GuestBuffer(0x100, 3), new GuestBuffer(0x200, 2), new GuestBuffer(0x300, 4));
        BufferCursor writer = new BufferCursor(memory, buffers);
        assertThat(writer.remaining()).isEqualTo(9);
        assertThat(writer.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 10)).isEqualTo(9);
        assertThat(writer.remaining()).isZero();
        assertThat(memory.readByte(0x200)).isEqualTo((byte) 4);
        assertThat(memory.readByte(0x303)).isEqualTo((byte) 9);

        BufferCursor reader = new BufferCursor(memory, buffers);
        assertThat(reader.skip(4)).isEqualTo(4);
        byte[] out = new byte[8];
        assertThat(reader.read(out, 1, 8)).isEqualTo(5);
        assertThat(out).containsExactly(0, 5, 6, 7, 8, 9, 0, 0);
        assertThat(reader.skip(1)).isZero();
    }
}
