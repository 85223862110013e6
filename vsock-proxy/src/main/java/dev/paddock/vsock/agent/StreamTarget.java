package dev.paddock.vsock.agent;

import java.nio.charset.StandardCharsets;

/** Where {@link AgentClient#openStream} connects inside the guest (PROTOCOL.md §8). */
public sealed interface StreamTarget {
    /** Linux's {@code sun_path} holds 108 bytes including the terminating NUL (unix(7)). */
    int MAX_UNIX_PATH_BYTES = 107;

    /** A unix stream socket in the guest, such as {@code /var/run/docker.sock}. */
    record UnixSocket(String path) implements StreamTarget {
        public UnixSocket {
            int bytes = path.getBytes(StandardCharsets.UTF_8).length;
            if (bytes < 1 || bytes > MAX_UNIX_PATH_BYTES || path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("unix socket path '" + path + "' is " + bytes
                        + " bytes; it must be 1.." + MAX_UNIX_PATH_BYTES + " bytes without NUL (sun_path)");
            }
        }
    }

    /** A TCP port in the guest; {@code host} is an IPv4 or IPv6 literal, empty for 127.0.0.1. */
    record TcpPort(String host, int port) implements StreamTarget {
        public TcpPort {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("TCP port " + port + " is out of range 1..65535");
            }
            if (host.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("TCP host '" + host + "' contains a NUL byte");
            }
        }
    }

    static StreamTarget unix(String path) {
        return new UnixSocket(path);
    }

    static StreamTarget tcp(int port) {
        return new TcpPort("", port);
    }
}
