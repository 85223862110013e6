package dev.paddock.runtime.vmm;

import dev.paddock.runtime.devices.legacy.ConsoleListener;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Collects a VM's console output for assertions, and lets a test wait for text. */
final class ConsoleCapture implements ConsoleListener {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private volatile Thread deliveryThread;

    @Override
    public synchronized void output(byte[] b) {
        deliveryThread = Thread.currentThread();
        bytes.write(b, 0, b.length);
        notifyAll();
    }

    synchronized String text() {
        return bytes.toString(StandardCharsets.US_ASCII);
    }

    synchronized int size() {
        return bytes.size();
    }

    Thread deliveryThread() {
        return deliveryThread;
    }

    /** Waits until the output contains {@code text}; returns whether it did in time. */
    synchronized boolean awaitText(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!text().contains(text)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** Waits until at least {@code n} bytes arrived. */
    synchronized boolean awaitSize(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (bytes.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
