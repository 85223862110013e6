package dev.paddock.runtime.virtio.queue;

import static dev.paddock.testkit.VirtqueueDriver.Segment.readable;
import static dev.paddock.testkit.VirtqueueDriver.Segment.writable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.testkit.VirtqueueDriver;
import dev.paddock.testkit.VirtqueueDriver.UsedElement;
import org.junit.jupiter.api.Test;

class VirtQueueTest {
    private static final long RAM = 0x10_0000;
    private static final long RING = 0x1000;
    private static final long DATA = 0x8000;
    private static final long TABLE = 0x6000;

    private final HeapGuestMemory memory = HeapGuestMemory.ofSize(RAM);

    private VirtqueueDriver driver(int size) {
        return new VirtqueueDriver(memory, RING, size);
    }

    private VirtQueue queue(VirtqueueDriver d, boolean indirect) throws InvalidQueueException {
        return VirtQueue.activate(0, memory, new QueueLayout(d.size(), d.descriptorTable(), d.availableRing(), d.usedRing()),
                256, indirect);
    }

    @Test
    void popsAChainSplitByDirectionAndReturnsItUsed() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, false);
        int head = d.addChain(readable(DATA, 16), readable(DATA + 16, 0), writable(DATA + 100, 512), writable(DATA + 700, 1));

        DescriptorChain chain = q.pop();

        assertThat(chain.head()).isEqualTo(head);
        assertThat(chain.readable()).containsExactly(new GuestBuffer(DATA, 16));
        assertThat(chain.writable()).containsExactly(new GuestBuffer(DATA + 100, 512), new GuestBuffer(DATA + 700, 1));
        assertThat(chain.readableBytes()).isEqualTo(16);
        assertThat(chain.writableBytes()).isEqualTo(513);
        assertThat(q.pop()).isNull();

        assertThat(q.addUsed(chain.head(), 513)).isTrue();
        assertThat(d.takeUsed()).containsExactly(new UsedElement(head, 513));
        assertThat(q.takeInterruptDue()).isTrue();
        assertThat(q.takeInterruptDue()).as("nothing new since").isFalse();
    }

    @Test
    void honoursNoInterruptFlag() throws Exception {
        VirtqueueDriver d = driver(4);
        VirtQueue q = queue(d, false);
        d.addChain(writable(DATA, 4));
        q.addUsed(q.pop().head(), 4);
        d.suppressInterrupts(true);
        assertThat(q.takeInterruptDue()).isFalse();
    }

    @Test
    void indicesWrapAt65536() throws Exception {
        VirtqueueDriver d = driver(4);
        VirtQueue q = queue(d, false);
        for (int i = 0; i < 70_000; i++) {
            d.addChain(writable(DATA, 8));
            DescriptorChain c = q.pop();
            assertThat(c).isNotNull();
            q.addUsed(c.head(), 8);
        }
        assertThat(d.usedIndex()).isEqualTo(70_000 & 0xFFFF);
        assertThat(q.malformedChains()).isZero();
    }

    @Test
    void rejectsLayoutsTheDriverGotWrong() {
        VirtqueueDriver d = driver(8);
        long desc = d.descriptorTable();
        long avail = d.availableRing();
        long used = d.usedRing();
        assertInvalid(new QueueLayout(6, desc, avail, used), "size 6 is not a power of two");
        assertInvalid(new QueueLayout(0, desc, avail, used), "size 0");
        assertInvalid(new QueueLayout(512, desc, avail, used), "size 512");
        assertInvalid(new QueueLayout(8, desc + 8, avail, used), "descriptor table at 0x1008 is not 16-byte aligned");
        assertInvalid(new QueueLayout(8, desc, avail + 1, used), "available ring at 0x1081 is not 2-byte aligned");
        assertInvalid(new QueueLayout(8, desc, avail, used + 2), "used ring");
        assertInvalid(new QueueLayout(8, RAM - 64, avail, used), "descriptor table [0xfffc0, +0x80) is not inside guest RAM");
        assertInvalid(new QueueLayout(8, desc, -2L, used), "available ring");
        assertInvalid(new QueueLayout(8, desc, avail, 0xFFFF_FFFF_FFFF_FFF0L), "used ring");
    }

    private void assertInvalid(QueueLayout layout, String message) {
        assertThatThrownBy(() -> VirtQueue.activate(3, memory, layout, 256, false))
                .isInstanceOf(InvalidQueueException.class)
                .hasMessageContaining("queue 3")
                .hasMessageContaining(message);
    }

    @Test
    void readableAfterWritableFailsThatRequestOnly() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, false);
        int bad = d.addChain(writable(DATA, 8), readable(DATA + 8, 8));
        int good = d.addChain(writable(DATA, 8));

        DescriptorChain chain = q.pop();

        assertThat(chain.head()).isEqualTo(good);
        assertThat(d.takeUsed()).containsExactly(new UsedElement(bad, 0));
        assertThat(q.malformedChains()).isEqualTo(1);
        assertThat(q.lastError()).contains("readable descriptor").contains("follows a writable one");
        assertThat(q.isBroken()).isFalse();
    }

    @Test
    void loopsAndOutOfRangeNextsAndBadBuffersAreMalformed() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, false);
        // a loop 0 -> 1 -> 0
        d.writeDescriptor(0, DATA, 8, VirtqueueDriver.NEXT, 1);
        d.writeDescriptor(1, DATA, 8, VirtqueueDriver.NEXT, 0);
        d.publish(0);
        // next outside the table
        d.writeDescriptor(2, DATA, 8, VirtqueueDriver.NEXT, 8);
        d.publish(2);
        // buffer running past the end of RAM
        d.writeDescriptor(3, RAM - 4, 8, VirtqueueDriver.WRITE, 0);
        d.publish(3);
        // huge length
        d.writeDescriptor(4, DATA, 0xFFFF_FFFFL, 0, 0);
        d.publish(4);
        // address that overflows a long when the length is added
        d.writeDescriptor(5, Long.MAX_VALUE - 2, 16, 0, 0);
        d.publish(5);
        // negative address
        d.writeDescriptor(6, -4096, 16, 0, 0);
        d.publish(6);

        assertThat(q.pop()).isNull();
        assertThat(q.malformedChains()).isEqualTo(6);
        assertThat(d.takeUsed()).extracting(UsedElement::id).containsExactly(0, 2, 3, 4, 5, 6);
        assertThat(d.usedIndex()).isEqualTo(6);
        assertThat(q.isBroken()).isFalse();
    }

    @Test
    void aChainAsLongAsTheTableIsFineOneLongerIsNot() throws Exception {
        VirtqueueDriver d = driver(4);
        VirtQueue q = queue(d, false);
        d.addChain(readable(DATA, 1), readable(DATA, 1), readable(DATA, 1), writable(DATA, 1));
        assertThat(q.pop().readable()).hasSize(3);
        for (int i = 0; i < 4; i++) {
            d.writeDescriptor(i, DATA, 1, VirtqueueDriver.NEXT, (i + 1) % 4);
        }
        d.publish(0);
        assertThat(q.pop()).isNull();
        assertThat(q.lastError()).contains("a loop");
    }

    @Test
    void availableIndexRunningAheadBreaksTheQueue() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, false);
        d.setAvailableIndex(9);

        assertThatThrownBy(q::pop).isInstanceOf(BrokenQueueException.class)
                .hasMessageContaining("available index 9 is 9 entries ahead").hasMessageContaining("reset");
        assertThat(q.isBroken()).isTrue();
        assertThat(q.pop()).as("a broken queue serves nothing more").isNull();
        assertThat(d.usedIndex()).isZero();
    }

    @Test
    void headOutOfRangeBreaksTheQueue() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, false);
        d.publish(8);
        assertThatThrownBy(q::pop).isInstanceOf(BrokenQueueException.class).hasMessageContaining("names descriptor 8");
    }

    @Test
    void indirectTablesWhenNegotiated() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, true);
        int head = d.addIndirectChain(TABLE, readable(DATA, 16), writable(DATA + 16, 100), writable(DATA + 200, 1));

        DescriptorChain chain = q.pop();

        assertThat(chain.head()).isEqualTo(head);
        assertThat(chain.readable()).containsExactly(new GuestBuffer(DATA, 16));
        assertThat(chain.writable()).containsExactly(new GuestBuffer(DATA + 16, 100), new GuestBuffer(DATA + 200, 1));
    }

    @Test
    void badIndirectTablesAreMalformed() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue plain = queue(d, false);
        d.addIndirectChain(TABLE, writable(DATA, 16));
        assertThat(plain.pop()).isNull();
        assertThat(plain.lastError()).contains("VIRTIO_F_INDIRECT_DESC was not negotiated");

        VirtqueueDriver d2 = new VirtqueueDriver(memory, 0x3000, 8);
        VirtQueue q = VirtQueue.activate(1, memory, new QueueLayout(8, d2.descriptorTable(), d2.availableRing(), d2.usedRing()), 8, true);
        // length not a multiple of 16
        d2.writeDescriptor(0, TABLE, 24, VirtqueueDriver.INDIRECT, 0);
        d2.publish(0);
        // more entries than the queue size
        d2.writeDescriptor(1, TABLE, 16 * 9, VirtqueueDriver.INDIRECT, 0);
        d2.publish(1);
        // table outside RAM
        d2.writeDescriptor(2, RAM - 16, 32, VirtqueueDriver.INDIRECT, 0);
        d2.publish(2);
        // nested indirect
        d2.writeDescriptorAt(TABLE, TABLE + 0x100, 16, VirtqueueDriver.INDIRECT, 0);
        d2.writeDescriptor(3, TABLE, 16, VirtqueueDriver.INDIRECT, 0);
        d2.publish(3);
        // indirect with NEXT
        d2.writeDescriptor(4, TABLE, 16, VirtqueueDriver.INDIRECT | VirtqueueDriver.NEXT, 5);
        d2.publish(4);
        // indirect after a direct descriptor
        d2.writeDescriptor(5, DATA, 8, VirtqueueDriver.NEXT, 6);
        d2.writeDescriptor(6, TABLE, 16, VirtqueueDriver.INDIRECT, 0);
        d2.publish(5);
        // loop inside the indirect table
        d2.writeDescriptorAt(TABLE + 0x200, DATA, 8, VirtqueueDriver.NEXT, 1);
        d2.writeDescriptorAt(TABLE + 0x210, DATA, 8, VirtqueueDriver.NEXT, 0);
        d2.writeDescriptor(7, TABLE + 0x200, 32, VirtqueueDriver.INDIRECT, 0);
        d2.publish(7);

        assertThat(q.pop()).isNull();
        assertThat(q.malformedChains()).isEqualTo(7);
        assertThat(d2.takeUsed()).extracting(UsedElement::length).containsOnly(0);
    }

    @Test
    void retiredQueueNeverTouchesMemoryAgain() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, false);
        d.addChain(writable(DATA, 8));
        DescriptorChain chain = q.pop();
        q.retire();
        d.addChain(writable(DATA, 8));

        assertThat(q.addUsed(chain.head(), 8)).isFalse();
        assertThat(q.pop()).isNull();
        assertThat(d.usedIndex()).isZero();
        assertThat(q.takeInterruptDue()).isFalse();
    }

    @Test
    void addUsedRejectsAHeadThatPopNeverReturned() throws Exception {
        VirtQueue q = queue(driver(8), false);
        assertThatThrownBy(() -> q.addUsed(8, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("head 8");
    }

    @Test
    void closedMemoryBreaksTheQueueInsteadOfThrowing() throws Exception {
        VirtqueueDriver d = driver(8);
        VirtQueue q = queue(d, false);
        d.addChain(writable(DATA, 8));
        memory.close();
        assertThatThrownBy(q::pop).isInstanceOf(BrokenQueueException.class).hasMessageContaining("unreadable");
        assertThat(q.addUsed(0, 0)).isFalse();
    }
}
