package dev.paddock.vsock.mux;

import dev.paddock.runtime.virtio.vsock.VsockBackend;
import dev.paddock.runtime.virtio.vsock.VsockConnectException;
import dev.paddock.runtime.virtio.vsock.VsockConnector;
import dev.paddock.runtime.virtio.vsock.VsockPeer;
import dev.paddock.runtime.virtio.vsock.VsockStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * An in-memory stand-in for the device side of the vsock port (what engineer A's device does in runtime), with a
 * scripted guest. It keeps the port's contract and real credit accounting, so back-pressure tests can fail:
 *
 * <ul>
 *   <li>guest → host: the guest sends at most {@link #HOST_BUF_ALLOC} bytes beyond what the host reported with
 *       {@link VsockStream#consumed}; the rest waits in the guest's outbox;</li>
 *   <li>host → guest: {@link VsockStream#write} queues into a per-stream buffer that the test drains with
 *       {@link GuestEnd#read}; it returns false at {@link #HIGH_WATER} and {@link VsockPeer#onWritable} comes
 *       when the guest has read it below {@link #LOW_WATER}.</li>
 * </ul>
 *
 * Every peer call runs on one "device event loop" thread, one at a time, as the port requires. Contract
 * violations by the host side (consuming more than was delivered, writing after shutdown) are recorded in
 * {@link #violations()}.
 */
public final class FakeVsockDevice implements VsockConnector, AutoCloseable {
    public static final int HOST_BUF_ALLOC = 256 * 1024;
    public static final int HIGH_WATER = 128 * 1024;
    public static final int LOW_WATER = 32 * 1024;
    /** The guest sends in chunks of at most this (a virtio-vsock packet's payload in Linux is ≤ 64 KiB). */
    public static final int GUEST_CHUNK = 16 * 1024;
    public static final long GUEST_CID = 3;

    private final ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-vsock-device"));
    private final VsockBackend backend;
    private final Map<Integer, Consumer<GuestEnd>> listeners = new ConcurrentHashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private int nextHostPort = 49152;
    private int nextGuestPort = 60000;

    public FakeVsockDevice(VsockBackend backend) {
        this.backend = backend;
    }

    public List<String> violations() {
        return violations;
    }

    /** The guest listens on {@code port}; each accepted stream goes to {@code accept} on the device thread. */
    public void listen(int port, Consumer<GuestEnd> accept) {
        listeners.put(port, accept);
    }

    @Override
    public CompletableFuture<VsockStream> connect(int guestPort, VsockPeer peer) {
        CompletableFuture<VsockStream> result = new CompletableFuture<>();
        loop.execute(() -> {
            Consumer<GuestEnd> accept = listeners.get(guestPort);
            if (accept == null) {
                result.completeExceptionally(new VsockConnectException("vsock port " + guestPort
                        + " of the guest answered with a RST: nothing listens there"));
                return;
            }
            FakeStream stream = new FakeStream(guestPort, nextHostPort++);
            stream.peer = peer;
            result.complete(stream);
            accept.accept(stream);
        });
        return result;
    }

    /** The guest connects to host port {@code hostPort}; null when the backend refused (the guest saw a RST). */
    public GuestEnd guestConnect(int hostPort) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            FakeStream stream = new FakeStream(nextGuestPort++, hostPort);
            VsockPeer peer = backend.guestConnect(stream);
            if (peer == null) {
                return null;
            }
            stream.peer = peer;
            return (GuestEnd) stream;
        }, loop).get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }

    /** The guest's end of one stream, driven by the test from any thread. */
    public interface GuestEnd {
        /** Queues bytes to send; they go to the host as its credit allows. */
        void send(byte[] bytes);

        /** VIRTIO_VSOCK_SHUTDOWN_SEND once the outbox is empty. */
        void shutdownSend();

        /** Up to {@code max} bytes the host wrote (possibly none), without waiting. */
        byte[] read(int max);

        /** Reads until the host shut down its output, or fails after {@code timeoutMs}. */
        byte[] readToEnd(long timeoutMs) throws Exception;

        /** True once the host shut down its output and every byte before was read. */
        boolean endOfInput();

        /** A RST from the guest. */
        void sendReset();

        long sentToHost();

        long consumedByHost();

        /** The most bytes the host ever held unconsumed: never above HOST_BUF_ALLOC. */
        long maxUnconsumed();

        /** Bytes queued by the host and not yet read by the guest. */
        int queuedForGuest();

        /** The most bytes ever queued for the guest. */
        int maxQueuedForGuest();

        int guestPort();

        boolean closed();

        String closeReason();

        boolean hostReset();
    }

    private final class FakeStream implements VsockStream, GuestEnd {
        private final int guestPort;
        private final int hostPort;
        private VsockPeer peer;

        // guest → host, on the device thread
        private final ArrayDeque<byte[]> outbox = new ArrayDeque<>();
        private long rxCnt;
        private long fwdCnt;
        private long maxUnconsumed;
        private boolean shutdownSendRequested;
        private boolean shutdownSendDelivered;

        // host → guest, under the lock
        private final ByteArrayOutputStream queued = new ByteArrayOutputStream();
        private int maxQueued;
        private boolean full;
        private boolean hostShut;

        private volatile boolean closed;
        private volatile String closeReason;
        private volatile boolean hostReset;

        FakeStream(int guestPort, int hostPort) {
            this.guestPort = guestPort;
            this.hostPort = hostPort;
        }

        // ---- VsockStream (host side; any thread) ----

        @Override
        public long guestCid() {
            return GUEST_CID;
        }

        @Override
        public int guestPort() {
            return guestPort;
        }

        @Override
        public int hostPort() {
            return hostPort;
        }

        @Override
        public boolean write(ByteBuffer bytes) {
            synchronized (this) {
                if (hostShut) {
                    violations.add("write of " + bytes.remaining() + " bytes after shutdownOutput on port " + guestPort);
                    throw new IllegalStateException("stream to port " + guestPort + " is shut for writing");
                }
                if (closed) {
                    // Not a host bug: the device closes on its own loop and onClosed may still be on its way.
                    throw new IllegalStateException("stream to port " + guestPort + " is closed");
                }
                byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                queued.writeBytes(copy);
                maxQueued = Math.max(maxQueued, queued.size());
                if (queued.size() >= HIGH_WATER) {
                    full = true;
                }
                return !full;
            }
        }

        @Override
        public void consumed(int bytes) {
            loop.execute(() -> {
                fwdCnt += bytes;
                if (fwdCnt > rxCnt) {
                    violations.add("host consumed " + fwdCnt + " bytes on port " + guestPort + " but got only " + rxCnt);
                }
                pump();
            });
        }

        @Override
        public void shutdownOutput() {
            synchronized (this) {
                hostShut = true;
            }
            loop.execute(this::closeIfDone);
        }

        @Override
        public void reset() {
            hostReset = true;
            loop.execute(() -> close("the host reset the stream"));
        }

        // ---- guest side, on the device thread ----

        private void pump() {
            while (!outbox.isEmpty() && !closed) {
                long credit = HOST_BUF_ALLOC - (rxCnt - fwdCnt);
                if (credit <= 0) {
                    return; // the guest stalls on credit, as a real guest's send(2) blocks
                }
                byte[] head = outbox.poll();
                int n = (int) Math.min(Math.min(credit, GUEST_CHUNK), head.length);
                if (n < head.length) {
                    byte[] rest = new byte[head.length - n];
                    System.arraycopy(head, n, rest, 0, rest.length);
                    outbox.addFirst(rest);
                }
                byte[] chunk = new byte[n];
                System.arraycopy(head, 0, chunk, 0, n);
                rxCnt += n;
                maxUnconsumed = Math.max(maxUnconsumed, rxCnt - fwdCnt);
                peer.onData(ByteBuffer.wrap(chunk));
            }
            if (outbox.isEmpty() && shutdownSendRequested && !shutdownSendDelivered && !closed) {
                shutdownSendDelivered = true;
                peer.onGuestShutdownSend();
                closeIfDone();
            }
        }

        private void closeIfDone() {
            boolean drained;
            synchronized (this) {
                drained = hostShut && queued.size() == 0;
            }
            if (drained && shutdownSendDelivered) {
                close("both sides shut down");
            }
        }

        private void close(String reason) {
            if (closed) {
                return;
            }
            closed = true;
            closeReason = reason;
            peer.onClosed(reason);
        }

        // ---- GuestEnd (test thread) ----

        @Override
        public void send(byte[] bytes) {
            loop.execute(() -> {
                outbox.add(bytes.clone());
                pump();
            });
        }

        @Override
        public void shutdownSend() {
            loop.execute(() -> {
                shutdownSendRequested = true;
                pump();
            });
        }

        @Override
        public byte[] read(int max) {
            byte[] out;
            boolean wake;
            synchronized (this) {
                byte[] all = queued.toByteArray();
                int n = Math.min(max, all.length);
                out = new byte[n];
                System.arraycopy(all, 0, out, 0, n);
                queued.reset();
                queued.write(all, n, all.length - n);
                wake = full && queued.size() < LOW_WATER;
                if (wake) {
                    full = false;
                }
            }
            if (wake) {
                loop.execute(() -> {
                    if (!closed) {
                        peer.onWritable();
                    }
                });
            }
            loop.execute(this::closeIfDone);
            return out;
        }

        @Override
        public byte[] readToEnd(long timeoutMs) throws Exception {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (!endOfInput()) {
                byte[] got = read(Integer.MAX_VALUE);
                all.writeBytes(got);
                if (got.length == 0) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new TimeoutException("the host did not end its output to guest port " + guestPort
                                + " within " + timeoutMs + " ms; read " + all.size() + " bytes");
                    }
                    Thread.sleep(2);
                }
            }
            return all.toByteArray();
        }

        @Override
        public synchronized boolean endOfInput() {
            return hostShut && queued.size() == 0;
        }

        @Override
        public void sendReset() {
            loop.execute(() -> close("the guest reset the stream"));
        }

        @Override
        public long sentToHost() {
            return call(() -> rxCnt);
        }

        @Override
        public long consumedByHost() {
            return call(() -> fwdCnt);
        }

        @Override
        public long maxUnconsumed() {
            return call(() -> maxUnconsumed);
        }

        @Override
        public synchronized int queuedForGuest() {
            return queued.size();
        }

        @Override
        public synchronized int maxQueuedForGuest() {
            return maxQueued;
        }

        @Override
        public boolean closed() {
            return closed;
        }

        @Override
        public String closeReason() {
            return closeReason;
        }

        @Override
        public boolean hostReset() {
            return hostReset;
        }

        private <T> T call(java.util.function.Supplier<T> read) {
            try {
                return CompletableFuture.supplyAsync(read, loop).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("the fake device's thread did not answer", e);
            }
        }
    }
}
