package dev.paddock.runtime.virtio.rng;

import static dev.paddock.testkit.VirtqueueDriver.Segment.readable;
import static dev.paddock.testkit.VirtqueueDriver.Segment.writable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VirtqueueDriver;
import dev.paddock.testkit.VirtqueueDriver.UsedElement;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RngDeviceTest {
    private final HeapGuestMemory memory = HeapGuestMemory.ofSize(0x40_0000);
    private final AtomicInteger interrupts = new AtomicInteger();
    private final RngDevice device = new RngDevice(new RngDeviceConfig(16, 1000), new SecureRandom());
    private final MmioTransport transport = new MmioTransport(device, memory, interrupts::incrementAndGet, Runnable::run);
    private final VirtioMmioDriver driver = new VirtioMmioDriver(transport::read, transport::write);
    private final VirtqueueDriver queue = new VirtqueueDriver(memory, 0x1000, 16);

    @Test
    void isDeviceFourWithOneQueueAndNoConfig() {
        assertThat(driver.readRegister(VirtioMmioDriver.DEVICE_ID)).isEqualTo(DeviceType.RNG);
        assertThat(transport.queueCount()).isEqualTo(1);
        assertThat(driver.deviceFeatures()).isEqualTo(1L << 32 | 1L << 28);
        assertThat(driver.readConfig(0, 4)).containsOnly(0);
    }

    @Test
    void fillsWritableBuffersUpToTheCap() {
        driver.initialize(~0L, queue);
        assertThat(device.state()).isInstanceOf(DeviceState.Active.class);
        int small = queue.addChain(writable(0x10000, 40), writable(0x10100, 24));
        int huge = queue.addChain(writable(0x20000, 0x10_0000));
        int readOnly = queue.addChain(readable(0x30000, 64));

        driver.notifyQueue(0);

        assertThat(queue.takeUsed()).containsExactly(new UsedElement(small, 64), new UsedElement(huge, 1000),
                new UsedElement(readOnly, 0));
        byte[] first = new byte[64];
        memory.read(0x10000, first, 0, 40);
        memory.read(0x10100, first, 40, 24);
        assertThat(first).as("64 random bytes are not all zero").isNotEqualTo(new byte[64]);
        byte[] past = new byte[16];
        memory.read(0x20000 + 1000, past, 0, 16);
        assertThat(past).as("nothing beyond the cap").containsOnly(0);
        assertThat(interrupts.get()).isEqualTo(1);
        assertThat(device.bytesServed()).isEqualTo(1064);
        assertThat(device.requestsServed()).isEqualTo(3);
    }

    @Test
    void brokenRingPutsTheDeviceInNeedsReset() {
        driver.initialize(~0L, queue);
        queue.setAvailableIndex(17);
        driver.notifyQueue(0);
        assertThat(driver.status() & VirtioMmioDriver.NEEDS_RESET).isNotZero();
        driver.reset();
        assertThat(device.state()).isEqualTo(DeviceState.INACTIVE);
    }

    @Test
    void refusesActivationWithoutItsQueue() {
        driver.initialize(~0L);
        assertThat(driver.status() & VirtioMmioDriver.NEEDS_RESET).isNotZero();
        assertThat(device.state()).isEqualTo(DeviceState.INACTIVE);
    }

    @Test
    void configIsChecked() {
        assertThatThrownBy(() -> new RngDeviceConfig(12, 10)).hasMessageContaining("queue size 12");
        assertThatThrownBy(() -> new RngDeviceConfig(16, 0)).hasMessageContaining("maxBytesPerRequest 0");
    }
}
