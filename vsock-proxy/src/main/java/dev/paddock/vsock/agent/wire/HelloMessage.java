package dev.paddock.vsock.agent.wire;

import dev.paddock.vsock.agent.AgentProtocolException;
import dev.paddock.vsock.agent.AgentVersionException;
import io.vertx.core.buffer.Buffer;

/** The {@code HELLO} payload of PROTOCOL.md §4, the same shape in both directions. */
public record HelloMessage(int major, int minor, long features, long initialWindow, long maxPayload,
        long maxStreams, String software) {
    /** "PDCK". */
    public static final byte[] MAGIC = {0x50, 0x44, 0x43, 0x4B};
    public static final int MAJOR = 1;
    /** 1.1 added FS_INVALIDATE (§13). */
    public static final int MINOR = 1;
    public static final long MIN_INITIAL_WINDOW = 4096;
    public static final long MAX_INITIAL_WINDOW = 16L * 1024 * 1024;
    public static final int MAX_SOFTWARE_BYTES = 256;

    public Buffer encode() {
        return new PayloadWriter().bytes(MAGIC).u16(major).u16(minor).u32(features).u32(initialWindow)
                .u32(maxPayload).u32(maxStreams).str(software).buffer();
    }

    /**
     * Decodes and checks the agent's {@code HELLO}: magic, major version, {@code max_payload} and the bounds of
     * §4 and §10.
     */
    public static HelloMessage decodeFromAgent(Buffer payload) {
        PayloadReader r = new PayloadReader("HELLO", payload);
        Buffer magic = r.bytes(4);
        if (!magic.equals(Buffer.buffer(MAGIC))) {
            throw new AgentProtocolException("HELLO magic is " + hex(magic) + ", expected 50 44 43 4b (\"PDCK\"): "
                    + "the peer is not a Paddock agent");
        }
        int major = r.u16();
        int minor = r.u16();
        if (major != MAJOR) {
            // Checked before the rest: a future major may lay the rest out differently.
            throw new AgentVersionException("agent speaks protocol " + major + "." + minor + "; this client speaks "
                    + MAJOR + "." + MINOR + ": use an agent image and a paddock of the same protocol major version");
        }
        long features = r.u32();
        long window = r.u32();
        long maxPayload = r.u32();
        long maxStreams = r.u32();
        String software = r.str("software", MAX_SOFTWARE_BYTES);
        r.end();
        // GUEST-CONTROLLED: the agent's window becomes our send credit per channel; bound it as §4 says.
        if (window < MIN_INITIAL_WINDOW || window > MAX_INITIAL_WINDOW) {
            throw new AgentProtocolException("agent HELLO initial_window " + window + " is outside "
                    + MIN_INITIAL_WINDOW + ".." + MAX_INITIAL_WINDOW + " (PROTOCOL.md §4)");
        }
        if (maxPayload != Frame.MAX_PAYLOAD) {
            throw new AgentProtocolException("agent HELLO max_payload " + maxPayload + " must be "
                    + Frame.MAX_PAYLOAD + " in protocol 1.x (PROTOCOL.md §4)");
        }
        if (maxStreams < 1) {
            throw new AgentProtocolException("agent HELLO max_streams is 0; it must be at least 1");
        }
        return new HelloMessage(major, minor, features, window, maxPayload, maxStreams, software);
    }

    private static String hex(Buffer b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length(); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b.getUnsignedByte(i)));
        }
        return sb.toString();
    }
}
