package dev.paddock.testkit;

import java.util.function.BiConsumer;

/**
 * Drives a virtio-mmio v2 device's registers the way Linux's drivers/virtio/virtio_mmio.c and
 * virtio.c do (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK and its read-back, queue setup,
 * DRIVER_OK), so transport and device tests replay a real guest's sequence. It takes the register access
 * as two functions (pass {@code transport::read, transport::write}) so testkit needs nothing from
 * runtime.
 */
public final class VirtioMmioDriver {
    public static final int MAGIC_VALUE = 0x000;
    public static final int VERSION = 0x004;
    public static final int DEVICE_ID = 0x008;
    public static final int DEVICE_FEATURES = 0x010;
    public static final int DEVICE_FEATURES_SEL = 0x014;
    public static final int DRIVER_FEATURES = 0x020;
    public static final int DRIVER_FEATURES_SEL = 0x024;
    public static final int QUEUE_SEL = 0x030;
    public static final int QUEUE_NUM_MAX = 0x034;
    public static final int QUEUE_NUM = 0x038;
    public static final int QUEUE_READY = 0x044;
    public static final int QUEUE_NOTIFY = 0x050;
    public static final int INTERRUPT_STATUS = 0x060;
    public static final int INTERRUPT_ACK = 0x064;
    public static final int STATUS = 0x070;
    public static final int QUEUE_DESC_LOW = 0x080;
    public static final int QUEUE_DESC_HIGH = 0x084;
    public static final int QUEUE_AVAIL_LOW = 0x090;
    public static final int QUEUE_AVAIL_HIGH = 0x094;
    public static final int QUEUE_USED_LOW = 0x0A0;
    public static final int QUEUE_USED_HIGH = 0x0A4;
    public static final int CONFIG = 0x100;

    public static final int ACKNOWLEDGE = 1;
    public static final int DRIVER = 2;
    public static final int DRIVER_OK = 4;
    public static final int FEATURES_OK = 8;
    public static final int NEEDS_RESET = 0x40;
    public static final int FAILED = 0x80;

    private final BiConsumer<Long, byte[]> read;
    private final BiConsumer<Long, byte[]> write;

    public VirtioMmioDriver(BiConsumer<Long, byte[]> read, BiConsumer<Long, byte[]> write) {
        this.read = read;
        this.write = write;
    }

    public int readRegister(int offset) {
        byte[] data = new byte[4];
        read.accept((long) offset, data);
        return (data[0] & 0xFF) | (data[1] & 0xFF) << 8 | (data[2] & 0xFF) << 16 | (data[3] & 0xFF) << 24;
    }

    public void writeRegister(int offset, int value) {
        write.accept((long) offset, new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)});
    }

    public int status() {
        return readRegister(STATUS);
    }

    /** Linux's virtio_add_status: read the status and OR a bit in. */
    public void addStatus(int bit) {
        writeRegister(STATUS, status() | bit);
    }

    public void reset() {
        writeRegister(STATUS, 0);
    }

    public long deviceFeatures() {
        writeRegister(DEVICE_FEATURES_SEL, 1);
        long high = readRegister(DEVICE_FEATURES) & 0xFFFF_FFFFL;
        writeRegister(DEVICE_FEATURES_SEL, 0);
        long low = readRegister(DEVICE_FEATURES) & 0xFFFF_FFFFL;
        return high << 32 | low;
    }

    public void writeDriverFeatures(long features) {
        writeRegister(DRIVER_FEATURES_SEL, 1);
        writeRegister(DRIVER_FEATURES, (int) (features >>> 32));
        writeRegister(DRIVER_FEATURES_SEL, 0);
        writeRegister(DRIVER_FEATURES, (int) features);
    }

    /**
     * virtio_dev_probe up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER, accept {@code wanted & offered},
     * FEATURES_OK, read it back.
     *
     * @return the accepted features, or -1 when the device refused FEATURES_OK
     */
    public long negotiate(long wanted) {
        reset();
        addStatus(ACKNOWLEDGE);
        addStatus(DRIVER);
        long accepted = deviceFeatures() & wanted;
        writeDriverFeatures(accepted);
        addStatus(FEATURES_OK);
        return (status() & FEATURES_OK) != 0 ? accepted : -1;
    }

    /** vm_setup_vq: select, check not ready, size, ring addresses, ready. Returns QueueNumMax. */
    public int setupQueue(int index, VirtqueueDriver queue) {
        writeRegister(QUEUE_SEL, index);
        if (readRegister(QUEUE_READY) != 0) {
            throw new IllegalStateException("queue " + index + " is already ready before setup");
        }
        int max = readRegister(QUEUE_NUM_MAX);
        writeRegister(QUEUE_NUM, queue.size());
        writeRegister(QUEUE_DESC_LOW, (int) queue.descriptorTable());
        writeRegister(QUEUE_DESC_HIGH, (int) (queue.descriptorTable() >>> 32));
        writeRegister(QUEUE_AVAIL_LOW, (int) queue.availableRing());
        writeRegister(QUEUE_AVAIL_HIGH, (int) (queue.availableRing() >>> 32));
        writeRegister(QUEUE_USED_LOW, (int) queue.usedRing());
        writeRegister(QUEUE_USED_HIGH, (int) (queue.usedRing() >>> 32));
        writeRegister(QUEUE_READY, 1);
        return max;
    }

    /**
     * The whole probe: negotiate, set up {@code queues[i]} as queue i, DRIVER_OK.
     *
     * @return the accepted features, or -1 when FEATURES_OK was refused (then nothing else is done)
     */
    public long initialize(long wanted, VirtqueueDriver... queues) {
        long accepted = negotiate(wanted);
        if (accepted < 0) {
            return accepted;
        }
        for (int i = 0; i < queues.length; i++) {
            setupQueue(i, queues[i]);
        }
        addStatus(DRIVER_OK);
        return accepted;
    }

    /** vm_notify: the QueueNotify write (without an ioeventfd). */
    public void notifyQueue(int index) {
        writeRegister(QUEUE_NOTIFY, index);
    }

    /** vm_interrupt: read the interrupt status and acknowledge it. */
    public int takeInterrupt() {
        int bits = readRegister(INTERRUPT_STATUS);
        writeRegister(INTERRUPT_ACK, bits);
        return bits;
    }

    public byte[] readConfig(int offset, int width) {
        byte[] data = new byte[width];
        read.accept((long) (CONFIG + offset), data);
        return data;
    }
}
