package dev.paddock.daemon.driver;

/** What a booting and then running sandbox reports. Called from any thread; implementations do not block. */
public interface BootListener {
    /** A boot step finished, e.g. {@code agent-started}, {@code kernel-loaded}, {@code agent-connected}. */
    void progress(String step, String detail);

    /** One line the sandbox printed on its console (a VM's serial port; the loopback agent's stdout/stderr). */
    void console(String line);
}
