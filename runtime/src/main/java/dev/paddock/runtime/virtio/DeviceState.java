package dev.paddock.runtime.virtio;

/**
 * A device's lifecycle: inactive until the driver sets DRIVER_OK, then active with its
 * {@link DeviceActivation}; reset returns it to inactive. Memory, queues and the interrupt link exist only
 * in the active state, so an inactive device cannot touch the guest.
 */
public sealed interface DeviceState permits DeviceState.Inactive, DeviceState.Active {

    DeviceState INACTIVE = new Inactive();

    record Inactive() implements DeviceState {
    }

    record Active(DeviceActivation activation) implements DeviceState {
    }
}
