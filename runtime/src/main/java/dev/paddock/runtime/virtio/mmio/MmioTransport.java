package dev.paddock.runtime.virtio.mmio;

import static dev.paddock.runtime.virtio.mmio.MmioRegisters.*;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.bus.BusDevice;
import dev.paddock.runtime.bus.Interrupt;
import dev.paddock.runtime.virtio.ActivationException;
import dev.paddock.runtime.virtio.DeviceActivation;
import dev.paddock.runtime.virtio.DeviceStatus;
import dev.paddock.runtime.virtio.TransportLink;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.VirtioFeatures;
import dev.paddock.runtime.virtio.queue.InvalidQueueException;
import dev.paddock.runtime.virtio.queue.SplitRing;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2), in front of one {@link VirtioDevice}.
 *
 * <p><b>For the VMM.</b> Put the transport on the MMIO bus at its slot base. For each queue
 * {@code i < queueCount()}, register an ioeventfd at {@code base + }{@link MmioRegisters#QUEUE_NOTIFY}
 * (4 bytes, datamatch {@code i}) and call {@link #queueNotified(int) queueNotified(i)} from the device
 * event loop when it fires. The {@link Interrupt} given here should write the device's irqfd
 * (edge-triggered). A QueueNotify write that reaches the bus anyway (no ioeventfd registered) is handed to
 * the {@code notifications} executor, which must run it on that same event loop, never on the vCPU thread.
 *
 * <p><b>For the guest.</b> Every register of the v2 layout is served: the driver status state machine
 * (ACKNOWLEDGE → DRIVER → FEATURES_OK → DRIVER_OK, FAILED at any time, 0 = reset), feature negotiation with
 * VIRTIO_F_VERSION_1 always offered, queue configuration only between FEATURES_OK and DRIVER_OK on a queue
 * that is not ready, interrupt status and acknowledge, config generation, device config from 0x100, and
 * the shared-memory registers answering "no region". Registers are 32-bit and 4-byte aligned; config
 * space takes 1-, 2- and 4-byte accesses. Any other access (wrong width, misaligned, unknown or legacy
 * offset, write to a read-only register, write out of order) is ignored or reads as zero and is counted in
 * {@link #ignoredAccesses()}; nothing the guest does here throws.
 *
 * <p><b>Threading.</b> Register accesses arrive on vCPU threads and take this transport's lock, held only
 * for register state (never for device I/O). {@link #queueNotified} runs on the device event loop without
 * the lock. Devices signal from the event loop or worker threads through a per-activation
 * {@link TransportLink}: the interrupt status is atomic, NEEDS_RESET takes the lock briefly. Lock order:
 * transport → queue → device's own; a device must not call its link while holding a lock that
 * {@link VirtioDevice#reset()} takes.
 */
public final class MmioTransport implements BusDevice {
    private static final System.Logger LOG = System.getLogger(MmioTransport.class.getName());

    /** Ring features this transport's queues implement; offered with every device. */
    static final long TRANSPORT_FEATURES =
            VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final Interrupt interrupt;
    private final Executor notifications;
    private final long offeredFeatures;
    private final QueueRegisters[] queues;

    // Guarded by this.
    private int status;
    private int deviceFeaturesSelect;
    private int driverFeaturesSelect;
    private long driverFeatures;
    private int queueSelect;
    private int sharedMemorySelect;
    private DeviceActivation activation;
    private String lastError = "";

    private final AtomicInteger interruptStatus = new AtomicInteger();
    private final AtomicInteger configGeneration = new AtomicInteger();
    /** Bumped at every reset; a link only acts while its generation is current. */
    private volatile long generation;
    private volatile DeviceActivation live;
    private final AtomicLong ignoredAccesses = new AtomicLong();
    private final AtomicLong ignoredNotifications = new AtomicLong();

    /**
     * @param device        the device behind this transport
     * @param memory        guest RAM; the device gets it only when activated
     * @param interrupt     the device's interrupt line (irqfd)
     * @param notifications runs QueueNotify register writes on the device event loop
     */
    public MmioTransport(VirtioDevice device, GuestMemory memory, Interrupt interrupt, Executor notifications) {
        this.device = Objects.requireNonNull(device, "device");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.interrupt = Objects.requireNonNull(interrupt, "interrupt");
        this.notifications = Objects.requireNonNull(notifications, "notifications");
        // EVENT_IDX, ACCESS_PLATFORM, RING_PACKED and RING_RESET are ours to offer, not the device's.
        long transportOwned = VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) | VirtioFeatures.bit(VirtioFeatures.ACCESS_PLATFORM)
                | VirtioFeatures.bit(VirtioFeatures.RING_PACKED) | VirtioFeatures.bit(VirtioFeatures.RING_RESET);
        this.offeredFeatures = (device.deviceFeatures() & ~transportOwned) | TRANSPORT_FEATURES;
        int[] maxSizes = device.queueMaxSizes();
        this.queues = new QueueRegisters[maxSizes.length];
        for (int i = 0; i < maxSizes.length; i++) {
            if (maxSizes[i] < 1 || maxSizes[i] > SplitRing.MAX_QUEUE_SIZE) {
                throw new IllegalArgumentException("device %d queue %d: max size %d is outside [1, 32768]"
                        .formatted(device.deviceType(), i, maxSizes[i]));
            }
            queues[i] = new QueueRegisters(maxSizes[i]);
        }
    }

    public VirtioDevice device() {
        return device;
    }

    /** Queues the device has: register one ioeventfd per queue, datamatch 0 .. queueCount()-1. */
    public int queueCount() {
        return queues.length;
    }

    /** The features offered to the driver (device bits plus VERSION_1 and INDIRECT_DESC). */
    public long offeredFeatures() {
        return offeredFeatures;
    }

    public synchronized int status() {
        return status;
    }

    public boolean isActive() {
        return live != null;
    }

    /** Guest register accesses that were ignored (wrong width/offset, read-only, out of order). */
    public long ignoredAccesses() {
        return ignoredAccesses.get();
    }

    /** Queue notifications for an inactive device or a queue it does not have. */
    public long ignoredNotifications() {
        return ignoredNotifications.get();
    }

    /**
     * Several lines for diagnostics: the device type, status, pending interrupt bits (set by the device, not yet
     * acknowledged by the driver: bits that stay set while nothing happens mean the guest missed the interrupt)
     * and each live queue's {@link VirtQueue#describe}. Any thread.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        DeviceActivation current;
        synchronized (this) {
            sb.append("virtio device type %d: status 0x%x, interrupt status 0x%x, %d ignored accesses, %d ignored notifications%s"
                    .formatted(device.deviceType(), status, interruptStatus.get(), ignoredAccesses.get(),
                            ignoredNotifications.get(), lastError.isEmpty() ? "" : ", last error: " + lastError));
            current = live;
        }
        if (current == null) {
            sb.append("\n  not active");
        } else {
            for (int i = 0; i < current.queueCount(); i++) {
                current.queue(i).ifPresent(q -> sb.append("\n  ").append(q.describe()));
            }
        }
        return sb.toString();
    }

    /** Why the device last entered NEEDS_RESET, or "". */
    public synchronized String lastError() {
        return lastError;
    }

    /**
     * Queue {@code index} was notified (its ioeventfd fired). Call on the device event loop. Does nothing
     * unless the device is active and has that queue.
     */
    public void queueNotified(int index) {
        DeviceActivation current = live;
        if (current == null || index < 0 || index >= queues.length) {
            ignoredNotifications.incrementAndGet();
            return;
        }
        try {
            device.processQueue(index);
        } catch (RuntimeException e) {
            // A device bug, not the guest's: keep the VMM alive, stop the device, and say why.
            LOG.log(Level.ERROR, "virtio device " + device.deviceType() + " failed on queue " + index, e);
            current.link().enterNeedsReset("device failed on queue %d: %s".formatted(index, e));
        }
    }

    @Override
    public synchronized void read(long offset, byte[] data) {
        Arrays.fill(data, (byte) 0);
        if (offset >= CONFIG) {
            if (isConfigWidth(data.length) && offset - CONFIG <= Integer.MAX_VALUE) {
                device.readConfig((int) (offset - CONFIG), data);
            } else {
                ignoredAccesses.incrementAndGet();
            }
            return;
        }
        // GUEST-CONTROLLED: registers are 32 bits wide and aligned (§4.2.2); anything else reads as zero.
        if (data.length != 4 || (offset & 3) != 0 || offset < 0) {
            ignoredAccesses.incrementAndGet();
            return;
        }
        int value = switch ((int) offset) {
            case MAGIC_VALUE -> MAGIC;
            case VERSION -> VERSION_2;
            case DEVICE_ID -> device.deviceType();
            case VENDOR_ID -> PADDOCK_VENDOR_ID;
            case DEVICE_FEATURES -> deviceFeaturesSelect == 0 ? (int) offeredFeatures
                    : deviceFeaturesSelect == 1 ? (int) (offeredFeatures >>> 32) : 0;
            case QUEUE_NUM_MAX -> selectedQueue() == null ? 0 : selectedQueue().maxSize;
            case QUEUE_READY -> selectedQueue() != null && selectedQueue().ready ? 1 : 0;
            case INTERRUPT_STATUS -> interruptStatus.get();
            case STATUS -> status;
            case SHM_LEN_LOW, SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH -> NO_SHARED_MEMORY_REGION;
            case CONFIG_GENERATION -> configGeneration.get();
            case QUEUE_RESET -> 0; // VIRTIO_F_RING_RESET is not offered
            default -> {
                // Write-only and unknown registers read as zero.
                ignoredAccesses.incrementAndGet();
                yield 0;
            }
        };
        putLittleEndian(data, value);
    }

    @Override
    public synchronized void write(long offset, byte[] data) {
        if (offset >= CONFIG) {
            if (isConfigWidth(data.length) && offset - CONFIG <= Integer.MAX_VALUE) {
                device.writeConfig((int) (offset - CONFIG), data.clone());
            } else {
                ignoredAccesses.incrementAndGet();
            }
            return;
        }
        // GUEST-CONTROLLED: registers are 32 bits wide and aligned; other writes are dropped.
        if (data.length != 4 || (offset & 3) != 0 || offset < 0) {
            ignoredAccesses.incrementAndGet();
            return;
        }
        int value = (data[0] & 0xFF) | (data[1] & 0xFF) << 8 | (data[2] & 0xFF) << 16 | (data[3] & 0xFF) << 24;
        boolean accepted = switch ((int) offset) {
            case DEVICE_FEATURES_SEL -> {
                deviceFeaturesSelect = value;
                yield true;
            }
            case DRIVER_FEATURES -> writeDriverFeatures(value);
            case DRIVER_FEATURES_SEL -> {
                driverFeaturesSelect = value;
                yield true;
            }
            case QUEUE_SEL -> {
                queueSelect = value;
                yield true;
            }
            case QUEUE_NUM, QUEUE_READY, QUEUE_DESC_LOW, QUEUE_DESC_HIGH, QUEUE_AVAIL_LOW, QUEUE_AVAIL_HIGH,
                 QUEUE_USED_LOW, QUEUE_USED_HIGH -> writeQueueRegister((int) offset, value);
            case QUEUE_NOTIFY -> notifyFromRegister(value);
            case INTERRUPT_ACK -> {
                interruptStatus.getAndUpdate(bits -> bits & ~value);
                yield true;
            }
            case STATUS -> writeStatus(value);
            case SHM_SEL -> {
                sharedMemorySelect = value;
                yield true;
            }
            default -> false; // read-only, legacy (GuestPageSize, QueuePFN, QueueAlign), QueueReset, unknown
        };
        if (!accepted) {
            ignoredAccesses.incrementAndGet();
        }
    }

    private static boolean isConfigWidth(int width) {
        return width == 1 || width == 2 || width == 4;
    }

    private QueueRegisters selectedQueue() {
        // GUEST-CONTROLLED: QueueSel may name a queue the device does not have; such a queue has
        // QueueNumMax 0 (§4.2.2.1: the driver must then not use it) and ignores writes.
        return queueSelect >= 0 && queueSelect < queues.length ? queues[queueSelect] : null;
    }

    private boolean writeDriverFeatures(int value) {
        // §3.1.1: the driver writes its features after DRIVER and before FEATURES_OK.
        if (!hasStatus(DeviceStatus.DRIVER) || hasStatus(DeviceStatus.FEATURES_OK) || hasStatus(DeviceStatus.FAILED)) {
            return false;
        }
        switch (driverFeaturesSelect) {
            case 0 -> driverFeatures = (driverFeatures & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFFL);
            case 1 -> driverFeatures = (driverFeatures & 0xFFFF_FFFFL) | ((long) value << 32);
            default -> {
                // GUEST-CONTROLLED: only two feature words exist.
                return value == 0;
            }
        }
        return true;
    }

    private boolean writeQueueRegister(int offset, int value) {
        QueueRegisters queue = selectedQueue();
        // Queue setup happens between FEATURES_OK and DRIVER_OK (§3.1.1 step 7); a live queue's layout never
        // changes under the device (we offer no VIRTIO_F_RING_RESET).
        if (queue == null || !hasStatus(DeviceStatus.FEATURES_OK) || hasStatus(DeviceStatus.DRIVER_OK)
                || hasStatus(DeviceStatus.FAILED)) {
            return false;
        }
        if (offset == QUEUE_READY) {
            queue.ready = (value & 1) != 0;
            return true;
        }
        if (queue.ready) {
            return false;
        }
        switch (offset) {
            // GUEST-CONTROLLED: stored raw; VirtQueue.activate checks size and addresses at DRIVER_OK.
            case QUEUE_NUM -> queue.size = value;
            case QUEUE_DESC_LOW -> queue.descriptorTable = QueueRegisters.withLow(queue.descriptorTable, value);
            case QUEUE_DESC_HIGH -> queue.descriptorTable = QueueRegisters.withHigh(queue.descriptorTable, value);
            case QUEUE_AVAIL_LOW -> queue.availableRing = QueueRegisters.withLow(queue.availableRing, value);
            case QUEUE_AVAIL_HIGH -> queue.availableRing = QueueRegisters.withHigh(queue.availableRing, value);
            case QUEUE_USED_LOW -> queue.usedRing = QueueRegisters.withLow(queue.usedRing, value);
            case QUEUE_USED_HIGH -> queue.usedRing = QueueRegisters.withHigh(queue.usedRing, value);
            default -> throw new IllegalStateException("not a queue register: 0x" + Integer.toHexString(offset));
        }
        return true;
    }

    private boolean notifyFromRegister(int value) {
        // GUEST-CONTROLLED: the written value is a queue index (no VIRTIO_F_NOTIFICATION_DATA).
        if (live == null || value < 0 || value >= queues.length) {
            ignoredNotifications.incrementAndGet();
            return true;
        }
        try {
            notifications.execute(() -> queueNotified(value));
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down (VM teardown); the notification has nowhere to go.
            ignoredNotifications.incrementAndGet();
            LOG.log(Level.DEBUG, "queue notification dropped, event loop rejected it: " + e.getMessage());
        }
        return true;
    }

    private boolean writeStatus(int value) {
        if (value == 0) {
            reset();
            return true;
        }
        // GUEST-CONTROLLED: the driver only ever adds bits (§2.1.2); clearing needs a reset. NEEDS_RESET is the
        // device's bit: Linux writes it back unchanged when it ORs in a new bit, anything else is ignored.
        int written = value & ~DeviceStatus.NEEDS_RESET;
        int current = status & ~DeviceStatus.NEEDS_RESET;
        if ((written & current) != current) {
            return false;
        }
        if ((written & DeviceStatus.FAILED) != 0) {
            status |= DeviceStatus.FAILED;
            return true;
        }
        int added = written & ~current;
        boolean accepted = true;
        if ((added & DeviceStatus.ACKNOWLEDGE) != 0) {
            status |= DeviceStatus.ACKNOWLEDGE;
        }
        if ((added & DeviceStatus.DRIVER) != 0) {
            accepted &= addIf(hasStatus(DeviceStatus.ACKNOWLEDGE), DeviceStatus.DRIVER);
        }
        if ((added & DeviceStatus.FEATURES_OK) != 0) {
            accepted &= addIf(hasStatus(DeviceStatus.DRIVER) && featuresAcceptable(), DeviceStatus.FEATURES_OK);
        }
        if ((added & DeviceStatus.DRIVER_OK) != 0) {
            accepted &= addIf(hasStatus(DeviceStatus.FEATURES_OK), DeviceStatus.DRIVER_OK);
            if (hasStatus(DeviceStatus.DRIVER_OK)) {
                activate();
            }
        }
        // Bits 0x10 and 0x20 are reserved: not stored.
        return accepted && (added & ~(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK
                | DeviceStatus.DRIVER_OK)) == 0;
    }

    private boolean addIf(boolean allowed, int bit) {
        if (allowed) {
            status |= bit;
        }
        return allowed;
    }

    /**
     * §2.2.2: the device refuses FEATURES_OK when the driver accepted a feature we did not offer; a v2 MMIO
     * device is modern-only, so the driver must also accept VIRTIO_F_VERSION_1 (§4.2.2.2 and Linux's
     * vm_finalize_features).
     */
    private boolean featuresAcceptable() {
        return (driverFeatures & ~offeredFeatures) == 0 && VirtioFeatures.has(driverFeatures, VirtioFeatures.VERSION_1);
    }

    private void activate() {
        List<VirtQueue> liveQueues = new ArrayList<>(queues.length);
        try {
            boolean indirect = VirtioFeatures.has(driverFeatures, VirtioFeatures.INDIRECT_DESC);
            for (int i = 0; i < queues.length; i++) {
                QueueRegisters q = queues[i];
                liveQueues.add(q.ready ? VirtQueue.activate(i, memory, q.layout(), q.maxSize, indirect) : null);
            }
            DeviceActivation next = new DeviceActivation(memory, driverFeatures, liveQueues, new Link(generation));
            device.activate(next);
            activation = next;
            live = next;
        } catch (InvalidQueueException | ActivationException e) {
            needsReset(e.getMessage());
        } catch (RuntimeException e) {
            // A device bug, not the guest's: the vCPU must not see it.
            LOG.log(Level.ERROR, "virtio device " + device.deviceType() + " failed to activate", e);
            needsReset("device failed to activate: " + e);
        }
    }

    private void reset() {
        DeviceActivation current = activation;
        generation++;
        activation = null;
        live = null;
        if (current != null) {
            current.retireQueues();
            device.reset();
        }
        status = 0;
        deviceFeaturesSelect = 0;
        driverFeaturesSelect = 0;
        driverFeatures = 0;
        queueSelect = 0;
        sharedMemorySelect = 0;
        for (QueueRegisters q : queues) {
            q.clear();
        }
        interruptStatus.set(0);
    }

    private void needsReset(String reason) {
        lastError = reason;
        LOG.log(Level.WARNING, "virtio device {0} needs reset: {1}", device.deviceType(), reason);
        status |= DeviceStatus.NEEDS_RESET;
        // §2.1.2: with DRIVER_OK set, NEEDS_RESET comes with a configuration change notification.
        if (hasStatus(DeviceStatus.DRIVER_OK)) {
            raise(INTERRUPT_CONFIG_CHANGE);
        }
    }

    private boolean hasStatus(int bit) {
        return (status & bit) != 0;
    }

    private void raise(int reason) {
        interruptStatus.getAndUpdate(bits -> bits | reason);
        interrupt.trigger();
    }

    private static void putLittleEndian(byte[] data, int value) {
        data[0] = (byte) value;
        data[1] = (byte) (value >>> 8);
        data[2] = (byte) (value >>> 16);
        data[3] = (byte) (value >>> 24);
    }

    /** The device's way back to this transport for one activation. */
    private final class Link implements TransportLink {
        private final long activationGeneration;

        Link(long activationGeneration) {
            this.activationGeneration = activationGeneration;
        }

        private boolean current() {
            return generation == activationGeneration;
        }

        @Override
        public void signalUsedBuffer() {
            if (current()) {
                raise(INTERRUPT_USED_BUFFER);
            }
        }

        @Override
        public void signalConfigChange() {
            if (current()) {
                configGeneration.incrementAndGet();
                raise(INTERRUPT_CONFIG_CHANGE);
            }
        }

        @Override
        public void enterNeedsReset(String reason) {
            synchronized (MmioTransport.this) {
                if (current() && !hasStatus(DeviceStatus.NEEDS_RESET)) {
                    needsReset(reason);
                }
            }
        }
    }
}
