package dev.paddock.daemon.lifecycle;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.bus.Replies;
import dev.paddock.daemon.driver.BootListener;
import dev.paddock.daemon.driver.BootRequest;
import dev.paddock.daemon.driver.RunningSandbox;
import dev.paddock.daemon.driver.SandboxDriver;
import dev.paddock.daemon.driver.SandboxExit;
import dev.paddock.daemon.messages.EgressMessages.PolicyRemove;
import dev.paddock.daemon.messages.EgressMessages.PolicyUpdate;
import dev.paddock.daemon.messages.LifecycleRequests.AgentHandle;
import dev.paddock.daemon.messages.LifecycleRequests.Create;
import dev.paddock.daemon.messages.LifecycleRequests.ListAll;
import dev.paddock.daemon.messages.LifecycleRequests.Ref;
import dev.paddock.daemon.messages.LifecycleRequests.Remove;
import dev.paddock.daemon.messages.LifecycleRequests.SandboxList;
import dev.paddock.daemon.messages.LifecycleRequests.Start;
import dev.paddock.daemon.messages.LifecycleRequests.Stop;
import dev.paddock.daemon.messages.PortMessages.PortAdd;
import dev.paddock.daemon.messages.PortMessages.PortList;
import dev.paddock.daemon.messages.PortMessages.PortRemove;
import dev.paddock.daemon.messages.PortMessages.PortStatus;
import dev.paddock.daemon.messages.PortMessages.PortsOf;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.daemon.sandbox.Limits;
import dev.paddock.daemon.sandbox.PortRequest;
import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.daemon.sandbox.SandboxSpec;
import dev.paddock.daemon.sandbox.SandboxState;
import dev.paddock.daemon.sandbox.SandboxStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * The sandbox lifecycle: the state machine of {@link SandboxState} for every sandbox, the records on disk, and the
 * driver calls that boot and end sandboxes. All state lives on this verticle's event loop; every request arrives on
 * the bus (Addresses.SANDBOX_*). Records are written through {@link SandboxStore} as blocking work, in order.
 *
 * <p>On start every stored record is loaded; whatever state it was saved in, it comes back stopped (a daemon that
 * was killed left nothing running that it still controls; {@link SandboxDriver#reclaim} ends what it left).
 */
public final class LifecycleVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(LifecycleVerticle.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SandboxStore store;
    private final SandboxDriver driver;
    private final DaemonMetrics metrics;
    private final Duration bootTimeout;
    private final SandboxNames names;
    private final Map<String, LiveSandbox> byId = new HashMap<>();
    private final Map<String, String> idByName = new HashMap<>();

    public LifecycleVerticle(SandboxStore store, SandboxDriver driver, DaemonMetrics metrics, Duration bootTimeout) {
        this(store, driver, metrics, bootTimeout, SandboxNames.LOCAL);
    }

    /** @param names where names are reserved beyond this daemon (a cluster), or {@link SandboxNames#LOCAL} */
    public LifecycleVerticle(SandboxStore store, SandboxDriver driver, DaemonMetrics metrics, Duration bootTimeout,
                             SandboxNames names) {
        this.store = store;
        this.driver = driver;
        this.metrics = metrics;
        this.bootTimeout = bootTimeout;
        this.names = names;
    }

    @Override
    public Future<?> start() {
        return vertx.executeBlocking(store::loadAll).compose(this::recover).onSuccess(v -> {
            EventBus bus = vertx.eventBus();
            handle(bus, Addresses.SANDBOX_CREATE, this::create);
            handle(bus, Addresses.SANDBOX_START, this::startRequest);
            handle(bus, Addresses.SANDBOX_STOP, this::stopRequest);
            handle(bus, Addresses.SANDBOX_REMOVE, this::remove);
            handle(bus, Addresses.SANDBOX_GET, (Ref r) -> Future.succeededFuture(find(r.ref()).record));
            handle(bus, Addresses.SANDBOX_LIST, (ListAll l) -> Future.succeededFuture(list()));
            handle(bus, Addresses.SANDBOX_AGENT, this::agent);
            handle(bus, Addresses.SANDBOX_PORTS, this::ports);
            handle(bus, Addresses.SANDBOX_PORT_ADD, this::addPort);
            handle(bus, Addresses.SANDBOX_PORT_REMOVE, this::removePort);
        });
    }

    /** Ends every running sandbox (orderly, 2 s, then killed) so the records say stopped. */
    @Override
    public Future<?> stop() {
        List<Future<SandboxRecord>> stops = new ArrayList<>();
        for (LiveSandbox sb : List.copyOf(byId.values())) {
            if (sb.record.state().isLive()) {
                stops.add(stopSandbox(sb, 2, "the daemon stopped"));
            }
        }
        return Future.join(stops);
    }

    private <T> void handle(EventBus bus, String address, Function<T, Future<?>> handler) {
        bus.<T>localConsumer(address, (Message<T> msg) -> {
            Future<?> result;
            try {
                result = handler.apply(msg.body());
            } catch (RuntimeException e) {
                result = Future.failedFuture(e);
            }
            Replies.answer(msg, result);
        });
    }

    private Future<Void> recover(List<SandboxRecord> stored) {
        String now = now();
        List<Future<?>> work = new ArrayList<>();
        for (SandboxRecord r : stored) {
            SandboxRecord recovered = r.asRecovered(now);
            byId.put(r.id(), new LiveSandbox(recovered));
            idByName.put(recovered.name(), r.id());
            metrics.moved(null, recovered.state());
            Future<Void> reclaim = driver.reclaim(r.id(), store.directory(r.id()));
            work.add(recovered == r ? reclaim : reclaim.compose(v -> persist(recovered)));
        }
        LOG.log(System.Logger.Level.INFO, "loaded {0} sandbox records from {1}", stored.size(), store.root());
        return Future.all(work).mapEmpty();
    }

    // ---- requests

    private Future<SandboxRecord> create(Create c) {
        String id = newId();
        SandboxSpec spec = c.spec().name() == null ? c.spec().withName(id) : c.spec();
        nameFree(spec.name());
        // A plain daemon's claim is already complete, so everything below runs at once, as it always did.
        return names.claim(spec.name(), id).compose(v -> {
            try {
                nameFree(spec.name()); // a local create of the same name may have won while the claim travelled
            } catch (DaemonException e) {
                names.release(spec.name(), id);
                throw e;
            }
            return createClaimed(c, id, spec);
        });
    }

    private void nameFree(String name) {
        if (idByName.containsKey(name)) {
            throw new DaemonException(ErrorCode.NAME_TAKEN, "the name \"" + name + "\" is taken by sandbox "
                    + idByName.get(name) + "; choose another name or remove that sandbox first", "name", List.of());
        }
    }

    private Future<SandboxRecord> createClaimed(Create c, String id, SandboxSpec spec) {
        String now = now();
        LiveSandbox sb = new LiveSandbox(new SandboxRecord(id, spec, SandboxState.CREATING, null, driver.name(),
                now, now, -1));
        byId.put(id, sb);
        idByName.put(spec.name(), id);
        metrics.moved(null, SandboxState.CREATING);
        publish(new SandboxEvent.StateChanged(now, id, null, SandboxState.CREATING.json(), null));
        String policy = c.policyJson() != null ? c.policyJson() : "{}";
        return persist(sb.record)
                .compose(v -> vertx.eventBus().request(Addresses.POLICY_SET, new PolicyUpdate(id, policy)))
                .recover(failure -> {
                    // Nothing usable exists yet: the create fails as a whole and leaves no record behind.
                    forget(sb);
                    return vertx.executeBlocking(() -> {
                        store.delete(id);
                        return null;
                    }).transform(ignored -> Future.failedFuture(failure));
                })
                .compose(v -> {
                    if (!c.start()) {
                        return move(sb, SandboxState.STOPPED, "created without starting").map(sb.record);
                    }
                    Future<SandboxRecord> booted = boot(sb);
                    return c.await() ? booted : Future.succeededFuture(sb.record);
                });
    }

    private Future<SandboxRecord> startRequest(Start s) {
        LiveSandbox sb = find(s.ref());
        SandboxState state = sb.record.state();
        if (state == SandboxState.READY) {
            return Future.succeededFuture(sb.record);
        }
        if (state == SandboxState.BOOTING) {
            return s.await() ? waiter(sb.bootWaiters) : Future.succeededFuture(sb.record);
        }
        Future<SandboxRecord> booted = boot(sb);
        return s.await() ? booted : Future.succeededFuture(sb.record);
    }

    private Future<SandboxRecord> stopRequest(Stop s) {
        LiveSandbox sb = find(s.ref());
        SandboxState state = sb.record.state();
        if (state == SandboxState.STOPPED || state == SandboxState.FAILED) {
            return Future.succeededFuture(sb.record);
        }
        Future<SandboxRecord> stopped = stopSandbox(sb, s.timeoutSeconds(), "stopped on request");
        return s.await() ? stopped : Future.succeededFuture(sb.record);
    }

    private Future<SandboxRecord> remove(Remove r) {
        LiveSandbox sb = find(r.ref());
        if (sb.record.state().isLive()) {
            if (!r.force()) {
                throw new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox " + sb.id() + " (" + sb.record.name()
                        + ") is " + sb.record.state().json() + "; stop it first, or delete it with force=true");
            }
            return stopSandbox(sb, 0, "removed with force").compose(v -> removeStopped(sb));
        }
        return removeStopped(sb);
    }

    private Future<SandboxRecord> removeStopped(LiveSandbox sb) {
        SandboxRecord removed = sb.record.transition(SandboxState.REMOVED, "removed on request", now());
        SandboxState from = sb.record.state();
        sb.record = removed;
        forget(sb);
        metrics.moved(from, SandboxState.REMOVED);
        publish(new SandboxEvent.StateChanged(removed.updatedAt(), sb.id(), from.json(), SandboxState.REMOVED.json(),
                removed.stateReason()));
        vertx.eventBus().send(Addresses.POLICY_REMOVE, new PolicyRemove(sb.id()));
        return vertx.executeBlocking(() -> {
            store.delete(sb.id());
            return removed;
        });
    }

    private Future<AgentHandle> agent(Ref r) {
        LiveSandbox sb = find(r.ref());
        if (sb.record.state() != SandboxState.READY || sb.running == null) {
            throw new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox " + sb.id() + " (" + sb.record.name()
                    + ") is " + sb.record.state().json() + ", not ready"
                    + (sb.record.state().isLive() ? "; wait until it is ready"
                    : "; start it first (POST /v1/sandboxes/" + sb.record.name() + "/start, paddock start)"));
        }
        return Future.succeededFuture(new AgentHandle(sb.record, sb.running.agent()));
    }

    // ---- ports (issue 6)

    /** Live publications of a ready sandbox; otherwise the recorded requests, none published, and why. */
    private Future<PortList> ports(PortsOf p) {
        LiveSandbox sb = find(p.ref());
        List<PortRequest> requested = sb.record.spec().ports();
        if (sb.record.state() == SandboxState.READY && sb.running != null) {
            return Future.succeededFuture(new PortList(sb.running.ports().status(requested)));
        }
        String why = "the sandbox is " + sb.record.state().json() + "; its ports are published while it runs";
        return Future.succeededFuture(new PortList(requested.stream()
                .map(r -> new PortStatus(r.guestPort(), r.hostPort(), r.hostAddress(), false, why)).toList()));
    }

    /**
     * Publishes a port of a ready sandbox, then records the request in its spec (replacing any request for the same
     * guest port) so that the next boot publishes it again, as it does the ports given at create. The request is
     * recorded as asked: host port 0 picks a free port again at every boot.
     */
    private Future<PortStatus> addPort(PortAdd a) {
        LiveSandbox sb = find(a.ref());
        RunningSandbox running = requireRunning(sb, "publish a port");
        boolean replaces = sb.record.spec().ports().stream().anyMatch(p -> p.guestPort() == a.guestPort());
        if (!replaces && sb.record.spec().ports().size() >= Limits.MAX_PORTS) {
            throw new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox " + sb.id() + " (" + sb.record.name()
                    + ") already has " + Limits.MAX_PORTS + " port requests, the most a sandbox may have; remove one"
                    + " first (DELETE /v1/sandboxes/" + sb.record.name() + "/ports/{hostPort})");
        }
        return running.ports().add(a.guestPort(), a.hostPort()).compose(pub -> onContext(() -> {
            if (sb.running != running) {
                throw new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox " + sb.id() + " ended while guest port "
                        + a.guestPort() + " was being published; start it again");
            }
            String now = now();
            sb.record = sb.record.withSpec(sb.record.spec().withPort(new PortRequest(a.guestPort(), a.hostPort(),
                    a.hostAddress())), now);
            publish(new SandboxEvent.PortChanged(now, sb.id(), "published", pub.guestPort(), pub.hostAddress(),
                    pub.hostPort()));
            return persist(sb.record).map(new PortStatus(pub.guestPort(), pub.hostPort(), pub.hostAddress(), true,
                    null));
        }));
    }

    /** Unpublishes the port on a host port of a ready sandbox and drops its guest port from the record. */
    private Future<PortStatus> removePort(PortRemove r) {
        LiveSandbox sb = find(r.ref());
        RunningSandbox running = requireRunning(sb, "remove a published port");
        return running.ports().remove(r.hostPort()).compose(pub -> onContext(() -> {
            String now = now();
            sb.record = sb.record.withSpec(sb.record.spec().withoutPort(pub.guestPort()), now);
            publish(new SandboxEvent.PortChanged(now, sb.id(), "unpublished", pub.guestPort(), pub.hostAddress(),
                    pub.hostPort()));
            return persist(sb.record).map(new PortStatus(pub.guestPort(), pub.hostPort(), pub.hostAddress(), false,
                    "removed on request"));
        }));
    }

    private RunningSandbox requireRunning(LiveSandbox sb, String what) {
        if (sb.record.state() != SandboxState.READY || sb.running == null) {
            throw new DaemonException(ErrorCode.ILLEGAL_STATE, "cannot " + what + ": sandbox " + sb.id() + " ("
                    + sb.record.name() + ") is " + sb.record.state().json() + ", not ready"
                    + (sb.record.state().isLive() ? "; wait until it is ready"
                    : "; start it first (POST /v1/sandboxes/" + sb.record.name() + "/start, paddock start "
                    + sb.record.name() + ")"));
        }
        return sb.running;
    }

    /** Runs {@code work} on this verticle's context (a driver's futures may complete elsewhere). */
    private <T> Future<T> onContext(Callable<Future<T>> work) {
        Promise<T> result = Promise.promise();
        context.runOnContext(v -> {
            try {
                work.call().onComplete(result);
            } catch (Exception e) {
                result.fail(e);
            }
        });
        return result.future();
    }

    // ---- boot and stop

    private Future<SandboxRecord> boot(LiveSandbox sb) {
        move(sb, SandboxState.BOOTING, null); // throws ILLEGAL_STATE before anything changed
        Future<SandboxRecord> result = waiter(sb.bootWaiters);
        sb.bootStartedNanos = System.nanoTime();
        String id = sb.id();
        BootListener listener = new BootListener() {
            @Override
            public void progress(String step, String detail) {
                publish(new SandboxEvent.BootProgress(now(), id, step, detail));
            }

            @Override
            public void console(String line) {
                vertx.eventBus().send(Addresses.DRIVER_CONSOLE, new SandboxEvent.ConsoleLine(now(), id, line));
            }
        };
        // A driver may complete its futures on any thread (a process reaper, another context): every callback
        // hops back onto this verticle's context, which owns all state and orders the record writes.
        driver.boot(new BootRequest(id, store.directory(id), sb.record.spec(), bootTimeout), listener)
                .onComplete(ar -> context.runOnContext(v -> {
                    if (ar.succeeded()) {
                        booted(sb, ar.result());
                    } else {
                        bootFailed(sb, ar.cause());
                    }
                }));
        return result;
    }

    private void booted(LiveSandbox sb, RunningSandbox running) {
        sb.running = running;
        running.exit().onSuccess(exit -> context.runOnContext(v -> exited(sb, running, exit)));
        if (sb.record.state() == SandboxState.STOPPING) {
            // A stop came in while it booted: go on with the stop now that there is something to stop.
            failAll(sb.bootWaiters, new DaemonException(ErrorCode.BOOT_FAILED, "sandbox " + sb.id()
                    + " was stopped while it booted"));
            shutdown(sb, running, 0);
            return;
        }
        var vsock = running.vsock();
        if (vsock.isPresent()) {
            // Egress before READY: the guest's CA trust is in place before any exec (and any docker pull) runs.
            // Bounded by the boot timeout, not the bus's 30 s default: the first attach loads the CA and proxy
            // code and runs an exec in the guest, which in the emulated accelerator takes tens of seconds.
            vertx.eventBus().request(Addresses.EGRESS_ATTACH, new dev.paddock.daemon.messages.EgressMessages.EgressAttach(
                    sb.id(), store.directory(sb.id()), sb.record.spec().secrets(), vsock.get(), running.agent()),
                    new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(Math.max(30_000, bootTimeout.toMillis())))
                    .onComplete(ar -> context.runOnContext(v -> {
                        if (sb.record.state() == SandboxState.STOPPING) {
                            failAll(sb.bootWaiters, new DaemonException(ErrorCode.BOOT_FAILED, "sandbox " + sb.id()
                                    + " was stopped while it booted"));
                            shutdown(sb, running, 0);
                        } else if (ar.succeeded()) {
                            ready(sb);
                        } else {
                            running.kill();
                            bootFailed(sb, new DaemonException(ErrorCode.BOOT_FAILED, "starting its egress filters"
                                    + " failed: " + Replies.describe(ar.cause())));
                        }
                    }));
            return;
        }
        ready(sb);
    }

    private void ready(LiveSandbox sb) {
        Duration took = Duration.ofNanos(System.nanoTime() - sb.bootStartedNanos);
        metrics.booted(took);
        sb.record = sb.record.withLastBootMillis(took.toMillis());
        move(sb, SandboxState.READY, null).onComplete(ar -> completeAll(sb.bootWaiters, sb.record));
    }

    private void bootFailed(LiveSandbox sb, Throwable cause) {
        String reason = "boot failed: " + Replies.describe(cause);
        LOG.log(System.Logger.Level.WARNING, "sandbox {0}: {1}", sb.id(), reason);
        SandboxState to = sb.record.state() == SandboxState.STOPPING ? SandboxState.STOPPED : SandboxState.FAILED;
        move(sb, to, to == SandboxState.STOPPED ? "stopped while booting" : reason).onComplete(ar -> {
            failAll(sb.bootWaiters, new DaemonException(ErrorCode.BOOT_FAILED, "sandbox " + sb.id() + " ("
                    + sb.record.name() + ") " + reason + "; it is now " + sb.record.state().json()
                    + " and can be started again; its console log may say more"));
            completeAll(sb.stopWaiters, sb.record);
        });
    }

    private Future<SandboxRecord> stopSandbox(LiveSandbox sb, int timeoutSeconds, String why) {
        if (sb.record.state() == SandboxState.STOPPING) {
            if (timeoutSeconds == 0 && sb.running != null) {
                sb.running.kill();
            }
            return waiter(sb.stopWaiters);
        }
        move(sb, SandboxState.STOPPING, why); // throws ILLEGAL_STATE before anything changed
        Future<SandboxRecord> result = waiter(sb.stopWaiters);
        if (sb.running != null) {
            shutdown(sb, sb.running, timeoutSeconds);
        }
        // else: still booting; booted() or bootFailed() carries on with the stop.
        return result;
    }

    /** Orderly through the agent, then killed once the timeout has passed. */
    private void shutdown(LiveSandbox sb, RunningSandbox running, int timeoutSeconds) {
        if (timeoutSeconds == 0) {
            running.kill();
            return;
        }
        sb.killTimer = vertx.setTimer(timeoutSeconds * 1000L, t -> {
            LOG.log(System.Logger.Level.INFO, "sandbox {0} did not stop within {1} s; killing it", sb.id(),
                    timeoutSeconds);
            running.kill();
        });
        running.agent().shutdown().onFailure(e -> {
            LOG.log(System.Logger.Level.INFO, "sandbox {0}: orderly shutdown failed ({1}); killing it", sb.id(),
                    Replies.describe(e));
            running.kill();
        });
    }

    private void exited(LiveSandbox sb, RunningSandbox running, SandboxExit exit) {
        vertx.cancelTimer(sb.killTimer);
        running.agent().close();
        if (running.vsock().isPresent()) {
            vertx.eventBus().send(Addresses.EGRESS_DETACH, new dev.paddock.daemon.messages.EgressMessages.EgressDetach(sb.id()));
        }
        vertx.eventBus().send(Addresses.DRIVER_EXIT, new SandboxEvent.Exited(now(), sb.id(), exit.kind().json(),
                exit.code(), exit.detail()));
        if (sb.running == running) {
            sb.running = null;
        }
        SandboxState state = sb.record.state();
        if (state == SandboxState.STOPPING) {
            move(sb, SandboxState.STOPPED, sb.record.stateReason() + "; " + exit.describe())
                    .onComplete(ar -> completeAll(sb.stopWaiters, sb.record));
        } else if (state == SandboxState.READY || state == SandboxState.BOOTING) {
            move(sb, SandboxState.FAILED, "ended without being stopped: " + exit.describe());
        }
    }

    // ---- state, persistence, events

    /** Moves the sandbox (refusing what the table forbids), publishes the change, and writes the record. */
    private Future<Void> move(LiveSandbox sb, SandboxState to, String reason) {
        SandboxState from = sb.record.state();
        sb.record = sb.record.transition(to, reason, now());
        metrics.moved(from, to);
        publish(new SandboxEvent.StateChanged(sb.record.updatedAt(), sb.id(), from.json(), to.json(), reason));
        return persist(sb.record);
    }

    private Future<Void> persist(SandboxRecord record) {
        return vertx.<Void>executeBlocking(() -> {
            store.save(record);
            return null;
        }).onFailure(e -> LOG.log(System.Logger.Level.ERROR, "cannot write the record of sandbox " + record.id()
                + ": " + e.getMessage(), e));
    }

    private void publish(SandboxEvent event) {
        vertx.eventBus().publish(Addresses.EVENTS, event);
        vertx.eventBus().publish(Addresses.sandboxEvents(event.sandbox()), event);
    }

    private LiveSandbox find(String ref) {
        LiveSandbox sb = byId.get(ref);
        if (sb == null) {
            String id = idByName.get(ref);
            sb = id != null ? byId.get(id) : null;
        }
        if (sb == null) {
            throw DaemonException.notFound("sandbox", ref);
        }
        return sb;
    }

    private void forget(LiveSandbox sb) {
        byId.remove(sb.id());
        idByName.remove(sb.record.name(), sb.id());
        names.release(sb.record.name(), sb.id());
        if (sb.record.state() == SandboxState.CREATING) {
            metrics.moved(SandboxState.CREATING, null);
        }
    }

    private SandboxList list() {
        return new SandboxList(byId.values().stream().map(s -> s.record)
                .sorted(Comparator.comparing(SandboxRecord::createdAt).thenComparing(SandboxRecord::id)).toList());
    }

    private String newId() {
        String id;
        do {
            byte[] b = new byte[6];
            RANDOM.nextBytes(b);
            id = "sb-" + HexFormat.of().formatHex(b);
        } while (byId.containsKey(id));
        return id;
    }

    private static <T> Future<T> waiter(List<Promise<T>> waiters) {
        Promise<T> p = Promise.promise();
        waiters.add(p);
        return p.future();
    }

    private static <T> void completeAll(List<Promise<T>> waiters, T value) {
        List<Promise<T>> all = List.copyOf(waiters);
        waiters.clear();
        all.forEach(p -> p.tryComplete(value));
    }

    private static <T> void failAll(List<Promise<T>> waiters, Throwable failure) {
        List<Promise<T>> all = List.copyOf(waiters);
        waiters.clear();
        all.forEach(p -> p.tryFail(failure));
    }

    private static String now() {
        return Instant.now().toString();
    }
}
