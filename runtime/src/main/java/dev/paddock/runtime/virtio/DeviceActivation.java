package dev.paddock.runtime.virtio;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Everything a device owns only while it is active (between DRIVER_OK and reset): guest memory, the
 * negotiated features, its live queues and the link back to its transport. The transport builds one at
 * DRIVER_OK and hands it to {@link VirtioDevice#activate}; nothing here exists before that.
 */
public final class DeviceActivation {
    private final GuestMemory memory;
    private final long features;
    private final List<VirtQueue> queues;
    private final TransportLink link;

    /**
     * @param queues one entry per device queue, {@code null} where the driver did not make the queue ready
     */
    public DeviceActivation(GuestMemory memory, long features, List<VirtQueue> queues, TransportLink link) {
        this.memory = memory;
        this.features = features;
        this.queues = Collections.unmodifiableList(new ArrayList<>(queues));
        this.link = link;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The features the driver accepted (a subset of those offered, with VERSION_1). */
    public long features() {
        return features;
    }

    public boolean hasFeature(int bit) {
        return VirtioFeatures.has(features, bit);
    }

    public int queueCount() {
        return queues.size();
    }

    /** Queue {@code index}, or empty when the driver left it unused. */
    public Optional<VirtQueue> queue(int index) {
        return index >= 0 && index < queues.size() ? Optional.ofNullable(queues.get(index)) : Optional.empty();
    }

    /** Queue {@code index}, which the device cannot work without. */
    public VirtQueue requireQueue(int index) throws ActivationException {
        return queue(index).orElseThrow(() -> new ActivationException(
                "queue %d was not made ready before DRIVER_OK; the driver must set QueueReady for it".formatted(index)));
    }

    public TransportLink link() {
        return link;
    }

    /** Raises the used-buffer interrupt if {@code queue} has new used entries and the driver wants to hear. */
    public void notifyUsed(VirtQueue queue) {
        if (queue.takeInterruptDue()) {
            link.signalUsedBuffer();
        }
    }

    /** Retires every queue; called by the transport at reset, before the device's own reset. */
    public void retireQueues() {
        for (VirtQueue q : queues) {
            if (q != null) {
                q.retire();
            }
        }
    }
}
