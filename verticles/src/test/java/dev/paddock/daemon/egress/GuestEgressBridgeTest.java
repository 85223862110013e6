package dev.paddock.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.vsock.splice.DuplexStream;
import dev.paddock.vsock.splice.HostSocket;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bridge against loopback stand-ins: a fake muxer (a TCP listener whose accepted sockets play the guest's vsock
 * streams, registered through {@link GuestEgressBridge.GuestPorts}), a fake hand-off listener that records what
 * the proxy would get, and a DNS echo.
 */
@ExtendWith(VertxExtension.class)
class GuestEgressBridgeTest {
    private Vertx vertx;
    private NetServer handoffServer;
    private NetServer dnsServer;
    private NetServer fakeVsock;
    private final Map<Integer, Consumer<DuplexStream>> guestPorts = new HashMap<>();
    private final List<Buffer> handoffReceived = new ArrayList<>();
    private final AtomicInteger handoffConnections = new AtomicInteger();
    private GuestEgressBridge bridge;
    private volatile int nextGuestPort;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        handoffServer = vertx.createNetServer().connectHandler(s -> {
            handoffConnections.incrementAndGet();
            Buffer got = Buffer.buffer();
            handoffReceived.add(got);
            s.handler(b -> {
                got.appendBuffer(b);
                if (got.toString().endsWith("hello")) {
                    s.write("world");
                }
            });
        });
        handoffServer.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        dnsServer = vertx.createNetServer().connectHandler(s -> s.handler(s::write));
        dnsServer.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        bridge = new GuestEgressBridge(vertx, "sb-1", new InetSocketAddress("127.0.0.1", handoffServer.actualPort()),
                new InetSocketAddress("127.0.0.1", dnsServer.actualPort()));
        bridge.register(guestPorts::put);
        fakeVsock = vertx.createNetServer().connectHandler(s -> guestPorts.get(nextGuestPort)
                .accept(HostSocket.wrap(s, "fake vsock stream")));
        fakeVsock.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** Opens a "guest stream" to host port {@code port}; the returned socket plays the agent. */
    private Future<NetSocket> guestStream(int port) {
        nextGuestPort = port;
        return vertx.createNetClient().connect(fakeVsock.actualPort(), "127.0.0.1");
    }

    @Test
    void registersTheTwoFixedPorts() {
        assertThat(guestPorts).containsOnlyKeys(GuestEgressBridge.EGRESS_PORT, GuestEgressBridge.DNS_PORT);
        assertThat(GuestEgressBridge.EGRESS_PORT).isEqualTo(1025);
        assertThat(GuestEgressBridge.DNS_PORT).isEqualTo(1053);
    }

    @Test
    void handsOffWithTheVmsSandboxIdAndSplicesBothWays(VertxTestContext ctx) {
        guestStream(GuestEgressBridge.EGRESS_PORT).onComplete(ctx.succeeding(agent -> {
            Buffer back = Buffer.buffer();
            agent.handler(b -> {
                back.appendBuffer(b);
                if (back.toString().equals("world")) {
                    ctx.verify(() -> assertThat(handoffReceived.get(0).toString())
                            .isEqualTo("PADDOCK-EGRESS 1 sb-1 93.184.216.34 443\r\nhello"));
                    ctx.completeNow();
                }
            });
            // the header split across writes, and the guest's first bytes in the same write as its end
            agent.write("PADDOCK-DST 93.18");
            vertx.setTimer(50, t -> agent.write("4.216.34 443\nhel"));
            vertx.setTimer(100, t -> agent.write("lo"));
        }));
    }

    @Test
    void ipv6Destination(VertxTestContext ctx) {
        guestStream(GuestEgressBridge.EGRESS_PORT).onComplete(ctx.succeeding(agent -> {
            agent.handler(b -> {
                ctx.verify(() -> assertThat(handoffReceived.get(0).toString())
                        .isEqualTo("PADDOCK-EGRESS 1 sb-1 2001:db8::1 443\r\nhello"));
                ctx.completeNow();
            });
            agent.write("PADDOCK-DST 2001:db8::1 443\nhello");
        }));
    }

    @Test
    void aHeaderNamingAnotherSandboxIsResetAndNothingIsHandedOff(VertxTestContext ctx) {
        expectResetWithoutHandoff(ctx, "PADDOCK-DST 10.0.0.1 443 sb-2\nhello");
    }

    @Test
    void theHostsOwnHandoffLineFromTheGuestIsReset(VertxTestContext ctx) {
        expectResetWithoutHandoff(ctx, "PADDOCK-EGRESS 1 sb-2 10.0.0.1 443\r\nhello");
    }

    @Test
    void anOverlongHeaderIsReset(VertxTestContext ctx) {
        expectResetWithoutHandoff(ctx, "PADDOCK-DST " + "1".repeat(200));
    }

    @Test
    void aStreamThatEndsBeforeItsHeaderIsClosed(VertxTestContext ctx) {
        guestStream(GuestEgressBridge.EGRESS_PORT).onComplete(ctx.succeeding(agent -> {
            agent.closeHandler(v -> {
                ctx.verify(() -> assertThat(handoffConnections.get()).isZero());
                ctx.completeNow();
            });
            agent.write("PADDOCK-DST 10.0").onSuccess(v -> agent.close());
        }));
    }

    @Test
    void dnsStreamsAreSplicedUnchanged(VertxTestContext ctx) {
        Buffer query = Buffer.buffer(new byte[] {0, 4, 0x12, 0x34, 1, 0});
        guestStream(GuestEgressBridge.DNS_PORT).onComplete(ctx.succeeding(agent -> {
            Buffer back = Buffer.buffer();
            agent.handler(b -> {
                back.appendBuffer(b);
                if (back.length() == query.length()) {
                    ctx.verify(() -> assertThat(back).isEqualTo(query));
                    ctx.completeNow();
                }
            });
            agent.write(query);
        }));
    }

    @Test
    void refusesASandboxIdThatCannotBeWrittenInTheLine() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GuestEgressBridge(vertx, "a b",
                new InetSocketAddress("127.0.0.1", 1), new InetSocketAddress("127.0.0.1", 2)))
                .hasMessageContaining("cannot be written in a hand-off line");
    }

    private void expectResetWithoutHandoff(VertxTestContext ctx, String sent) {
        Promise<Void> closed = Promise.promise();
        guestStream(GuestEgressBridge.EGRESS_PORT).onComplete(ctx.succeeding(agent -> {
            agent.closeHandler(v -> closed.tryComplete());
            agent.exceptionHandler(e -> closed.tryComplete());
            agent.write(sent);
        }));
        closed.future().onComplete(ctx.succeeding(v -> vertx.setTimer(100, t -> {
            ctx.verify(() -> assertThat(handoffConnections.get()).isZero());
            ctx.completeNow();
        })));
    }
}
