package dev.paddock.hypervisor.linux;

import dev.paddock.hypervisor.Hypervisor;
import dev.paddock.hypervisor.HypervisorFeature;

/**
 * The KVM backend of the {@link Hypervisor} SPI, registered in META-INF/services. It opens /dev/kvm on first
 * use, so loading the SPI on a host without KVM does not fail; the first real call reports why.
 */
public final class KvmHypervisor implements Hypervisor {
    private Kvm kvm;

    /** For {@link java.util.ServiceLoader}. */
    public KvmHypervisor() {
    }

    @Override
    public String name() {
        return "kvm";
    }

    private synchronized Kvm kvm() {
        if (kvm == null) {
            kvm = Kvm.open();
        }
        return kvm;
    }

    @Override
    public boolean supports(HypervisorFeature feature) {
        Kvm k = kvm();
        return switch (feature) {
            case IN_KERNEL_IRQCHIP -> k.hasCapability(KvmCapability.IRQCHIP);
            case IRQFD -> k.hasCapability(KvmCapability.IRQFD);
            case IOEVENTFD -> k.hasCapability(KvmCapability.IOEVENTFD);
            case VCPU_KICK -> k.hasCapability(KvmCapability.IMMEDIATE_EXIT);
            case DIRTY_LOG -> k.hasCapability(KvmCapability.USER_MEMORY);
            case VCPU_STATE -> k.hasCapability(KvmCapability.MP_STATE) && k.hasCapability(KvmCapability.VCPU_EVENTS)
                    && k.hasCapability(KvmCapability.XSAVE) && k.hasCapability(KvmCapability.XCRS);
        };
    }

    @Override
    public KvmVm createVm() {
        return kvm().createVm();
    }

    @Override
    public synchronized void close() {
        if (kvm != null) {
            kvm.close();
            kvm = null;
        }
    }
}
