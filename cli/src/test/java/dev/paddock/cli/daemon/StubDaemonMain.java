package dev.paddock.cli.daemon;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stand-in daemon process for the auto-start tests: {@code --state DIR} like the real one, answers /v1/info on
 * DIR/daemon.sock after a short delay (so the CLI really waits), writes daemon.pid. With {@code -Dstub.fail=true} it prints a
 * reason and exits 1 instead.
 */
public final class StubDaemonMain {
    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[1]);
        if (Boolean.getBoolean("stub.fail")) {
            System.out.println("stub daemon: cannot listen on " + state.resolve("daemon.sock") + ": address in use");
            System.exit(1);
        }
        Thread.sleep(700);
        Vertx vertx = Vertx.vertx();
        vertx.createHttpServer().requestHandler(r -> r.response().putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("version", "stub").put("pid", ProcessHandle.current().pid())
                        .put("stateDir", state.toString()).put("driver", "stub").put("startedAt", "now").encode()))
                .listen(SocketAddress.domainSocketAddress(state.resolve("daemon.sock").toString())).await();
        Files.writeString(state.resolve("daemon.pid"), Long.toString(ProcessHandle.current().pid()));
        System.out.println("stub daemon: listening");
    }
}
