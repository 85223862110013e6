package dev.paddock.loadtests.daemon;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Latencies of one kind of request, recorded from any thread, summarised as count, rate, p50 and p99. */
final class Latencies {
    private final String name;
    private final ConcurrentLinkedQueue<Long> nanos = new ConcurrentLinkedQueue<>();

    Latencies(String name) {
        this.name = name;
    }

    void record(long startNanos) {
        nanos.add(System.nanoTime() - startNanos);
    }

    int count() {
        return nanos.size();
    }

    /** Nearest-rank percentile in milliseconds. */
    double percentileMillis(double p) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    String row(double phaseSeconds) {
        return String.format("| %s | %d | %.1f /s | %.0f ms | %.0f ms |", name, count(), count() / phaseSeconds,
                percentileMillis(50), percentileMillis(99));
    }

    @Override
    public String toString() {
        return name + Arrays.toString(new double[] {percentileMillis(50), percentileMillis(99)});
    }
}
