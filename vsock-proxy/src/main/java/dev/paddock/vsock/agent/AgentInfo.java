package dev.paddock.vsock.agent;

/** What the agent announced in its {@code HELLO} (PROTOCOL.md §4). */
public record AgentInfo(int major, int minor, long features, long initialWindow, long maxStreams, String software) {
}
