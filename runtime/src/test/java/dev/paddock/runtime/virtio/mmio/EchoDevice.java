package dev.paddock.runtime.virtio.mmio;

import dev.paddock.runtime.virtio.ActivationException;
import dev.paddock.runtime.virtio.DeviceActivation;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.queue.BrokenQueueException;
import dev.paddock.runtime.virtio.queue.DescriptorChain;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal device for transport tests: two queues (16 and 8), feature bits 0 and 5, an 8-byte config
 * (bytes 0..3 read-only, 4..7 writable), and queues that complete every request with its writable length.
 */
final class EchoDevice implements VirtioDevice {
    static final int TYPE = 0x7E;
    final byte[] config = {1, 2, 3, 4, 0, 0, 0, 0};
    final List<String> calls = new ArrayList<>();
    volatile DeviceState state = DeviceState.INACTIVE;
    boolean requireQueueOne;
    RuntimeException failOnProcess;

    @Override
    public int deviceType() {
        return TYPE;
    }

    @Override
    public long deviceFeatures() {
        return 1L | 1L << 5;
    }

    @Override
    public int[] queueMaxSizes() {
        return new int[] {16, 8};
    }

    @Override
    public void readConfig(int offset, byte[] data) {
        for (int i = 0; i < data.length && offset + i < config.length; i++) {
            data[i] = config[offset + i];
        }
    }

    @Override
    public void writeConfig(int offset, byte[] data) {
        for (int i = 0; i < data.length && offset + i < config.length; i++) {
            if (offset + i >= 4) {
                config[offset + i] = data[i];
            }
        }
    }

    @Override
    public void activate(DeviceActivation activation) throws ActivationException {
        calls.add("activate");
        if (requireQueueOne) {
            activation.requireQueue(1);
        }
        state = new DeviceState.Active(activation);
    }

    @Override
    public void reset() {
        calls.add("reset");
        state = DeviceState.INACTIVE;
    }

    @Override
    public void processQueue(int index) {
        calls.add("process " + index);
        if (failOnProcess != null) {
            throw failOnProcess;
        }
        if (!(state instanceof DeviceState.Active active)) {
            return;
        }
        DeviceActivation activation = active.activation();
        VirtQueue queue = activation.queue(index).orElse(null);
        if (queue == null) {
            return;
        }
        try {
            DescriptorChain chain;
            while ((chain = queue.pop()) != null) {
                queue.addUsed(chain.head(), (int) chain.writableBytes());
            }
        } catch (BrokenQueueException e) {
            activation.link().enterNeedsReset(e.getMessage());
        }
        activation.notifyUsed(queue);
    }

    @Override
    public DeviceState state() {
        return state;
    }
}
