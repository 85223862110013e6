package dev.paddock.vsock.agent;

import java.time.Duration;

/** The agent's {@code HEALTH_REPLY} (PROTOCOL.md §6.4). */
public record Health(int major, int minor, boolean pid1, boolean dockerdRunning, boolean dockerReady,
        boolean shuttingDown, Duration uptime, long children, String software) {
}
