package dev.paddock.hypervisor;

/** How this host can run Paddock's guests; {@code AcceleratorProbe} decides. See docs/accelerators.md. */
public enum Accelerator {
    /** /dev/kvm runs guest kernel-mode code at hardware speed: run VMs directly. */
    NATIVE,
    /** /dev/kvm is missing or too slow for a guest kernel, but QEMU can host the helper VM (`paddock rig`). */
    EMULATED,
    /** Neither: no usable /dev/kvm and no QEMU to fall back on. */
    UNAVAILABLE;

    /** The word the probe prints: native, emulated or unavailable. */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
