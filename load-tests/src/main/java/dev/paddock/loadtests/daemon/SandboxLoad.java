package dev.paddock.loadtests.daemon;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Issue 8's load test: N sandboxes at once on a running daemon's API (its unix socket; the daemon uses the loopback
 * driver, so every sandbox is a real guest agent process and every exec a real process), each doing M exec round
 * trips, then all deleted; two rounds. Prints create, exec and delete rates with p50/p99 latencies, and the
 * daemon's fds, threads and heap (after GC): before, after each round, and after 70 s idle; exits 1 when any
 * request failed, round two left more than round one, or the idle daemon is not back to the baseline.
 *
 * <p>{@code java -cp benchmarks.jar dev.paddock.loadtests.daemon.SandboxLoad STATE_DIR [SANDBOXES] [EXECS_EACH]}
 * (load-tests/bench-daemon.sh starts the daemon and runs this).
 */
public final class SandboxLoad {
    /** Round two may end a few fds or threads off round one (a pooled connection, a timer thread); never N's worth. */
    static final int FD_SLACK = 8;
    static final int THREAD_SLACK = 2;
    /** Heap after a full GC may wobble by a few MiB of caches; a per-sandbox leak at N=200 shows far above this. */
    static final double HEAP_SLACK = 1.25;
    /** Longer than the JDK's process-reaper keep-alive (java.lang.ProcessHandleImpl: 60 s idle threads end). */
    static final java.time.Duration IDLE = java.time.Duration.ofSeconds(70);

    private final HttpClient http;
    private final SocketAddress socket;
    private final AtomicInteger failures = new AtomicInteger();

    private SandboxLoad(Vertx vertx, Path state) {
        this.socket = SocketAddress.domainSocketAddress(state.resolve("daemon.sock").toString());
        // One connection per sandbox at the peak: the test is the daemon's concurrency, not the client's queue.
        this.http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("localhost"), new PoolOptions().setHttp1MaxSize(256));
    }

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[0]);
        int sandboxes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int execs = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        long pid = Long.parseLong(Files.readString(state.resolve("daemon.pid")).trim());
        Vertx vertx = Vertx.vertx();
        try {
            System.exit(new SandboxLoad(vertx, state).run(pid, sandboxes, execs) ? 0 : 1);
        } finally {
            vertx.close().await();
        }
    }

    /**
     * Two full rounds. Leak check: after the second round the daemon holds what it held after the first (Vert.x's
     * worker pool and Netty's buffer arenas grow to the load once, in round one, and stay); a leak grows again.
     * The growth over the warm-up baseline is printed too.
     */
    private boolean run(long pid, int n, int execs) throws Exception {
        System.out.printf("warm-up: 5 sandboxes through the whole cycle%n");
        cycle(5, 2, new Latencies("c"), new Latencies("e"), new Latencies("d"), false);
        failures.set(0);
        DaemonSample before = DaemonSample.of(pid);
        System.out.println("daemon before:        " + before);
        DaemonSample[] after = new DaemonSample[2];
        for (int round = 1; round <= 2; round++) {
            System.out.printf("%n--- round %d%n", round);
            Latencies create = new Latencies("create (POST /v1/sandboxes, wait for ready)");
            Latencies exec = new Latencies("exec round trip (POST .../exec, `echo`, NDJSON to the exit)");
            Latencies delete = new Latencies("delete (DELETE ?force=true: stop + remove)");
            cycle(n, execs, create, exec, delete, true);
            Thread.sleep(3000); // let closed connections and exited agents be reaped
            after[round - 1] = DaemonSample.of(pid);
            System.out.println("daemon after round " + round + ": " + after[round - 1]);
        }
        DaemonSample a = after[0];
        DaemonSample b = after[1];
        boolean flat = b.fds() <= a.fds() + FD_SLACK && b.threads() <= a.threads() + THREAD_SLACK
                && b.heapUsedKb() <= a.heapUsedKb() * HEAP_SLACK;
        System.out.printf("%nleak check (round 2 against round 1): fds %d -> %d, threads %d -> %d, heap %d -> %d KiB: %s%n",
                a.fds(), b.fds(), a.threads(), b.threads(), a.heapUsedKb(), b.heapUsedKb(), flat ? "FLAT" : "NOT FLAT");
        System.out.printf("right after round 2, over the warm-up baseline: fds %+d, threads %+d, heap %+d KiB (for %d sandboxes)%n",
                b.fds() - before.fds(), b.threads() - before.threads(), b.heapUsedKb() - before.heapUsedKb(), n);
        // What is still above the baseline right after a round is the JDK's "process reaper" threads (one per agent
        // process that ran at once; a cached pool that ends idle threads after 60 s) and what they hold. After
        // that, the daemon must be back where it started.
        System.out.printf("idle %d s (the JDK process reaper's keep-alive is 60 s)%n", IDLE.toSeconds());
        Thread.sleep(IDLE.toMillis());
        DaemonSample idle = DaemonSample.of(pid);
        boolean back = idle.fds() <= before.fds() + FD_SLACK && idle.threads() <= before.threads() + THREAD_SLACK
                && idle.heapUsedKb() <= before.heapUsedKb() * HEAP_SLACK;
        System.out.println("daemon after idle:    " + idle);
        System.out.printf("leak check (idle against the baseline): fds %d -> %d, threads %d -> %d, heap %d -> %d KiB: %s%n",
                before.fds(), idle.fds(), before.threads(), idle.threads(), before.heapUsedKb(), idle.heapUsedKb(),
                back ? "FLAT" : "NOT FLAT");
        System.out.println("failed requests: " + failures.get());
        return flat && back && failures.get() == 0;
    }

    private void cycle(int n, int execs, Latencies create, Latencies exec, Latencies delete, boolean report) {
        long t0 = System.nanoTime();
        List<Future<String>> created = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            JsonObject spec = new JsonObject().put("cpus", 1).put("memoryMib", 256).put("labels", new JsonObject().put("load", "1"));
            created.add(call(HttpMethod.POST, "/v1/sandboxes?wait=true", spec, 201).map(b -> {
                create.record(start);
                return b.toJsonObject().getString("id");
            }));
        }
        List<String> ids = await(created);
        double createSeconds = (System.nanoTime() - t0) / 1e9;

        long t1 = System.nanoTime();
        List<Future<Void>> execsDone = new ArrayList<>();
        for (String id : ids) {
            Future<Void> chain = Future.succeededFuture();
            for (int k = 0; k < execs; k++) {
                String word = "x" + k;
                chain = chain.compose(v -> {
                    long start = System.nanoTime();
                    return execEcho(id, word).map(ok -> {
                        exec.record(start);
                        return null;
                    });
                });
            }
            execsDone.add(chain);
        }
        await(execsDone);
        double execSeconds = (System.nanoTime() - t1) / 1e9;

        long t2 = System.nanoTime();
        List<Future<Void>> deleted = new ArrayList<>();
        for (String id : ids) {
            long start = System.nanoTime();
            deleted.add(call(HttpMethod.DELETE, "/v1/sandboxes/" + id + "?force=true", null, 204).map(b -> {
                delete.record(start);
                return null;
            }));
        }
        await(deleted);
        double deleteSeconds = (System.nanoTime() - t2) / 1e9;

        if (report) {
            System.out.printf("%n%d sandboxes at once, %d exec round trips each%n%n", n, execs);
            System.out.println("| operation | count | rate | p50 | p99 |");
            System.out.println("|---|---|---|---|---|");
            System.out.println(create.row(createSeconds));
            System.out.println(exec.row(execSeconds));
            System.out.println(delete.row(deleteSeconds));
            System.out.printf("%nphases: create %.1f s, exec %.1f s, delete %.1f s%n", createSeconds, execSeconds, deleteSeconds);
        }
        JsonArray left = call(HttpMethod.GET, "/v1/sandboxes", null, 200).await().toJsonObject().getJsonArray("sandboxes");
        if (!left.isEmpty()) {
            failures.incrementAndGet();
            System.out.println("FAIL: " + left.size() + " sandboxes left after the deletes");
        }
    }

    /** One exec of echo WORD; succeeds when the NDJSON stream carried WORD on stdout and exit 0. */
    private Future<Boolean> execEcho(String id, String word) {
        JsonObject req = new JsonObject().put("argv", new JsonArray().add("echo").add(word));
        return call(HttpMethod.POST, "/v1/sandboxes/" + id + "/exec", req, 200).map(body -> {
            StringBuilder out = new StringBuilder();
            Integer code = null;
            for (String line : body.toString().split("\n")) {
                if (line.isBlank()) continue;
                JsonObject c = new JsonObject(line);
                if ("stdout".equals(c.getString("type"))) out.append(new String(Base64.getDecoder().decode(c.getString("data"))));
                if ("exit".equals(c.getString("type"))) code = c.getInteger("code");
            }
            if (code == null || code != 0 || !out.toString().equals(word + "\n")) {
                failures.incrementAndGet();
                System.out.println("FAIL: exec in " + id + " gave exit " + code + " and stdout " + out);
            }
            return true;
        });
    }

    private Future<Buffer> call(HttpMethod method, String uri, JsonObject body, int expected) {
        RequestOptions o = new RequestOptions().setMethod(method).setServer(socket).setHost("localhost").setURI(uri);
        // body() is asked for inside send's callback, on the event loop: one level further out, the callback can
        // run after the response has ended and the body never comes.
        return http.request(o).compose(req -> (body == null ? req.send()
                        : req.putHeader("Content-Type", "application/json").send(body.toBuffer()))
                .compose(resp -> resp.body().compose(b -> {
                    if (resp.statusCode() != expected) {
                        failures.incrementAndGet();
                        return Future.failedFuture(method + " " + uri + " answered " + resp.statusCode() + ": " + b);
                    }
                    return Future.succeededFuture(b);
                })));
    }

    private <T> List<T> await(List<Future<T>> futures) {
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            try {
                out.add(f.await());
            } catch (Exception e) {
                failures.incrementAndGet();
                System.out.println("FAIL: " + e.getMessage());
            }
        }
        out.removeIf(java.util.Objects::isNull);
        return out;
    }
}
