package dev.paddock.cli.rig;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The requests the CLI itself makes to rig-agent: ping and shutdown. Frames are
 * {@code type:u8 length:u32be payload}, as guest/helper-vm/PROTOCOL.md defines; commands run through the C
 * client (rig-agent exec), which relays stdin/stdout/stderr without a JVM in the path.
 */
public final class RigAgentClient {
    private final int port;
    private final String token;

    public RigAgentClient(int port, String token) {
        this.port = port;
        this.token = token;
    }

    /** True when the agent answers a ping within the timeout. */
    public boolean ping(Duration timeout) {
        try {
            return request('P', timeout) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Asks the agent to exit, after which the helper VM's /init powers it off. */
    public void shutdown(Duration timeout) throws IOException {
        int status = request('Q', timeout);
        if (status != 0) {
            throw new IOException("the agent refused to shut down (status " + status + ")");
        }
    }

    private int request(char type, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            out.write(frame('H', token.getBytes(StandardCharsets.UTF_8)));
            out.write(frame(type, new byte[0]));
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            StringBuilder errors = new StringBuilder();
            while (true) {
                int t;
                int len;
                try {
                    t = in.readUnsignedByte();
                    len = in.readInt();
                } catch (EOFException e) {
                    throw new IOException("the agent closed the connection without answering"
                            + (errors.length() > 0 ? ": " + errors.toString().trim() : ""), e);
                }
                if (len < 0 || len > (1 << 20)) throw new IOException("oversized frame from the agent: " + len);
                byte[] payload = in.readNBytes(len);
                if (payload.length != len) throw new IOException("the agent closed the connection mid-frame");
                if (t == 'X' && len == 4) {
                    if (errors.length() > 0 && ByteBuffer.wrap(payload).getInt() != 0) {
                        throw new IOException(errors.toString().trim());
                    }
                    return ByteBuffer.wrap(payload).getInt();
                }
                if (t == 'E') errors.append(new String(payload, StandardCharsets.UTF_8));
            }
        }
    }

    static byte[] frame(char type, byte[] payload) {
        return ByteBuffer.allocate(5 + payload.length).put((byte) type).putInt(payload.length).put(payload).array();
    }
}
