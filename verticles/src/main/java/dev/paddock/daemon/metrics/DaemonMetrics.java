package dev.paddock.daemon.metrics;

import dev.paddock.daemon.sandbox.SandboxState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon's own meters, in the Prometheus registry that {@code /metrics} scrapes (Vert.x's meters go into the
 * same registry): {@code paddock_sandboxes{state}}, {@code paddock_sandbox_boot_seconds},
 * {@code paddock_exec_total{result}}, {@code paddock_egress_decisions_total{decision,channel}}. Thread-safe.
 */
public final class DaemonMetrics {
    private final PrometheusMeterRegistry registry;
    private final Map<SandboxState, AtomicInteger> byState = new EnumMap<>(SandboxState.class);
    private final Timer boot;

    public DaemonMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    public DaemonMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        for (SandboxState s : SandboxState.values()) {
            if (s == SandboxState.REMOVED) {
                continue; // removed sandboxes are gone; a gauge of them would only ever read 0
            }
            AtomicInteger n = new AtomicInteger();
            byState.put(s, n);
            Gauge.builder("paddock.sandboxes", n, AtomicInteger::get).tag("state", s.json())
                    .description("sandboxes in each lifecycle state").register(registry);
        }
        boot = Timer.builder("paddock.sandbox.boot").description("from booting to ready")
                .publishPercentileHistogram().register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** A sandbox moved from one state to another (from null: it appeared; to REMOVED: it is gone). */
    public void moved(SandboxState from, SandboxState to) {
        if (from != null && byState.containsKey(from)) {
            byState.get(from).decrementAndGet();
        }
        if (to != null && byState.containsKey(to)) {
            byState.get(to).incrementAndGet();
        }
    }

    public int count(SandboxState state) {
        return byState.get(state).get();
    }

    public void booted(Duration took) {
        boot.record(took);
    }

    /** result: ok, failed (could not start), lost (the sandbox went away), cancelled (the client left). */
    public void exec(String result) {
        Counter.builder("paddock.exec").tag("result", result).description("execs by how they ended")
                .register(registry).increment();
    }

    public void egress(String decision, String channel) {
        Counter.builder("paddock.egress.decisions").tag("decision", decision).tag("channel", channel)
                .description("egress decisions of the filters").register(registry).increment();
    }

    public String scrape() {
        return registry.scrape();
    }
}
