package dev.paddock.hypervisor.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link GuestMemory} provider must have, subclassed once per provider.
 * The layout is an x86-like one: low RAM [0, 64 KiB) and high RAM [1 MiB, 1 MiB + 64 KiB), with a hole between.
 */
public abstract class GuestMemoryContract {
    protected static final long LOW = 0;
    protected static final long LOW_SIZE = 64 * 1024;
    protected static final long HIGH = 1 << 20;
    protected static final long HIGH_SIZE = 64 * 1024;

    protected GuestMemory mem;

    /** A provider's memory with the two regions above. */
    protected abstract GuestMemory create(long[]... ranges);

    @BeforeEach
    void open() {
        mem = create(new long[] {HIGH, HIGH_SIZE}, new long[] {LOW, LOW_SIZE});
    }

    @AfterEach
    void closeMemory() {
        mem.close();
    }

    @Test
    void regionsAreSortedAndSized() {
        assertThat(mem.regions()).extracting(GuestRegion::guestAddress).containsExactly(LOW, HIGH);
        assertThat(mem.size()).isEqualTo(LOW_SIZE + HIGH_SIZE);
    }

    @Test
    void scalarsAreLittleEndianAndRoundTrip() {
        mem.writeLong(0x100, 0x1122334455667788L);
        assertThat(mem.readByte(0x100)).isEqualTo((byte) 0x88);
        assertThat(mem.readShort(0x100)).isEqualTo((short) 0x7788);
        assertThat(mem.readInt(0x104)).isEqualTo(0x11223344);
        assertThat(mem.readLong(0x100)).isEqualTo(0x1122334455667788L);
        mem.writeByte(HIGH + 3, (byte) 0xAB);
        mem.writeShort(HIGH + 5, (short) 0xBEEF); // unaligned is fine for plain access
        mem.writeInt(HIGH + 9, 0xCAFEBABE);
        assertThat(mem.readByte(HIGH + 3)).isEqualTo((byte) 0xAB);
        assertThat(mem.readShort(HIGH + 5)).isEqualTo((short) 0xBEEF);
        assertThat(mem.readInt(HIGH + 9)).isEqualTo(0xCAFEBABE);
    }

    @Test
    void lastBytesOfARegionAreReachable() {
        mem.writeLong(LOW + LOW_SIZE - 8, -1L);
        assertThat(mem.readLong(LOW + LOW_SIZE - 8)).isEqualTo(-1L);
        assertThat(mem.isValidRange(LOW + LOW_SIZE - 8, 8)).isTrue();
    }

    @Test
    void accessesInTheHoleOrPastTheEndAreCheckedErrors() {
        assertThatThrownBy(() -> mem.readByte(LOW_SIZE)).isInstanceOf(GuestMemoryException.class)
                .hasMessageContaining("0x10000").hasMessageContaining("not in guest RAM");
        assertThatThrownBy(() -> mem.readInt(LOW + LOW_SIZE - 2)).isInstanceOf(GuestMemoryException.class)
                .hasMessageContaining("runs past the end");
        assertThatThrownBy(() -> mem.writeLong(HIGH + HIGH_SIZE - 4, 1)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.readByte(-1)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.readByte(Long.MAX_VALUE)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.read(LOW + LOW_SIZE - 4, new byte[8], 0, 8)).isInstanceOf(GuestMemoryException.class);
        assertThat(mem.isValidRange(LOW_SIZE - 4, 8)).isFalse();
        assertThat(mem.isValidRange(0, -1)).isFalse();
        assertThat(mem.isValidRange(HIGH + HIGH_SIZE, 1)).isFalse();
    }

    @Test
    void aFailedBulkWriteChangesNothing() {
        byte[] data = new byte[16];
        java.util.Arrays.fill(data, (byte) 7);
        assertThatThrownBy(() -> mem.write(LOW + LOW_SIZE - 8, data, 0, 16)).isInstanceOf(GuestMemoryException.class);
        assertThat(mem.readLong(LOW + LOW_SIZE - 8)).isZero();
    }

    @Test
    void bulkCopiesWithArraysAndBuffers() {
        byte[] src = new byte[300];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) i;
        }
        mem.write(HIGH + 17, src, 0, src.length);
        byte[] back = new byte[300];
        mem.read(HIGH + 17, back, 0, back.length);
        assertThat(back).isEqualTo(src);

        ByteBuffer in = ByteBuffer.wrap(src, 10, 20);
        mem.write(0x2000, in);
        assertThat(in.remaining()).isZero();
        ByteBuffer out = ByteBuffer.allocate(20);
        mem.read(0x2000, out);
        assertThat(out.position()).isEqualTo(20);
        assertThat(out.array()).isEqualTo(java.util.Arrays.copyOfRange(src, 10, 30));

        ByteBuffer direct = ByteBuffer.allocateDirect(5);
        mem.read(HIGH + 17, direct);
        assertThat(direct.get(4)).isEqualTo((byte) 4);
    }

    @Test
    void arrayArgumentsAreCheckedToo() {
        assertThatThrownBy(() -> mem.read(0, new byte[4], 2, 4)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void slicesShareMemoryAndAreLittleEndian() {
        ByteBuffer s = mem.slice(0x3000, 16);
        assertThat(s.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        s.putInt(4, 0x01020304);
        assertThat(mem.readInt(0x3004)).isEqualTo(0x01020304);
        mem.writeShort(0x3000, (short) 0x55AA);
        assertThat(s.getShort(0)).isEqualTo((short) 0x55AA);
        assertThat(s.capacity()).isEqualTo(16);
        assertThatThrownBy(() -> mem.slice(LOW + LOW_SIZE - 8, 16)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.slice(0, -1)).isInstanceOf(GuestMemoryException.class);
    }

    @Test
    void orderedAccessorsRoundTripAndRequireAlignment() {
        mem.writeShortRelease(HIGH + 2, (short) 9);
        assertThat(mem.readShortAcquire(HIGH + 2)).isEqualTo((short) 9);
        assertThat(mem.readShort(HIGH + 2)).isEqualTo((short) 9);
        mem.writeIntRelease(0x40, 0xDEADBEEF);
        assertThat(mem.readIntAcquire(0x40)).isEqualTo(0xDEADBEEF);
        assertThatThrownBy(() -> mem.readShortAcquire(0x41)).isInstanceOf(GuestMemoryException.class)
                .hasMessageContaining("aligned");
        assertThatThrownBy(() -> mem.writeIntRelease(0x42, 1)).isInstanceOf(GuestMemoryException.class);
        mem.fullFence();
    }

    @Test
    void closedMemoryRefusesAccess() {
        mem.writeInt(0, 1);
        mem.close();
        assertThatThrownBy(() -> mem.readInt(0)).isInstanceOf(GuestMemoryException.class).hasMessageContaining("closed");
        mem.close(); // idempotent
    }

    @Test
    void overlappingOrMisalignedRegionsAreRejected() {
        assertThatThrownBy(() -> create(new long[] {0, 8192}, new long[] {4096, 8192}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
        assertThatThrownBy(() -> create(new long[] {100, 4096}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("page");
        assertThatThrownBy(() -> create(new long[] {0}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
