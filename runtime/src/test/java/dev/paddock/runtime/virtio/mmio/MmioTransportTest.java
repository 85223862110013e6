package dev.paddock.runtime.virtio.mmio;

import static dev.paddock.testkit.VirtioMmioDriver.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.VirtioFeatures;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VirtqueueDriver;
import dev.paddock.testkit.VirtqueueDriver.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MmioTransportTest {
    private static final long VERSION_1 = 1L << 32;
    private static final long INDIRECT = 1L << 28;

    private final HeapGuestMemory memory = HeapGuestMemory.ofSize(0x10_0000);
    private final EchoDevice device = new EchoDevice();
    private final AtomicInteger interrupts = new AtomicInteger();
    private final List<Runnable> loop = new ArrayList<>();
    private final MmioTransport transport = new MmioTransport(device, memory, interrupts::incrementAndGet, loop::add);
    private final VirtioMmioDriver driver = new VirtioMmioDriver(transport::read, transport::write);
    private final VirtqueueDriver q0 = new VirtqueueDriver(memory, 0x1000, 16);
    private final VirtqueueDriver q1 = new VirtqueueDriver(memory, 0x3000, 8);

    private void runLoop() {
        List<Runnable> tasks = new ArrayList<>(loop);
        loop.clear();
        tasks.forEach(Runnable::run);
    }

    @Test
    void identityRegisters() {
        assertThat(driver.readRegister(MAGIC_VALUE)).isEqualTo(0x74726976);
        assertThat(driver.readRegister(VERSION)).isEqualTo(2);
        assertThat(driver.readRegister(DEVICE_ID)).isEqualTo(EchoDevice.TYPE);
        assertThat(driver.readRegister(0x00C)).isEqualTo(0x4B434450);
        assertThat(new String(new byte[] {0x50, 0x44, 0x43, 0x4B})).isEqualTo("PDCK");
        assertThat(transport.queueCount()).isEqualTo(2);
    }

    @Test
    void offersDeviceFeaturesPlusVersion1AndIndirect() {
        assertThat(driver.deviceFeatures()).isEqualTo(1L | 1L << 5 | VERSION_1 | INDIRECT);
        driver.writeRegister(DEVICE_FEATURES_SEL, 2);
        assertThat(driver.readRegister(DEVICE_FEATURES)).isZero();
        assertThat(transport.offeredFeatures() & (1L << VirtioFeatures.EVENT_IDX)).isZero();
    }

    @Test
    void linuxProbeSequenceActivatesTheDevice() {
        long accepted = driver.initialize(~0L, q0, q1);

        assertThat(accepted).isEqualTo(1L | 1L << 5 | VERSION_1 | INDIRECT);
        assertThat(driver.status()).isEqualTo(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
        assertThat(transport.isActive()).isTrue();
        assertThat(device.state()).isInstanceOf(DeviceState.Active.class);
        DeviceState.Active active = (DeviceState.Active) device.state();
        assertThat(active.activation().features()).isEqualTo(accepted);
        assertThat(active.activation().queue(0)).isPresent();
        assertThat(active.activation().queue(1)).isPresent();
        assertThat(transport.ignoredAccesses()).isZero();
    }

    @Test
    void featuresOkRefusedWithoutVersion1OrWithUnofferedBits() {
        assertThat(driver.negotiate(1L)).isEqualTo(-1);
        assertThat(driver.status() & FEATURES_OK).isZero();

        driver.reset();
        driver.addStatus(ACKNOWLEDGE);
        driver.addStatus(DRIVER);
        driver.writeDriverFeatures(VERSION_1 | 1L << 7);
        driver.addStatus(FEATURES_OK);
        assertThat(driver.status() & FEATURES_OK).isZero();

        assertThat(driver.negotiate(VERSION_1)).isEqualTo(VERSION_1);
    }

    @Test
    void statusBitsMustComeInOrder() {
        driver.writeRegister(STATUS, DRIVER);
        assertThat(driver.status()).isZero();
        driver.writeRegister(STATUS, ACKNOWLEDGE);
        driver.writeRegister(STATUS, ACKNOWLEDGE | DRIVER | DRIVER_OK);
        assertThat(driver.status()).as("DRIVER_OK without FEATURES_OK is refused").isEqualTo(ACKNOWLEDGE | DRIVER);
        driver.writeRegister(STATUS, ACKNOWLEDGE);
        assertThat(driver.status()).as("bits are cleared only by reset").isEqualTo(ACKNOWLEDGE | DRIVER);
        assertThat(transport.isActive()).isFalse();
        driver.addStatus(FAILED);
        assertThat(driver.status() & FAILED).isNotZero();
        driver.reset();
        assertThat(driver.status()).isZero();
    }

    @Test
    void driverFeaturesOnlyBetweenDriverAndFeaturesOk() {
        driver.writeDriverFeatures(VERSION_1);
        driver.addStatus(ACKNOWLEDGE);
        driver.addStatus(DRIVER);
        driver.addStatus(FEATURES_OK);
        assertThat(driver.status() & FEATURES_OK).as("the early write was ignored").isZero();
        assertThat(transport.ignoredAccesses()).as("two feature words, then the refused FEATURES_OK").isEqualTo(3);
    }

    @Test
    void queueRegistersOnlyBeforeDriverOkAndWhileNotReady() {
        driver.negotiate(~0L);
        driver.writeRegister(QUEUE_SEL, 0);
        assertThat(driver.readRegister(QUEUE_NUM_MAX)).isEqualTo(16);
        driver.setupQueue(0, q0);
        assertThat(driver.readRegister(QUEUE_READY)).isEqualTo(1);
        long before = transport.ignoredAccesses();
        driver.writeRegister(QUEUE_NUM, 4);
        driver.writeRegister(QUEUE_DESC_LOW, 0x9000);
        assertThat(transport.ignoredAccesses()).isEqualTo(before + 2);
        driver.addStatus(DRIVER_OK);
        assertThat(transport.isActive()).isTrue();
        driver.writeRegister(QUEUE_READY, 0);
        assertThat(driver.readRegister(QUEUE_READY)).isEqualTo(1);
        assertThat(((DeviceState.Active) device.state()).activation().queue(0).orElseThrow().size()).isEqualTo(16);
        assertThat(((DeviceState.Active) device.state()).activation().queue(1)).isEmpty();
    }

    @Test
    void queueSelectBeyondTheDeviceReadsZeroAndIgnoresWrites() {
        driver.negotiate(~0L);
        driver.writeRegister(QUEUE_SEL, 2);
        assertThat(driver.readRegister(QUEUE_NUM_MAX)).isZero();
        assertThat(driver.readRegister(QUEUE_READY)).isZero();
        driver.writeRegister(QUEUE_READY, 1);
        driver.writeRegister(QUEUE_SEL, -1);
        assertThat(driver.readRegister(QUEUE_NUM_MAX)).isZero();
        assertThat(transport.ignoredAccesses()).isEqualTo(1);
    }

    @Test
    void queueNotifiedServesTheQueueAndRaisesTheUsedInterrupt() {
        driver.initialize(~0L, q0, q1);
        q0.addChain(Segment.readable(0x8000, 4), Segment.writable(0x9000, 64));

        transport.queueNotified(0);

        assertThat(q0.takeUsed()).containsExactly(new VirtqueueDriver.UsedElement(0, 64));
        assertThat(interrupts.get()).isEqualTo(1);
        assertThat(driver.takeInterrupt()).isEqualTo(1);
        assertThat(driver.readRegister(INTERRUPT_STATUS)).isZero();
    }

    @Test
    void queueNotifyRegisterGoesThroughTheEventLoop() {
        driver.initialize(~0L, q0, q1);
        q1.addChain(Segment.writable(0x9000, 8));

        driver.notifyQueue(1);
        assertThat(device.calls).doesNotContain("process 1");
        runLoop();

        assertThat(device.calls).contains("process 1");
        assertThat(q1.takeUsed()).hasSize(1);
        driver.notifyQueue(7);
        assertThat(loop).isEmpty();
        assertThat(transport.ignoredNotifications()).isEqualTo(1);
    }

    @Test
    void notificationsBeforeActivationAreIgnored() {
        transport.queueNotified(0);
        driver.notifyQueue(0);
        assertThat(loop).isEmpty();
        assertThat(device.calls).isEmpty();
        assertThat(transport.ignoredNotifications()).isEqualTo(2);
    }

    @Test
    void resetRetiresQueuesAndClearsEverything() {
        driver.initialize(~0L, q0, q1);
        q0.addChain(Segment.writable(0x9000, 8));
        transport.queueNotified(0);
        DeviceState.Active active = (DeviceState.Active) device.state();

        driver.reset();

        assertThat(device.calls).containsSubsequence("activate", "reset");
        assertThat(transport.isActive()).isFalse();
        assertThat(driver.status()).isZero();
        assertThat(driver.readRegister(INTERRUPT_STATUS)).isZero();
        assertThat(active.activation().queue(0).orElseThrow().isRetired()).isTrue();
        int before = interrupts.get();
        active.activation().link().signalUsedBuffer();
        active.activation().link().enterNeedsReset("late");
        assertThat(interrupts.get()).as("an old activation's link is dead").isEqualTo(before);
        assertThat(driver.readRegister(INTERRUPT_STATUS)).isZero();
        driver.writeRegister(QUEUE_SEL, 0);
        assertThat(driver.readRegister(QUEUE_READY)).isZero();

        assertThat(driver.initialize(~0L, q0, q1)).isPositive();
        assertThat(transport.isActive()).isTrue();
    }

    @Test
    void invalidQueueAtDriverOkMeansNeedsResetWithConfigInterrupt() {
        driver.negotiate(~0L);
        driver.writeRegister(QUEUE_SEL, 0);
        driver.writeRegister(QUEUE_NUM, 12);
        driver.writeRegister(QUEUE_READY, 1);
        driver.addStatus(DRIVER_OK);

        assertThat(transport.isActive()).isFalse();
        assertThat(driver.status() & NEEDS_RESET).isNotZero();
        assertThat(transport.lastError()).contains("queue 0: size 12 is not a power of two");
        assertThat(driver.takeInterrupt()).isEqualTo(2);
        assertThat(interrupts.get()).isEqualTo(1);
        assertThat(device.calls).doesNotContain("activate");
    }

    @Test
    void deviceRefusingActivationMeansNeedsReset() {
        device.requireQueueOne = true;
        driver.initialize(~0L, q0);
        assertThat(driver.status() & NEEDS_RESET).isNotZero();
        assertThat(transport.lastError()).contains("queue 1 was not made ready");
    }

    @Test
    void brokenRingMeansNeedsResetAndOtherQueuesStayQuiet() {
        driver.initialize(~0L, q0, q1);
        q0.setAvailableIndex(100);
        transport.queueNotified(0);
        assertThat(driver.status() & NEEDS_RESET).isNotZero();
        assertThat(driver.takeInterrupt() & 2).isEqualTo(2);
        assertThat(transport.lastError()).contains("available index 100");
        // Linux ORs bits into the status it read, NEEDS_RESET included: harmless
        driver.addStatus(DRIVER_OK);
        assertThat(driver.status() & NEEDS_RESET).isNotZero();
    }

    @Test
    void aDeviceBugNeverReachesTheEventLoop() {
        driver.initialize(~0L, q0, q1);
        device.failOnProcess = new IllegalStateException("bug");
        transport.queueNotified(0);
        assertThat(driver.status() & NEEDS_RESET).isNotZero();
        assertThat(transport.lastError()).contains("bug");
    }

    @Test
    void sharedMemoryRegistersSayNoRegion() {
        driver.writeRegister(0x0AC, 0);
        assertThat(driver.readRegister(0x0B0)).isEqualTo(0xFFFF_FFFF);
        assertThat(driver.readRegister(0x0B4)).isEqualTo(0xFFFF_FFFF);
        driver.writeRegister(0x0AC, 5);
        long length = (driver.readRegister(0x0B0) & 0xFFFF_FFFFL) | (long) driver.readRegister(0x0B4) << 32;
        assertThat(length).as("Linux's vm_get_shm_region: ~0 = no region").isEqualTo(-1L);
    }

    @Test
    void configSpaceTakesNarrowAccessesAndForwardsToTheDevice() {
        assertThat(driver.readConfig(0, 4)).containsExactly(1, 2, 3, 4);
        assertThat(driver.readConfig(1, 2)).containsExactly(2, 3);
        assertThat(driver.readConfig(3, 1)).containsExactly(4);
        assertThat(driver.readConfig(0x200, 4)).containsExactly(0, 0, 0, 0);
        transport.write(CONFIG + 4, new byte[] {9, 8});
        transport.write(CONFIG, new byte[] {9});
        assertThat(driver.readConfig(0, 8)).as("8-byte access ignored").containsOnly(0);
        assertThat(driver.readConfig(4, 4)).containsExactly(9, 8, 0, 0);
        assertThat(driver.readConfig(0, 1)).as("read-only byte").containsExactly(1);
        assertThat(driver.readRegister(0x0FC)).isZero();
    }

    @Test
    void wrongWidthsMisalignmentAndUnknownOffsetsAreIgnoredAndCounted() {
        byte[] one = {(byte) 0xAA};
        byte[] two = {(byte) 0xAA, (byte) 0xAA};
        byte[] eight = new byte[8];
        transport.read(MAGIC_VALUE, one);
        transport.read(MAGIC_VALUE, two);
        transport.read(MAGIC_VALUE, eight);
        transport.read(MAGIC_VALUE + 1, new byte[4]);
        assertThat(one).containsOnly(0);
        assertThat(two).containsOnly(0);
        assertThat(eight).containsOnly(0);
        transport.write(STATUS, new byte[] {1});
        transport.write(STATUS, new byte[] {1, 0, 0, 0, 0, 0, 0, 0});
        transport.write(STATUS + 2, new byte[] {1, 0, 0, 0});
        transport.write(-4, new byte[] {1, 0, 0, 0});
        transport.read(-4, new byte[4]);
        assertThat(driver.status()).isZero();
        for (int legacy : new int[] {0x028, 0x03C, 0x040, 0x0C0, 0x0F0, 0x0FC, MAGIC_VALUE, INTERRUPT_STATUS}) {
            driver.writeRegister(legacy, 0x1234);
        }
        assertThat(driver.readRegister(0x028)).isZero();
        assertThat(driver.readRegister(QUEUE_NOTIFY)).isZero();
        assertThat(driver.readRegister(0x0C0)).isZero();
        assertThat(driver.readRegister(MAGIC_VALUE)).isEqualTo(0x74726976);
        assertThat(transport.ignoredAccesses()).isEqualTo(9 + 8 + 2);
    }

    @Test
    void interruptAckClearsOnlyTheAcknowledgedBits() {
        driver.initialize(~0L, q0, q1);
        DeviceState.Active active = (DeviceState.Active) device.state();
        active.activation().link().signalUsedBuffer();
        active.activation().link().signalConfigChange();
        assertThat(driver.readRegister(INTERRUPT_STATUS)).isEqualTo(3);
        assertThat(driver.readRegister(0x0FC)).isEqualTo(1);
        driver.writeRegister(INTERRUPT_ACK, 1);
        assertThat(driver.readRegister(INTERRUPT_STATUS)).isEqualTo(2);
        assertThat(interrupts.get()).isEqualTo(2);
    }
}
