package dev.paddock.runtime.vmm;

/** A VM description that cannot be built; the message names the setting, its value and what is allowed. */
public final class VmConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public VmConfigException(String message) {
        super(message);
    }
}
