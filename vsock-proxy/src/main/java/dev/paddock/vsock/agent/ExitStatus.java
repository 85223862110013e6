package dev.paddock.vsock.agent;

/** How an exec'd process ended (PROTOCOL.md §6.3): it exited with a code, or a signal killed it. */
public sealed interface ExitStatus {
    /** The process called exit; {@code code} is 0..255. */
    record Exited(int code) implements ExitStatus {
    }

    /** A signal killed the process (Linux numbering); {@code coreDumped} when it left a core. */
    record Signaled(int signal, boolean coreDumped) implements ExitStatus {
    }

    static ExitStatus exited(int code) {
        return new Exited(code);
    }

    static ExitStatus signaled(int signal) {
        return new Signaled(signal, false);
    }

    /** The shell's convention: the code, or 128 + the signal. */
    default int shellCode() {
        if (this instanceof Exited e) {
            return e.code();
        }
        return 128 + ((Signaled) this).signal();
    }
}
