package dev.paddock.vsock.agent;

import java.time.Duration;

/** Settings of one agent connection. Mutable, Vert.x-options style; copied at connect. */
public final class AgentClientOptions {
    /** PROTOCOL.md §4: an initial window is 4096 ..= 16777216 bytes. */
    public static final int MIN_INITIAL_WINDOW = 4096;
    public static final int MAX_INITIAL_WINDOW = 16 * 1024 * 1024;

    private int initialWindow = 256 * 1024;
    private Duration helloTimeout = Duration.ofSeconds(10);
    private String software = "paddock-vsock-proxy/0.1.0";

    /** The credit the client grants the agent on every output channel of every new stream. */
    public int initialWindow() {
        return initialWindow;
    }

    public AgentClientOptions initialWindow(int bytes) {
        if (bytes < MIN_INITIAL_WINDOW || bytes > MAX_INITIAL_WINDOW) {
            throw new IllegalArgumentException("initial window " + bytes + " is out of range " + MIN_INITIAL_WINDOW
                    + ".." + MAX_INITIAL_WINDOW + " (PROTOCOL.md §4)");
        }
        this.initialWindow = bytes;
        return this;
    }

    /** How long connect waits for the socket and the agent's HELLO. */
    public Duration helloTimeout() {
        return helloTimeout;
    }

    public AgentClientOptions helloTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("hello timeout must be positive, got " + timeout);
        }
        this.helloTimeout = timeout;
        return this;
    }

    public String software() {
        return software;
    }

    public AgentClientOptions software(String name) {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 256) {
            throw new IllegalArgumentException("software name '" + name + "' is over 256 bytes (PROTOCOL.md §10)");
        }
        this.software = name;
        return this;
    }

    public AgentClientOptions copy() {
        return new AgentClientOptions().initialWindow(initialWindow).helloTimeout(helloTimeout).software(software);
    }
}
