package dev.paddock.daemon.driver;

import java.util.Locale;
import java.util.Objects;

/**
 * How a sandbox ended.
 *
 * @param code   the agent process's exit status in loopback mode, or -1 where there is none (a VM)
 * @param detail what the driver knows beyond the kind (the signal, the exit reason, the last console line), or null
 */
public record SandboxExit(Kind kind, int code, String detail) {
    public SandboxExit {
        Objects.requireNonNull(kind, "kind");
    }

    /** Kinds of ending; a VM's vCPU exits map onto them (ACPI power-off, panic, KVM internal error). */
    public enum Kind {
        /** An orderly end: the agent shut down (SHUTDOWN, SIGTERM) or the guest powered off. */
        SHUTDOWN,
        /** Killed from outside: SIGKILL to the agent process, the VM torn down. */
        KILLED,
        /** Ended on its own without being asked: the agent process died, the guest reset or triple-faulted. */
        CRASHED,
        /** The guest kernel panicked. */
        PANIC,
        /** The hypervisor could not go on (KVM_EXIT_INTERNAL_ERROR, a failed vCPU run). */
        INTERNAL_ERROR;

        public String json() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public String describe() {
        return kind.json() + (code >= 0 ? " (exit status " + code + ")" : "") + (detail != null ? ": " + detail : "");
    }
}
