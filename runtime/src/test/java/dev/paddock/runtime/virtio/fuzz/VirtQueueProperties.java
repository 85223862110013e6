package dev.paddock.runtime.virtio.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.queue.BrokenQueueException;
import dev.paddock.runtime.virtio.queue.DescriptorChain;
import dev.paddock.runtime.virtio.queue.GuestBuffer;
import dev.paddock.runtime.virtio.queue.QueueLayout;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import dev.paddock.testkit.VirtqueueDriver;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The split queue against random descriptor tables: whatever the driver wrote, pop() returns only chains
 * whose every buffer lies inside guest RAM, readable before writable, no longer than the table; every
 * other available entry is failed (used, length 0) or the queue reports itself broken; the used index
 * never runs ahead of what was made available; nothing but BrokenQueueException comes out.
 */
class VirtQueueProperties {
    private final HeapGuestMemory memory = HeapGuestMemory.of(HostileRing.RAM);

    @Property(tries = 400_000)
    void popNeverYieldsABufferOutsideRamAndNeverRunsAhead(@ForAll long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        int size = HostileRing.queueSize(random);
        boolean indirect = random.nextBoolean();
        VirtqueueDriver driver = new VirtqueueDriver(memory, HostileRing.RING_BASE, size);
        VirtQueue queue = VirtQueue.activate(0, memory,
                new QueueLayout(size, driver.descriptorTable(), driver.availableRing(), driver.usedRing()), size, indirect);
        HostileRing.Published published = HostileRing.write(random, driver, false);

        int popped = 0;
        boolean broken = false;
        try {
            DescriptorChain chain;
            while ((chain = queue.pop()) != null) {
                popped++;
                assertThat(chain.head()).isBetween(0, size - 1);
                assertThat(chain.readable().size() + chain.writable().size()).isLessThanOrEqualTo(size);
                for (GuestBuffer b : chain.readable()) {
                    assertThat(memory.isValidRange(b.address(), b.length())).as("readable %s", b).isTrue();
                }
                for (GuestBuffer b : chain.writable()) {
                    assertThat(memory.isValidRange(b.address(), b.length())).as("writable %s", b).isTrue();
                }
                queue.addUsed(chain.head(), (int) Math.min(chain.writableBytes(), Integer.MAX_VALUE));
                assertThat(popped).isLessThanOrEqualTo(size);
            }
        } catch (BrokenQueueException e) {
            broken = true;
        }
        int used = driver.usedIndex();
        assertThat(used).as("used.idx never runs ahead of avail.idx").isLessThanOrEqualTo(Math.min(published.availableIndex(), size));
        assertThat((long) used).isEqualTo(popped + queue.malformedChains());
        if (!broken) {
            assertThat(used).as("every available entry was served").isEqualTo(published.availableIndex());
        }
        assertThat(queue.isBroken()).isEqualTo(broken);
    }
}
