package dev.paddock.runtime.virtio.rng;

import dev.paddock.hypervisor.memory.GuestMemoryException;
import dev.paddock.runtime.virtio.ActivationException;
import dev.paddock.runtime.virtio.DeviceActivation;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.queue.BrokenQueueException;
import dev.paddock.runtime.virtio.queue.BufferCursor;
import dev.paddock.runtime.virtio.queue.DescriptorChain;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * virtio-rng (virtio 1.2 §5.4, device ID 4): one request queue whose device-writable buffers the device
 * fills with random bytes from a {@link SecureRandom}. No feature bits, no configuration space.
 *
 * <p>Runs entirely on the device event loop (filling a request is bounded CPU work, no I/O wait):
 * {@link #processQueue} pops, fills at most {@link RngDeviceConfig#maxBytesPerRequest()} bytes, returns
 * the request with the length written, and raises the interrupt once per batch.
 */
public final class RngDevice implements VirtioDevice {
    private static final int REQUEST_QUEUE = 0;
    private static final int CHUNK = 4096;

    private final RngDeviceConfig config;
    private final SecureRandom random;
    private final byte[] chunk = new byte[CHUNK];
    private volatile DeviceState state = DeviceState.INACTIVE;
    private final AtomicLong bytesServed = new AtomicLong();
    private final AtomicLong requestsServed = new AtomicLong();

    public RngDevice(RngDeviceConfig config, SecureRandom random) {
        this.config = Objects.requireNonNull(config, "config");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** A device with the default config and the platform's default {@code SecureRandom}. */
    public RngDevice() {
        this(RngDeviceConfig.DEFAULT, new SecureRandom());
    }

    @Override
    public int deviceType() {
        return DeviceType.RNG;
    }

    @Override
    public long deviceFeatures() {
        return 0;
    }

    @Override
    public int[] queueMaxSizes() {
        return new int[] {config.queueSize()};
    }

    @Override
    public void readConfig(int offset, byte[] data) {
        // §5.4.4: virtio-rng has no device configuration; the transport has zeroed data.
    }

    @Override
    public void writeConfig(int offset, byte[] data) {
        // No configuration to write.
    }

    @Override
    public void activate(DeviceActivation activation) throws ActivationException {
        activation.requireQueue(REQUEST_QUEUE);
        state = new DeviceState.Active(activation);
    }

    @Override
    public void reset() {
        state = DeviceState.INACTIVE;
    }

    @Override
    public DeviceState state() {
        return state;
    }

    public long bytesServed() {
        return bytesServed.get();
    }

    public long requestsServed() {
        return requestsServed.get();
    }

    @Override
    public void processQueue(int index) {
        if (index != REQUEST_QUEUE || !(state instanceof DeviceState.Active active)) {
            return;
        }
        DeviceActivation activation = active.activation();
        VirtQueue queue = activation.queue(REQUEST_QUEUE).orElseThrow();
        try {
            DescriptorChain chain;
            while ((chain = queue.pop()) != null) {
                int written = fill(activation, chain);
                queue.addUsed(chain.head(), written);
                requestsServed.incrementAndGet();
                bytesServed.addAndGet(written);
            }
        } catch (BrokenQueueException e) {
            activation.link().enterNeedsReset(e.getMessage());
        } catch (GuestMemoryException e) {
            // Buffers were checked against guest RAM; this means the memory went away under us (teardown).
            activation.link().enterNeedsReset("virtio-rng: guest memory unusable: " + e.getMessage());
        }
        activation.notifyUsed(queue);
    }

    private int fill(DeviceActivation activation, DescriptorChain chain) {
        // GUEST-CONTROLLED: the writable length may be up to 4 GiB per descriptor; serve at most the cap.
        long want = Math.min(chain.writableBytes(), config.maxBytesPerRequest());
        BufferCursor out = new BufferCursor(activation.memory(), chain.writable());
        int written = 0;
        while (written < want) {
            int n = (int) Math.min(CHUNK, want - written);
            byte[] bytes = n == CHUNK ? chunk : new byte[n];
            random.nextBytes(bytes);
            written += out.write(bytes, 0, n);
        }
        return written;
    }
}
