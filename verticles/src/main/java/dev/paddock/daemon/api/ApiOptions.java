package dev.paddock.daemon.api;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the API listens: always the unix socket; TCP only when {@code tcpHost} is set, and then every request
 * needs {@code Authorization: Bearer <token>}.
 *
 * @param tcpPort 0 for any free port
 */
public record ApiOptions(Path socket, String tcpHost, int tcpPort, String token) {
    public ApiOptions {
        Objects.requireNonNull(socket, "socket");
        if (tcpHost != null && (token == null || token.isEmpty())) {
            throw new IllegalArgumentException("TCP mode needs a token");
        }
    }

    public static ApiOptions unixOnly(Path socket) {
        return new ApiOptions(socket, null, 0, null);
    }

    public boolean tcp() {
        return tcpHost != null;
    }
}
