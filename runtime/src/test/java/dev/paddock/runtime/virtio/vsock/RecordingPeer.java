package dev.paddock.runtime.virtio.vsock;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A host peer that records what the device tells it; optionally consumes data at once. */
final class RecordingPeer implements VsockPeer {
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final List<String> events = new ArrayList<>();
    int writable;
    int dataCalls;
    boolean guestShutdownSend;
    String closed;
    VsockStream stream;
    boolean autoConsume;
    /** Every {@code data} as handed over (not copied): the device's views, to check what they are. */
    final java.util.List<ByteBuffer> views = new java.util.ArrayList<>();
    RuntimeException failOnData;

    RecordingPeer autoConsume() {
        autoConsume = true;
        return this;
    }

    @Override
    public void onData(ByteBuffer bytes) {
        if (failOnData != null) {
            throw failOnData;
        }
        dataCalls++;
        views.add(bytes);
        int n = bytes.remaining();
        byte[] b = new byte[n];
        bytes.get(b);
        data.writeBytes(b);
        if (autoConsume) {
            stream.consumed(n);
        }
    }

    @Override
    public void onGuestShutdownSend() {
        guestShutdownSend = true;
        events.add("shutdown-send");
    }

    @Override
    public void onWritable() {
        writable++;
        events.add("writable");
    }

    @Override
    public void onClosed(String reason) {
        if (closed != null) {
            throw new AssertionError("onClosed called twice: " + closed + " / " + reason);
        }
        closed = reason;
        events.add("closed");
    }

    byte[] bytes() {
        return data.toByteArray();
    }
}
