package dev.paddock.vsock.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.runtime.virtio.vsock.VsockConnectException;
import dev.paddock.vsock.mux.FakeVsockDevice.GuestEnd;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The muxer against the in-memory device: connects, guest ports, half-close, resets and credit both ways. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class VsockMuxerTest {
    Vertx vertx;
    VsockMuxer muxer;
    FakeVsockDevice device;

    @BeforeEach
    void setUp(Vertx vertx) {
        this.vertx = vertx;
        muxer = new VsockMuxer(vertx, "sb-test");
        device = new FakeVsockDevice(muxer);
        muxer.attach(device);
    }

    @AfterEach
    void tearDown() {
        assertThat(device.violations()).as("port contract violations by the host side").isEmpty();
        device.close();
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static void waitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Collects everything a socket delivers, and its end, on the socket's context. */
    static final class Collector {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> ended = new CompletableFuture<>();

        Collector(VsockSocket socket) {
            socket.handler(b -> {
                synchronized (this) {
                    bytes.writeBytes(b.getBytes());
                }
            });
            socket.endHandler(v -> {
                synchronized (this) {
                    ended.complete(bytes.toByteArray());
                }
            });
        }

        synchronized int size() {
            return bytes.size();
        }
    }

    @Test
    void hostConnectCarriesBytesBothWaysAndHalfClosesEachSide() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(5000, accepted::complete);
        VsockSocket socket = await(muxer.connect(5000));
        GuestEnd guest = accepted.get(5, TimeUnit.SECONDS);
        assertThat(socket.guestPort()).isEqualTo(5000);
        assertThat(socket.hostPort()).isEqualTo(49152);
        assertThat(socket.guestCid()).isEqualTo(FakeVsockDevice.GUEST_CID);
        Collector fromGuest = new Collector(socket);

        guest.send("hello from the guest".getBytes(StandardCharsets.UTF_8));
        guest.shutdownSend();
        assertThat(new String(fromGuest.ended.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8))
                .isEqualTo("hello from the guest");

        // The guest's half-close left the host's direction open.
        await(socket.write(Buffer.buffer("hello from the host")));
        await(socket.end());
        assertThat(new String(guest.readToEnd(5000), StandardCharsets.UTF_8)).isEqualTo("hello from the host");
        await(socket.closed());
        assertThat(guest.closeReason()).isEqualTo("both sides shut down");
        assertThat(guest.consumedByHost()).isEqualTo("hello from the guest".length());
    }

    @Test
    void connectingToAPortNobodyListensOnFailsWithTheDevicesReason() {
        assertThatThrownBy(() -> await(muxer.connect(5001))).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(VsockConnectException.class).hasMessageContaining("port 5001")
                .hasMessageContaining("nothing listens");
    }

    @Test
    void connectBeforeAttachFailsNamingTheSandbox() {
        VsockMuxer detached = new VsockMuxer(vertx, "sb-detached");
        assertThatThrownBy(() -> await(detached.connect(1024))).cause()
                .isInstanceOf(VsockConnectException.class).hasMessageContaining("sb-detached")
                .hasMessageContaining("not attached");
        assertThatThrownBy(() -> muxer.attach(device)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void guestReachesOnlyRegisteredHostPorts() throws Exception {
        CompletableFuture<VsockSocket> handed = new CompletableFuture<>();
        AtomicReference<Context> handlerContext = new AtomicReference<>();
        Context registering = vertx.getOrCreateContext();
        registering.runOnContext(v -> muxer.registerGuestPort(7000, s -> {
            handlerContext.set(Vertx.currentContext());
            handed.complete(s);
        }));
        waitUntil("the port is registered", () -> {
            try {
                return device.guestConnect(7000) != null;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        VsockSocket socket = handed.get(5, TimeUnit.SECONDS);
        assertThat(handlerContext.get()).as("the handler runs on the registering context").isSameAs(registering);
        assertThat(socket.hostPort()).isEqualTo(7000);

        assertThat(device.guestConnect(7001)).as("an unregistered port is refused (RST)").isNull();
        assertThatThrownBy(() -> muxer.registerGuestPort(7000, s -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("7000");
        assertThat(muxer.unregisterGuestPort(7000)).isTrue();
        assertThat(device.guestConnect(7000)).as("refused again after unregister").isNull();
        assertThat(muxer.unregisterGuestPort(7000)).isFalse();
    }

    @Test
    void guestInitiatedStreamCarriesData() throws Exception {
        CompletableFuture<byte[]> echoed = new CompletableFuture<>();
        muxer.registerGuestPort(7100, s -> s.pipeTo(s)); // an echo service on the host
        GuestEnd guest = device.guestConnect(7100);
        guest.send("ping".getBytes(StandardCharsets.UTF_8));
        guest.shutdownSend();
        echoed.complete(guest.readToEnd(5000));
        assertThat(new String(echoed.get(), StandardCharsets.UTF_8)).isEqualTo("ping");
        waitUntil("the stream closes in order", guest::closed);
        assertThat(guest.closeReason()).isEqualTo("both sides shut down");
    }

    @Test
    void aSlowHostReaderStallsTheGuestOnCredit() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(5002, accepted::complete);
        VsockSocket socket = await(muxer.connect(5002));
        socket.pause();
        AtomicLong received = new AtomicLong();
        socket.handler(b -> received.addAndGet(b.length()));
        GuestEnd guest = accepted.get(5, TimeUnit.SECONDS);

        int total = 4 * 1024 * 1024;
        guest.send(new byte[total]);
        waitUntil("the guest used its credit", () -> guest.sentToHost() == FakeVsockDevice.HOST_BUF_ALLOC);
        Thread.sleep(200);
        assertThat(guest.sentToHost()).as("a paused host returns no credit, so the guest stalls")
                .isEqualTo(FakeVsockDevice.HOST_BUF_ALLOC);
        assertThat(guest.consumedByHost()).isZero();
        assertThat(received.get()).isZero();

        socket.fetch(3); // three buffers' worth of credit goes back, no more
        waitUntil("three buffers arrive", () -> received.get() == 3L * FakeVsockDevice.GUEST_CHUNK);
        waitUntil("the guest refills exactly that credit", () -> guest.sentToHost()
                == FakeVsockDevice.HOST_BUF_ALLOC + 3L * FakeVsockDevice.GUEST_CHUNK);

        socket.resume();
        waitUntil("everything arrives", () -> received.get() == total);
        assertThat(guest.consumedByHost()).isEqualTo(total);
        assertThat(guest.maxUnconsumed()).isLessThanOrEqualTo(FakeVsockDevice.HOST_BUF_ALLOC);
    }

    /** A fast source: {@code total} bytes in 16 KiB chunks, as fast as its consumer's demand lets it. */
    static final class FastSource implements io.vertx.core.streams.ReadStream<Buffer> {
        final Context context;
        final byte[] data;
        final AtomicLong emitted = new AtomicLong();
        long demand = Long.MAX_VALUE;
        boolean scheduled;
        io.vertx.core.Handler<Buffer> handler;
        io.vertx.core.Handler<Void> endHandler;

        FastSource(Context context, byte[] data) {
            this.context = context;
            this.data = data;
        }

        void schedule() {
            if (!scheduled) {
                scheduled = true;
                context.runOnContext(v -> {
                    scheduled = false;
                    emit();
                });
            }
        }

        void emit() {
            int n = 0;
            while (demand > 0 && handler != null && emitted.get() < data.length && n++ < 64) {
                int from = (int) emitted.get();
                int len = Math.min(16 * 1024, data.length - from);
                emitted.addAndGet(len);
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                handler.handle(Buffer.buffer(java.util.Arrays.copyOfRange(data, from, from + len)));
            }
            if (emitted.get() == data.length) {
                if (endHandler != null) {
                    io.vertx.core.Handler<Void> end = endHandler;
                    endHandler = null;
                    end.handle(null);
                }
            } else if (demand > 0) {
                schedule();
            }
        }

        @Override
        public FastSource exceptionHandler(io.vertx.core.Handler<Throwable> h) {
            return this;
        }

        @Override
        public FastSource handler(io.vertx.core.Handler<Buffer> h) {
            handler = h;
            schedule();
            return this;
        }

        @Override
        public FastSource pause() {
            demand = 0;
            return this;
        }

        @Override
        public FastSource resume() {
            return fetch(Long.MAX_VALUE);
        }

        @Override
        public FastSource fetch(long amount) {
            demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
            schedule();
            return this;
        }

        @Override
        public FastSource endHandler(io.vertx.core.Handler<Void> h) {
            endHandler = h;
            return this;
        }
    }

    @Test
    void aSlowGuestPausesAFastHostWriter() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(5003, accepted::complete);
        Context context = vertx.getOrCreateContext();
        Promise<VsockSocket> opened = Promise.promise();
        context.runOnContext(v -> muxer.connect(5003).onComplete(opened));
        VsockSocket socket = await(opened.future());
        GuestEnd guest = accepted.get(5, TimeUnit.SECONDS);

        byte[] data = new byte[16 * 1024 * 1024];
        new Random(42).nextBytes(data);
        FastSource source = new FastSource(context, data);
        CompletableFuture<Void> piped = new CompletableFuture<>();
        context.runOnContext(v -> source.pipeTo(socket).onComplete(ar -> piped.complete(null)));

        waitUntil("the device buffer fills", () -> guest.queuedForGuest() >= FakeVsockDevice.HIGH_WATER);
        Thread.sleep(300);
        assertThat(source.emitted.get()).as("the source is paused while the guest reads nothing")
                .isLessThan(data.length / 4);
        assertThat(guest.queuedForGuest()).isLessThanOrEqualTo(FakeVsockDevice.HIGH_WATER + 16 * 1024);

        byte[] got = guest.readToEnd(20_000);
        assertThat(got).isEqualTo(data);
        piped.get(5, TimeUnit.SECONDS);
        assertThat(guest.maxQueuedForGuest()).as("the device queue stayed bounded")
                .isLessThanOrEqualTo(FakeVsockDevice.HIGH_WATER + 16 * 1024);
    }

    @Test
    void bytesTheGuestSendsBeforeTheConnectCompletesAreKeptAndCredited() throws Exception {
        device.listen(5004, guest -> {
            guest.send("early".getBytes(StandardCharsets.UTF_8)); // on the device thread, before the host sees OK
            guest.shutdownSend();
        });
        VsockSocket socket = await(muxer.connect(5004));
        Collector collector = new Collector(socket);
        assertThat(new String(collector.ended.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("early");
    }

    @Test
    void aGuestResetFailsTheSocketWithTheReason() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(5005, accepted::complete);
        VsockSocket socket = await(muxer.connect(5005));
        CompletableFuture<Throwable> reported = new CompletableFuture<>();
        socket.exceptionHandler(reported::complete);
        accepted.get(5, TimeUnit.SECONDS).sendReset();
        assertThat(reported.get(5, TimeUnit.SECONDS)).isInstanceOf(VsockClosedException.class)
                .hasMessageContaining("port 5005").hasMessageContaining("the guest reset the stream");
        assertThatThrownBy(() -> await(socket.closed())).cause().isInstanceOf(VsockClosedException.class);
        assertThatThrownBy(() -> await(socket.write(Buffer.buffer("late")))).cause()
                .hasMessageContaining("closed");
    }

    @Test
    void aHostResetReachesTheGuest() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(5006, accepted::complete);
        VsockSocket socket = await(muxer.connect(5006));
        GuestEnd guest = accepted.get(5, TimeUnit.SECONDS);
        await(socket.reset());
        waitUntil("the guest sees the RST", guest::hostReset);
        assertThatThrownBy(() -> await(socket.closed())).cause().hasMessageContaining("reset by the host");
    }

    @Test
    void aWriteThatRacesTheDevicesCloseFailsThatWriteOnly() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(5008, accepted::complete);
        Context context = vertx.getOrCreateContext();
        Promise<VsockSocket> opened = Promise.promise();
        context.runOnContext(v -> muxer.connect(5008).onComplete(opened));
        VsockSocket socket = await(opened.future());
        GuestEnd guest = accepted.get(5, TimeUnit.SECONDS);
        // Hold the socket's context while the guest resets: the device has closed, onClosed has not arrived yet.
        CompletableFuture<Future<Void>> write = new CompletableFuture<>();
        CompletableFuture<Void> holding = new CompletableFuture<>();
        context.runOnContext(v -> {
            holding.complete(null);
            guest.sendReset();
            long until = System.currentTimeMillis() + 5_000;
            while (!guest.closed() && System.currentTimeMillis() < until) {
                Thread.onSpinWait();
            }
            write.complete(socket.write(Buffer.buffer("crossing the RST")));
        });
        holding.get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> await(write.get(10, TimeUnit.SECONDS))).cause()
                .isInstanceOf(VsockClosedException.class).hasMessageContaining("closed while writing");
        assertThatThrownBy(() -> await(socket.closed())).cause().hasMessageContaining("the guest reset the stream");
    }

    @Test
    void writeAfterEndIsRefused() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(5007, accepted::complete);
        VsockSocket socket = await(muxer.connect(5007));
        await(socket.end());
        assertThatThrownBy(() -> await(socket.write(Buffer.buffer("x")))).cause()
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("after end()");
        assertThat(accepted.get(5, TimeUnit.SECONDS).readToEnd(5000)).isEmpty();
    }
}
