package dev.paddock.vsock.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The client against the real agent binary in loopback mode (issue 5, item 3): each test gets a fresh agent on
 * a unix socket and a connected client. The Vert.x instance checks for blocked event loops every 100 ms with a
 * 500 ms limit, and every test ends by asserting that the checker stayed quiet.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class AgentClientIT {
    static final Map<String, String> PATH = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    static final int SIGTERM = 15;
    static final int SIGKILL = 9;
    /** Vert.x's default is 2 s; 500 ms still catches any real blocking call while tolerating a loaded CI host. */
    static final long BLOCK_LIMIT_MS = 500;

    static Path binary;
    static Vertx vertx;
    static BlockedThreadWatch blocked;

    RealAgent agent;
    AgentClient client;

    @BeforeAll
    static void buildAgent() throws Exception {
        binary = RealAgent.build();
        blocked = BlockedThreadWatch.install();
        vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(100)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(BLOCK_LIMIT_MS).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(BLOCK_LIMIT_MS).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS));
        // Warm-up: the first connection loads and initialises Netty's, our and AssertJ's classes (and links the
        // records' equals call sites) on whatever thread gets there first, which on a loaded machine can take longer
        // than the limit. The checks are about steady state, so that happens here first.
        assertThat(ExitStatus.exited(0)).isEqualTo(ExitStatus.exited(0)).isNotEqualTo(ExitStatus.signaled(1));
        assertThat(Buffer.buffer("a").toString()).contains("a").isEqualTo("a");
        try (RealAgent warmUp = RealAgent.start(binary)) {
            AgentClient c = AgentClient.connect(vertx, warmUp.address()).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            c.exec(ExecRequest.shell("echo warm").withTty(10, 10)).compose(p -> {
                collect(p.stdout());
                return p.exitStatus();
            }).compose(x -> c.health()).compose(h -> c.close()).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theBlockedThreadWatchSeesABlockedEventLoop(VertxTestContext ctx) {
        vertx.runOnContext(v -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * BLOCK_LIMIT_MS);
            while (System.nanoTime() < end) {
                Thread.onSpinWait(); // deliberately hold the event loop past the 200 ms limit
            }
            vertx.setTimer(BLOCK_LIMIT_MS, t -> ctx.verify(() -> {
                assertThat(blocked.warnings()).as("the watch must catch a blocked loop, or its silence means nothing")
                        .isNotEmpty();
                blocked.clear();
                ctx.completeNow();
            }));
        });
    }

    @AfterAll
    static void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        blocked.close();
    }

    @BeforeEach
    void startAgent() throws Exception {
        blocked.clear();
        agent = RealAgent.start(binary);
        client = AgentClient.connect(vertx, agent.address()).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopAgent() throws Exception {
        client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
        assertThat(blocked.warnings()).as("Vert.x blocked-thread warnings during the test").isEmpty();
    }

    @Test
    void helloAndHealth(VertxTestContext ctx) {
        assertThat(client.agent().major()).isEqualTo(1);
        assertThat(client.agent().software()).startsWith("paddock-agent/");
        client.health().onComplete(ctx.succeeding(health -> ctx.verify(() -> {
            assertThat(health.major()).isEqualTo(1);
            assertThat(health.pid1()).as("loopback mode is not PID 1").isFalse();
            assertThat(health.shuttingDown()).isFalse();
            assertThat(health.software()).startsWith("paddock-agent/");
            ctx.completeNow();
        })));
    }

    @Test
    void fsInvalidateRefreshesPathsAndCountsTheMissing(VertxTestContext ctx) throws Exception {
        assertThat(client.agent().minor()).as("FS_INVALIDATE needs 1.1").isGreaterThanOrEqualTo(1);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("paddock-fsinv");
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("a.txt"), "a");
        client.invalidateFs(new FsInvalidation(java.util.List.of(file.toString(), dir.resolve("gone").toString(),
                        dir.toString()), true, true))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertThat(r.missing()).isEqualTo(1);
                    assertThat(r.failed()).isZero();
                    assertThat(r.refreshed()).as("two paths and the open files").isGreaterThan(2);
                    assertThat(r.openFilesRefreshed()).isTrue();
                    assertThat(r.entriesDropped()).as("only the guest's init drops caches").isFalse();
                    java.nio.file.Files.delete(file);
                    java.nio.file.Files.delete(dir);
                    ctx.completeNow();
                })));
    }

    @Test
    void shellWithStdinAndStdout(VertxTestContext ctx) {
        client.exec(ExecRequest.shell("tr a-z A-Z; echo done >&2")).onComplete(ctx.succeeding(p -> {
            assertThat(p.pid()).isPositive();
            Future<Buffer> out = collect(p.stdout());
            Future<Buffer> err = collect(p.stderr());
            p.stdin().write(Buffer.buffer("hello, "));
            p.stdin().write(Buffer.buffer("agent\n"));
            p.closeStdin();
            Future.all(out, err, p.exitStatus()).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                assertThat(out.result().toString()).isEqualTo("HELLO, AGENT\n");
                assertThat(err.result().toString()).isEqualTo("done\n");
                assertThat(p.exitStatus().result()).isEqualTo(ExitStatus.exited(0));
                ctx.completeNow();
            })));
        }));
    }

    @Test
    void megabytesThroughWcWithBackPressureOnStdin(VertxTestContext ctx) {
        int total = 8 * 1024 * 1024;
        client.exec(ExecRequest.shell("wc -c")).onComplete(ctx.succeeding(p -> {
            Future<Buffer> out = collect(p.stdout());
            collect(p.stderr());
            ZeroSource source = new ZeroSource(total, 32 * 1024);
            source.pipeTo(p.stdin()).onFailure(ctx::failNow);
            vertx.setTimer(20_000, t -> {
                if (!p.exitStatus().isComplete()) {
                    ctx.failNow(new AssertionError("wc -c has not finished after 20 s: source sent " + source.sent
                            + " of " + total + " bytes, paused " + source.pauses + " times; " + p.stdin() + "; "
                            + p.stdout() + "; " + p.stderr() + "; " + describeProcesses()));
                }
            });
            Future.all(out, p.exitStatus()).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                assertThat(out.result().toString().trim()).isEqualTo(Integer.toString(total));
                assertThat(p.exitStatus().result()).isEqualTo(ExitStatus.exited(0));
                assertThat(source.pauses).as("the pipe must have been paused by writeQueueFull").isPositive();
                ctx.completeNow();
            })));
        }));
    }

    @Test
    void pausedStdoutStopsTheProducerAtTheWindow(VertxTestContext ctx) {
        int total = 4 * 1024 * 1024;
        client.exec(ExecRequest.shell("head -c " + total + " /dev/zero")).onComplete(ctx.succeeding(p -> {
            AtomicLong received = new AtomicLong();
            p.stdout().pause();
            p.stdout().handler(b -> received.addAndGet(b.length()));
            collect(p.stderr());
            vertx.setTimer(500, t -> ctx.verify(() -> {
                // Paused: nothing consumed, so no credit went back; the agent stopped at the window it had.
                assertThat(received.get()).isZero();
                assertThat(p.exitStatus().isComplete()).as("head must be blocked on a full pipe, but exit status is %s / %s",
                        p.exitStatus().result(), p.exitStatus().cause()).isFalse();
                p.stdout().endHandler(v -> ctx.verify(() -> {
                    assertThat(received.get()).isEqualTo(total);
                    p.exitStatus().onComplete(ctx.succeeding(s -> ctx.verify(() -> {
                        assertThat(s).isEqualTo(ExitStatus.exited(0));
                        ctx.completeNow();
                    })));
                }));
                p.stdout().resume();
            }));
        }));
    }

    @Test
    void exitCodesAndSignalsFromTheShell(VertxTestContext ctx) {
        Future<ExitStatus> seven = run(ExecRequest.shell("exit 7"));
        Future<ExitStatus> term = run(ExecRequest.shell("kill -TERM $$"));
        Future<ExitStatus> zero = run(ExecRequest.of("true").withEnv(PATH));
        Future.all(seven, term, zero).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
            assertThat(seven.result()).isEqualTo(ExitStatus.exited(7));
            assertThat(term.result()).isEqualTo(ExitStatus.signaled(SIGTERM));
            assertThat(term.result().shellCode()).isEqualTo(143);
            assertThat(zero.result()).isEqualTo(ExitStatus.exited(0));
            ctx.completeNow();
        })));
    }

    @Test
    void signalFromTheClientReachesTheProcessGroup(VertxTestContext ctx) {
        client.exec(ExecRequest.shell("echo ready; sleep 30; echo not-reached")).onComplete(ctx.succeeding(p -> {
            Buffer out = Buffer.buffer();
            p.stdout().handler(b -> {
                out.appendBuffer(b);
                if (out.toString().equals("ready\n")) {
                    p.signal(SIGTERM).onFailure(ctx::failNow);
                }
            });
            collect(p.stderr());
            p.exitStatus().onComplete(ctx.succeeding(s -> ctx.verify(() -> {
                assertThat(s).isEqualTo(ExitStatus.signaled(SIGTERM));
                assertThat(out.toString()).isEqualTo("ready\n");
                ctx.completeNow();
            })));
        }));
    }

    @Test
    void badSignalNumberFailsBeforeTheWire(VertxTestContext ctx) {
        client.exec(ExecRequest.shell("sleep 30")).onComplete(ctx.succeeding(p -> {
            p.signal(65).onComplete(ctx.failing(e -> ctx.verify(() -> {
                assertThat(e).hasMessageContaining("signal 65").hasMessageContaining("1..64");
                p.signal(SIGKILL);
                p.exitStatus().onComplete(ctx.succeeding(s -> ctx.verify(() -> {
                    assertThat(s).isEqualTo(ExitStatus.signaled(SIGKILL));
                    ctx.completeNow();
                })));
            })));
        }));
    }

    @Test
    void ptySessionWithResize(VertxTestContext ctx) {
        ExecRequest request = ExecRequest.shell("stty size; read line; stty size; echo \"got $line\"")
                .withTty(24, 80);
        client.exec(request).onComplete(ctx.succeeding(p -> {
            Buffer out = Buffer.buffer();
            boolean[] resized = {false};
            p.stdout().handler(b -> {
                out.appendBuffer(b);
                if (!resized[0] && out.toString().contains("24 80")) {
                    resized[0] = true;
                    p.resize(40, 120).compose(v -> p.stdin().write(Buffer.buffer("hi\n")))
                            .onFailure(ctx::failNow);
                }
            });
            p.stderr().endHandler(v -> { }); // a tty has no separate stderr: it is already ended
            p.exitStatus().onComplete(ctx.succeeding(s -> ctx.verify(() -> {
                String text = out.toString();
                assertThat(s).isEqualTo(ExitStatus.exited(0));
                assertThat(text).contains("24 80\r\n").contains("40 120\r\n").contains("got hi\r\n");
                assertThat(text.indexOf("24 80")).isLessThan(text.indexOf("40 120"));
                ctx.completeNow();
            })));
        }));
    }

    @Test
    void resizeWithoutATtyFailsAtOnce(VertxTestContext ctx) {
        client.exec(ExecRequest.shell("exit 0")).onComplete(ctx.succeeding(p -> {
            collect(p.stdout());
            collect(p.stderr());
            p.resize(10, 10).onComplete(ctx.failing(e -> ctx.verify(() -> {
                assertThat(e).hasMessageContaining("has no tty");
                ctx.completeNow();
            })));
        }));
    }

    @Test
    void hundredConcurrentExecsOnOneConnection(VertxTestContext ctx) {
        int n = 100;
        List<Future<String>> outputs = new ArrayList<>();
        List<Future<ExitStatus>> statuses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ExecRequest request = new ExecRequest(List.of("sh", "-c", "echo out-$0; echo err-$0 >&2; exit $(($0 % 7))",
                    Integer.toString(i)), List.of("PATH=/usr/bin:/bin"), "", "", java.util.Optional.empty());
            Promise<String> out = Promise.promise();
            Promise<ExitStatus> status = Promise.promise();
            client.exec(request).onComplete(ar -> {
                if (ar.failed()) {
                    out.fail(ar.cause());
                    status.fail(ar.cause());
                    return;
                }
                ExecProcess p = ar.result();
                Future<Buffer> err = collect(p.stderr());
                collect(p.stdout()).compose(o -> err.map(e -> o + "|" + e)).onComplete(out);
                p.exitStatus().onComplete(status);
            });
            outputs.add(out.future());
            statuses.add(status.future());
        }
        Future.all(outputs).compose(v -> Future.all(statuses)).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
            for (int i = 0; i < n; i++) {
                assertThat(outputs.get(i).result()).isEqualTo("out-" + i + "\n|err-" + i + "\n");
                assertThat(statuses.get(i).result()).isEqualTo(ExitStatus.exited(i % 7));
            }
            ctx.completeNow();
        })));
    }

    @Test
    void execOfAMissingProgramFailsWithTheAgentsError(VertxTestContext ctx) {
        client.exec(ExecRequest.of("/nonexistent/program")).onComplete(ctx.failing(e -> ctx.verify(() -> {
            assertThat(e).isInstanceOfSatisfying(AgentErrorReply.class,
                    r -> assertThat(r.code()).isEqualTo(AgentErrorCode.EXEC_FAILED))
                    .hasMessageContaining("/nonexistent/program");
            // The connection survives a failed exec.
            client.health().onComplete(ctx.succeedingThenComplete());
        })));
    }

    @Test
    void streamToAUnixEchoSocket(VertxTestContext ctx) {
        Path echoPath = agent.directory().resolve("echo.sock");
        NetServer echo = vertx.createNetServer().connectHandler(s -> s.pipeTo(s));
        int size = 1024 * 1024 + 17;
        Buffer payload = Buffer.buffer(size);
        for (int i = 0; i < size; i++) {
            payload.appendByte((byte) (i * 31));
        }
        echo.listen(SocketAddress.domainSocketAddress(echoPath.toString()))
                .compose(s -> client.openStream(StreamTarget.unix(echoPath.toString())))
                .onComplete(ctx.succeeding(stream -> {
                    Future<Buffer> back = collect(stream);
                    stream.write(payload.getBuffer(0, size / 2));
                    stream.write(payload.getBuffer(size / 2, size));
                    stream.end();
                    Future.all(back, stream.closed()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
                        assertThat(back.result().length()).isEqualTo(size);
                        assertThat(back.result()).isEqualTo(payload);
                        echo.close();
                        ctx.completeNow();
                    })));
                }));
    }

    @Test
    void streamToATcpPortHalfClosesAndEndsWithClose(VertxTestContext ctx) throws Exception {
        // The server answers only after the client's half-close: proof that end() became shutdown(SHUT_WR) in the
        // guest. A plain socket on its own thread, because Netty closes a half-closed channel by default.
        java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        Thread serverThread = new Thread(() -> {
            try (server; java.net.Socket s = server.accept()) {
                byte[] got = s.getInputStream().readAllBytes();
                s.getOutputStream().write(("received " + got.length + " bytes").getBytes());
            } catch (java.io.IOException e) {
                ctx.failNow(e);
            }
        }, "tcp-half-close-server");
        serverThread.setDaemon(true);
        serverThread.start();
        client.openStream(StreamTarget.tcp(server.getLocalPort())).onComplete(ctx.succeeding(stream -> {
            Future<Buffer> reply = collect(stream);
            stream.end(Buffer.buffer("twelve bytes"));
            Future.all(reply, stream.closed()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
                assertThat(reply.result().toString()).isEqualTo("received 12 bytes");
                ctx.completeNow();
            })));
        }));
    }

    @Test
    void streamToAMissingSocketFailsWithConnectFailed(VertxTestContext ctx) {
        client.openStream(StreamTarget.unix(agent.directory().resolve("nobody.sock").toString()))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).isInstanceOfSatisfying(AgentErrorReply.class,
                            r -> assertThat(r.code()).isEqualTo(AgentErrorCode.CONNECT_FAILED));
                    ctx.completeNow();
                })));
    }

    @Test
    void vanishedAgentFailsEverythingPromptly(VertxTestContext ctx) {
        Checkpoint failed = ctx.checkpoint(3);
        client.exec(ExecRequest.shell("echo started; sleep 30")).onComplete(ctx.succeeding(p -> {
            p.stdout().handler(b -> {
                long killedAt = System.nanoTime();
                agent.killAbruptly();
                p.exitStatus().onComplete(ctx.failing(e -> ctx.verify(() -> {
                    // EOF or ECONNRESET, depending on whether the agent died with our bytes unread.
                    assertThat(e).isInstanceOf(AgentConnectionException.class)
                            .hasMessageContaining("the agent at " + agent.address().path())
                            .hasMessageContaining("1 streams open")
                            .hasMessageContaining("the agent exited or the sandbox stopped");
                    assertThat(System.nanoTime() - killedAt).isLessThan(TimeUnit.SECONDS.toNanos(2));
                    failed.flag();
                })));
                p.stdin().write(Buffer.buffer("x")).onComplete(ar -> vertx.setTimer(50, t -> failed.flag()));
                client.closeFuture().onComplete(ctx.failing(e -> ctx.verify(() -> {
                    client.health().onComplete(ctx.failing(e2 -> ctx.verify(() -> {
                        assertThat(e2).isInstanceOf(AgentConnectionException.class);
                        failed.flag();
                    })));
                })));
            });
            p.stderr().handler(b -> { });
        }));
    }

    @Test
    void shutdownIsAcknowledgedAndTheLoopbackAgentExits(VertxTestContext ctx) {
        client.shutdown().onComplete(ctx.succeeding(v -> {
            long deadline = System.currentTimeMillis() + 5_000;
            vertx.setPeriodic(20, id -> {
                if (!agent.isAlive()) {
                    vertx.cancelTimer(id);
                    client.closeFuture().onComplete(ctx.failing(e -> ctx.verify(() -> {
                        assertThat(e).isInstanceOf(AgentConnectionException.class);
                        ctx.completeNow();
                    })));
                } else if (System.currentTimeMillis() > deadline) {
                    vertx.cancelTimer(id);
                    ctx.failNow("the loopback agent still runs 5 s after acknowledging SHUTDOWN");
                }
            });
        }));
    }

    private Future<ExitStatus> run(ExecRequest request) {
        return client.exec(request).compose(p -> {
            collect(p.stdout());
            collect(p.stderr());
            return p.exitStatus();
        });
    }

    /** The agent's children with their state and wait channel, for a hang's diagnosis. */
    String describeProcesses() {
        StringBuilder out = new StringBuilder("agent children:");
        ProcessHandle.allProcesses().filter(h -> h.parent().map(pp -> pp.info().command().orElse("")
                .endsWith("paddock-agent")).orElse(false)).forEach(h -> {
                    out.append(' ').append(h.pid()).append(' ').append(h.info().commandLine().orElse("?"));
                    try {
                        out.append(" wchan=").append(java.nio.file.Files.readString(
                                Path.of("/proc/" + h.pid() + "/wchan")));
                    } catch (java.io.IOException e) {
                        out.append(" (no /proc entry: ").append(e.getMessage()).append(')');
                    }
                });
        try {
            out.append("; agent output: ").append(agent.output());
        } catch (java.io.IOException e) {
            out.append("; agent output unreadable: ").append(e.getMessage());
        }
        return out.toString();
    }

    static Future<Buffer> collect(ReadStream<Buffer> stream) {
        Promise<Buffer> done = Promise.promise();
        Buffer all = Buffer.buffer();
        stream.exceptionHandler(done::tryFail);
        stream.endHandler(v -> done.tryComplete(all));
        stream.handler(all::appendBuffer);
        return done.future();
    }

    /** A ReadStream of zero bytes that honours pause/resume, counting how often the pipe paused it. */
    static final class ZeroSource implements ReadStream<Buffer> {
        private final long total;
        private final int chunk;
        private long sent;
        private long demand = Long.MAX_VALUE;
        private boolean scheduled;
        private io.vertx.core.Handler<Buffer> handler;
        private io.vertx.core.Handler<Void> endHandler;
        int pauses;

        ZeroSource(long total, int chunk) {
            this.total = total;
            this.chunk = chunk;
        }

        @Override
        public ZeroSource exceptionHandler(io.vertx.core.Handler<Throwable> h) {
            return this;
        }

        @Override
        public ZeroSource handler(io.vertx.core.Handler<Buffer> h) {
            handler = h;
            schedule();
            return this;
        }

        @Override
        public ZeroSource pause() {
            demand = 0;
            pauses++;
            return this;
        }

        @Override
        public ZeroSource resume() {
            return fetch(Long.MAX_VALUE);
        }

        @Override
        public ZeroSource fetch(long amount) {
            demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
            schedule();
            return this;
        }

        @Override
        public ZeroSource endHandler(io.vertx.core.Handler<Void> h) {
            endHandler = h;
            return this;
        }

        private void schedule() {
            if (!scheduled) {
                scheduled = true;
                vertx.runOnContext(v -> {
                    scheduled = false;
                    emit();
                });
            }
        }

        private void emit() {
            // One bounded batch per turn of the event loop, so the loop is never held for long.
            int batch = 0;
            while (handler != null && demand > 0 && sent < total && batch++ < 64) {
                int n = (int) Math.min(chunk, total - sent);
                sent += n;
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                handler.handle(Buffer.buffer(new byte[n]));
            }
            if (sent == total) {
                if (endHandler != null) {
                    io.vertx.core.Handler<Void> h = endHandler;
                    endHandler = null;
                    h.handle(null);
                }
            } else if (demand > 0 && handler != null) {
                schedule();
            }
        }
    }
}
