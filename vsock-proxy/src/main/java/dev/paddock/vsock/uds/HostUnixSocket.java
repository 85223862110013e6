package dev.paddock.vsock.uds;

import dev.paddock.vsock.splice.HostSocket;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A host unix socket of one sandbox (in its state directory) whose connections half-close: the shared part of
 * the Firecracker-style vsock socket and the docker.sock proxy. A stale socket file from an earlier run is
 * replaced; the file is removed on {@link #close()} and made owner-only (0600): whoever can open it reaches
 * into the sandbox.
 */
public final class HostUnixSocket {
    /** unix(7): {@code sun_path} holds 108 bytes including the terminating NUL. */
    static final int MAX_PATH_BYTES = 107;

    private final Vertx vertx;
    private final NetServer server;
    private final Path path;

    private HostUnixSocket(Vertx vertx, NetServer server, Path path) {
        this.vertx = vertx;
        this.server = server;
        this.path = path;
    }

    /** Listens on {@code path}; {@code onConnect} gets each connection as a paused {@link HostSocket}. */
    public static Future<HostUnixSocket> listen(Vertx vertx, Path path, String what, Handler<HostSocket> onConnect) {
        Path absolute = path.toAbsolutePath();
        int bytes = absolute.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            return Future.failedFuture(new IllegalArgumentException(what + " path " + absolute + " is " + bytes
                    + " bytes; a unix socket path holds at most " + MAX_PATH_BYTES
                    + " (sun_path); use a shorter state directory"));
        }
        if (!HostSocket.supportsHalfClose(vertx, true)) {
            return Future.failedFuture(new IllegalStateException(HostSocket.halfCloseUnsupported(what)));
        }
        Context context = vertx.getOrCreateContext();
        Promise<HostUnixSocket> listening = Promise.promise();
        context.runOnContext(v -> vertx.<Void>executeBlocking(() -> {
            Files.deleteIfExists(absolute); // a socket file left by a run that died; nothing listens on it
            return null;
        }).compose(x -> {
            NetServer server = vertx.createNetServer().connectHandler(socket -> {
                HostSocket host;
                try {
                    host = HostSocket.wrap(socket, what + " connection");
                } catch (RuntimeException e) {
                    socket.close();
                    throw e;
                }
                onConnect.handle(host);
            });
            return server.listen(SocketAddress.domainSocketAddress(absolute.toString())).map(server);
        }).compose(server -> vertx.<HostUnixSocket>executeBlocking(() -> {
            Files.setPosixFilePermissions(absolute, PosixFilePermissions.fromString("rw-------"));
            return new HostUnixSocket(vertx, server, absolute);
        })).recover(e -> Future.failedFuture(new IOException("cannot listen on " + what + " " + absolute + ": "
                + e.getMessage() + "; check that its directory exists and is writable", e)))
                .onComplete(listening));
        return listening.future();
    }

    public Path path() {
        return path;
    }

    /** Stops accepting, closes the connections it accepted (Vert.x 5 closes a server's connections with it) and removes the socket file. */
    public Future<Void> close() {
        return server.close().compose(v -> vertx.executeBlocking(() -> {
            Files.deleteIfExists(path);
            return null;
        }));
    }
}
