package dev.paddock.hypervisor;

import java.util.ServiceLoader;

/**
 * A hypervisor backend: the SPI through which the runtime creates VMs without naming KVM.
 *
 * <p>Backends register in {@code META-INF/services/dev.paddock.hypervisor.Hypervisor}. Only KVM exists
 * today; macOS Hypervisor.framework or Windows WHP would plug in here. A backend opens its device lazily,
 * on the first call that needs it, so that loading the SPI never fails on a host without the device.
 */
public interface Hypervisor extends AutoCloseable {

    /** A short name for logs and errors, e.g. "kvm". */
    String name();

    /**
     * Whether this backend, on this host, offers the feature. Opens the device; throws
     * {@link HypervisorException} (naming the device and the fix) when it cannot.
     */
    boolean supports(HypervisorFeature feature);

    /** Creates an empty VM: no memory, no vCPUs. */
    VirtualMachine createVm();

    @Override
    void close();

    /** The first registered backend whose {@link #name()} matches, e.g. {@code load("kvm")}. */
    static Hypervisor load(String name) {
        for (Hypervisor h : ServiceLoader.load(Hypervisor.class, Hypervisor.class.getClassLoader())) {
            if (h.name().equals(name)) {
                return h;
            }
        }
        throw new HypervisorException("no hypervisor backend named '" + name
                + "' is registered (META-INF/services/" + Hypervisor.class.getName() + ")");
    }
}
