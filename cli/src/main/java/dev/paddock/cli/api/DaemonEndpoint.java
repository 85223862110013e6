package dev.paddock.cli.api;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * Where the daemon's REST API answers. By default its unix socket in the state directory, where the file's
 * permissions are the access control. {@code PADDOCK_DAEMON=tcp://HOST:PORT} points the CLI at a daemon listening
 * on TCP instead (the emulated accelerator forwards one to host loopback); TCP always needs the daemon's token,
 * from {@code PADDOCK_TOKEN} or the file named by {@code PADDOCK_TOKEN_FILE}, sent as a bearer token.
 */
public sealed interface DaemonEndpoint {

    /** The daemon's API socket; the CLI may start a daemon there when none answers. */
    record Unix(Path socket) implements DaemonEndpoint {
        @Override
        public String describe() {
            return "unix socket " + socket;
        }
    }

    /** A daemon on TCP: never started by the CLI, always with a token. */
    record Tcp(String host, int port, String token) implements DaemonEndpoint {
        public Tcp {
            if (port < 1 || port > 65535) {
                throw new CliException(ExitCodes.USAGE, "PADDOCK_DAEMON port " + port + " is out of range; use 1-65535");
            }
        }

        @Override
        public String describe() {
            return "tcp://" + host + ":" + port;
        }

        @Override
        public String toString() {
            return "Tcp[" + describe() + ", token=<redacted>]";
        }
    }

    /** Words for messages: where the CLI looked for the daemon. */
    String describe();

    /** The endpoint the environment names: {@code PADDOCK_DAEMON}, or the socket in {@code PADDOCK_STATE}. */
    static DaemonEndpoint fromEnvironment(Map<String, String> env) {
        String url = env.get("PADDOCK_DAEMON");
        if (url == null || url.isBlank()) {
            return new Unix(PaddockState.fromEnvironment(env).socket());
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new CliException(ExitCodes.USAGE, "PADDOCK_DAEMON=\"" + url + "\" is not a URL; use unix:///path/to/daemon.sock"
                    + " or tcp://127.0.0.1:PORT", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "unix":
                if (uri.getPath() == null || uri.getPath().isEmpty()) {
                    throw new CliException(ExitCodes.USAGE, "PADDOCK_DAEMON=\"" + url + "\" names no socket; use unix:///path/to/daemon.sock");
                }
                return new Unix(Paths.get(uri.getPath()));
            case "tcp":
                if (uri.getHost() == null || uri.getPort() < 0) {
                    throw new CliException(ExitCodes.USAGE, "PADDOCK_DAEMON=\"" + url + "\" needs a host and a port, e.g. tcp://127.0.0.1:7717");
                }
                return new Tcp(uri.getHost(), uri.getPort(), token(env, url));
            default:
                throw new CliException(ExitCodes.USAGE, "PADDOCK_DAEMON=\"" + url + "\" has scheme \"" + scheme
                        + "\"; use unix:///path/to/daemon.sock or tcp://HOST:PORT");
        }
    }

    private static String token(Map<String, String> env, String url) {
        String token = env.get("PADDOCK_TOKEN");
        if (token != null && !token.isBlank()) {
            return token.trim();
        }
        String file = env.get("PADDOCK_TOKEN_FILE");
        if (file != null && !file.isBlank()) {
            try {
                String t = Files.readString(Path.of(file)).trim();
                if (!t.isEmpty()) {
                    return t;
                }
                throw new CliException(ExitCodes.USAGE, "PADDOCK_TOKEN_FILE " + file + " is empty; it must hold the daemon's API token");
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot read PADDOCK_TOKEN_FILE " + file + ": " + e.getMessage(), e);
            }
        }
        throw new CliException(ExitCodes.USAGE, "PADDOCK_DAEMON=" + url + " is a TCP endpoint, which needs the daemon's token:"
                + " set PADDOCK_TOKEN, or PADDOCK_TOKEN_FILE to the file that holds it");
    }
}
