package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.api.ApiClient;
import dev.paddock.runtime.virtio.fs.FsDevice;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The benchmark behind docs/performance.md's workspace figures (issue 9): one small C project with a git history,
 * worked on inside a microVM sandbox over the virtio-fs share and, as the peer measured in the same run, as a copy
 * on the guest's local disk (the root overlay, whose upper layer is the sandbox's ext4 state disk on virtio-blk).
 * The same commands run on both, alternately, {@link #ROUNDS} times: {@code git status} (a stat of every tracked
 * file) after {@code make clean}, a full {@code make -j2} (about {@value #SOURCES} compilations, each reading headers
 * and writing an object), and {@code git status} again after the build. Times are taken in the guest around each
 * command, so the exec round trip is not in them. Not an integration test: {@code load-tests/bench-workspace.sh}
 * runs it, in the helper VM when the probe says emulated.
 */
class WorkspaceShareBench {
    /** Rounds of the measured figures; {@code -Dpaddock.bench.rounds=N} changes it (0: only the profile). */
    static final int ROUNDS = Integer.getInteger("paddock.bench.rounds", 5);
    static final int SOURCES = 12;
    static final int DOC_DIRS = 20;
    static final int DOCS_PER_DIR = 40;
    static final int PROFILE_REPEATS = 2;

    @Test
    void shareAgainstLocalDisk() throws Exception {
        try (VmItSupport it = VmItSupport.start("pd-wsb")) {
            Path share = Files.createDirectories(it.state.resolve("host-workspaces").resolve("bench"));
            Path project = share.resolve("proj");
            writeProject(project);
            HostShell.run(project, "git init -q -b main . && git add -A"
                    + " && git -c user.name=host -c user.email=host@example.invalid commit -q -m initial"
                    + " && chown -R " + WorkspaceInSandboxIT.OWNER + ":" + WorkspaceInSandboxIT.OWNER + " " + share);
            String id = it.create(new JsonObject()
                    .put("name", "wsbench").put("cpus", 2).put("memoryMib", 2048).put("diskGib", 4)
                    .put("workspaces", new JsonArray().add(new JsonObject().put("path", share.toString()).put("mode", "rw"))));
            try {
                String shared = project.toString();
                String local = "/home/agent/proj";
                guest(it, id, "cp -a " + shared + " " + local);
                // one warm-up of each command on each side: git refreshes its index, make reads its rules
                for (String dir : List.of(shared, local)) {
                    timed(it, id, dir, "git status --porcelain");
                    timed(it, id, dir, "make -s -j2 >/dev/null && make -s clean");
                }
                List<Long> statusShare = new ArrayList<>();
                List<Long> statusLocal = new ArrayList<>();
                List<Long> builtStatusShare = new ArrayList<>();
                List<Long> builtStatusLocal = new ArrayList<>();
                List<Long> buildShare = new ArrayList<>();
                List<Long> buildLocal = new ArrayList<>();
                for (int round = 0; round < ROUNDS; round++) {
                    boolean shareFirst = round % 2 == 0;
                    for (String dir : shareFirst ? List.of(shared, local) : List.of(local, shared)) {
                        boolean isShare = dir.equals(shared);
                        status(it, id, dir, isShare, isShare ? statusShare : statusLocal, "after make clean", round);
                        Mark beforeBuild = Mark.of(it, id);
                        (isShare ? buildShare : buildLocal).add(timed(it, id, dir, "make -s -j2 >/dev/null"));
                        if (isShare) {
                            System.out.println("REQUESTS workspace make -j2, round " + (round + 1) + ": "
                                    + beforeBuild.served(it, id));
                        }
                        status(it, id, dir, isShare, isShare ? builtStatusShare : builtStatusLocal, "after the build", round);
                        guest(it, id, "cd " + dir + " && test -x app && make -s clean");
                    }
                }
                if (ROUNDS > 0) {
                    figure("git status after make clean", statusShare, statusLocal);
                    figure("git status after the build", builtStatusShare, builtStatusLocal);
                    figure("git status, both", concat(statusShare, builtStatusShare), concat(statusLocal, builtStatusLocal));
                    figure("make -j2 (full build)", buildShare, buildLocal);
                }
                profile(it, id, shared, local);
            } finally {
                it.slow(HttpMethod.DELETE, "/v1/sandboxes/" + id + "?force=true", null);
            }
        }
    }

    /** One timed {@code git status} in {@code dir}, into {@code into}; over the share, the FUSE requests it cost. */
    private static void status(VmItSupport it, String id, String dir, boolean isShare, List<Long> into, String when,
                               int round) throws Exception {
        Mark before = Mark.of(it, id);
        into.add(timed(it, id, dir, "git status --porcelain"));
        if (isShare) {
            System.out.println("REQUESTS workspace git status " + when + ", round " + (round + 1) + ": "
                    + before.served(it, id) + "; host watcher so far: " + watcher(it, id));
        }
    }

    private static List<Long> concat(List<Long> a, List<Long> b) {
        List<Long> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Where a {@code git status} right after a build spends its time on each side, for the next engineer: git's own
     * regions ({@code GIT_TRACE2_PERF}), then the same command twice more at once (caches warm, only git's
     * index.lock round trips left), a cached {@code lstat} of every file ({@code ls -lR}), and the timing harness
     * itself. Prints {@code PROFILE} lines; no figure comes from them.
     */
    private static void profile(VmItSupport it, String id, String shared, String local) throws Exception {
        for (int rep = 1; rep <= PROFILE_REPEATS; rep++) {
            for (String dir : List.of(shared, local)) {
                boolean isShare = dir.equals(shared);
                String side = isShare ? "share" : "local";
                guest(it, id, "cd " + dir + " && make -s -j2 >/dev/null && make -s clean");
                String trace = "/tmp/trace2-" + side + "-" + rep;
                Mark before = Mark.of(it, id);
                long first = timed(it, id, dir, "GIT_TRACE2_PERF=" + trace + " git status --porcelain");
                String served = isShare ? before.served(it, id) : "no share";
                long again = timed(it, id, dir, "git status --porcelain");
                long again2 = timed(it, id, dir, "git status --porcelain");
                long lsR = timed(it, id, dir, "ls -lR . >/dev/null");
                long harness = timed(it, id, dir, "true");
                System.out.printf(Locale.ROOT, "PROFILE %s %d: git status after the build %d ms (%s); again %d, %d ms;"
                        + " ls -lR %d ms; harness %d ms%n", side, rep, first, served, again, again2, lsR, harness);
                for (String line : guest(it, id, "cat " + trace + " && rm -f " + trace).split("\n")) {
                    // time file:line | d0 | thread | event | repo | t_abs | t_rel | category | data
                    String[] f = line.split("\\|", 9);
                    String event = f.length == 9 ? f[3].strip() : "";
                    if (event.equals("region_leave")) {
                        System.out.printf(Locale.ROOT, "PROFILE %s %d   %-12s %-10s %-10s %s%n", side, rep, event,
                                f[6].strip(), f[7].strip(), f[8].strip());
                    } else if (event.equals("atexit")) {
                        // t_abs: the seconds since git's process started, so git's whole life against the command's
                        System.out.printf(Locale.ROOT, "PROFILE %s %d   %-12s %-10s %s%n", side, rep, event,
                                f[5].strip(), f[8].strip());
                    }
                }
            }
        }
    }

    private static FsDevice device(VmItSupport it, String id) {
        return ((MicroVmDriver) it.daemon.driver()).running(id).orElseThrow().vm().fsDevices().get(0);
    }

    /** The share's request counts and VMM latency at one moment, to say what a command cost between two. */
    private record Mark(Map<String, Long> requests, FsDevice.Latency latency) {
        static Mark of(VmItSupport it, String id) {
            FsDevice device = device(it, id);
            return new Mark(device.requestCounts(), device.latency());
        }

        /** The requests served since: by opcode, and their mean time in the VMM (handled; popped to used). */
        String served(VmItSupport it, String id) {
            Mark now = of(it, id);
            long n = now.latency.served() - latency.served();
            return delta(requests, now.requests) + "; in the VMM: " + (n == 0 ? "none served" : String.format(Locale.ROOT,
                    "%d served, mean %.0f µs handled, %.0f µs popped to used", n,
                    (now.latency.handleNanos() - latency.handleNanos()) / 1e3 / n,
                    (now.latency.serviceNanos() - latency.serviceNanos()) / 1e3 / n));
        }
    }

    /** The share's host watcher's counts: batches sent, of them with name changes, events left out as the guest's own. */
    private static String watcher(VmItSupport it, String id) {
        return device(it, id).hostWatcher().map(w -> w.batches() + " batches, " + w.namesBatches()
                + " with names, " + w.leftOut() + " events left out, " + w.unsettled() + " unsettled").orElse("not running");
    }

    /** What was served between two counts (the exec's own requests, if any, included), most frequent first. */
    static String delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new TreeMap<>();
        after.forEach((op, n) -> {
            long k = n - before.getOrDefault(op, 0L);
            if (k > 0) {
                d.put(op, k);
            }
        });
        long total = d.values().stream().mapToLong(Long::longValue).sum();
        return total + " requests " + d.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    private static void figure(String what, List<Long> share, List<Long> local) {
        double s = median(share);
        double l = median(local);
        System.out.printf(Locale.ROOT, "FIGURE workspace %s: share median %.0f ms %s, local disk median %.0f ms %s,"
                + " share/local = %.2f%n", what, s, share, l, local, s / l);
    }

    private static double median(List<Long> xs) {
        List<Long> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    /** Runs {@code command} in {@code dir} as the agent user; returns the guest-measured milliseconds. */
    private static long timed(VmItSupport it, String id, String dir, String command) throws Exception {
        String out = guest(it, id, "cd " + dir + " && t0=$(date +%s%N) && { " + command + "; } >/dev/null"
                + " && echo $(( ($(date +%s%N) - t0) / 1000000 ))");
        return Long.parseLong(out.strip());
    }

    private static String guest(VmItSupport it, String id, String script) throws Exception {
        // slow: under the emulated accelerator a full build takes minutes, past ApiClient's 120 s
        ApiClient.Response r = it.slow(HttpMethod.POST, "/v1/sandboxes/" + id + "/exec", new JsonObject()
                .put("argv", new JsonArray().add("sh").add("-c").add(script)).put("user", "agent"));
        assertThat(r.last().getInteger("code")).as("%s: %s", script, r).isZero();
        return r.output("stdout");
    }

    /** A small C project: {@value #SOURCES} units with a shared header, a Makefile, and documentation files. */
    static void writeProject(Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        StringBuilder header = new StringBuilder("#ifndef APP_H\n#define APP_H\n#include <stdio.h>\n#include <string.h>\n");
        StringBuilder main = new StringBuilder("#include \"app.h\"\nint main(void) {\n    long sum = 0;\n");
        for (int i = 0; i < SOURCES; i++) {
            header.append("long unit").append(i).append("(long);\n");
            main.append("    sum += unit").append(i).append("(").append(i).append(");\n");
            Files.writeString(src.resolve("unit" + i + ".c"), String.format(Locale.ROOT, """
                    #include "app.h"
                    static long mix%1$d(long x) { return x * 31 + %1$d; }
                    long unit%1$d(long n) {
                        char buf[64];
                        long acc = 0;
                        for (long i = 0; i < n + 100; i++) {
                            snprintf(buf, sizeof buf, "%%ld-%%d", i, %1$d);
                            acc += mix%1$d((long) strlen(buf));
                        }
                        return acc;
                    }
                    """, i));
        }
        header.append("#endif\n");
        main.append("    printf(\"%ld\\n\", sum);\n    return 0;\n}\n");
        Files.writeString(src.resolve("app.h"), header);
        Files.writeString(src.resolve("main.c"), main);
        Files.writeString(dir.resolve("Makefile"), """
                SRCS := $(wildcard src/*.c)
                OBJS := $(SRCS:src/%.c=build/%.o)
                app: $(OBJS)
                \t$(CC) -o $@ $^
                build/%.o: src/%.c src/app.h | build
                \t$(CC) -O2 -Wall -c -o $@ $<
                build:
                \tmkdir -p build
                clean:
                \trm -rf build app
                .PHONY: clean
                """);
        Files.writeString(dir.resolve(".gitignore"), "build/\napp\n");
        for (int d = 0; d < DOC_DIRS; d++) {
            Path docs = Files.createDirectories(dir.resolve("docs").resolve("section" + d));
            for (int f = 0; f < DOCS_PER_DIR; f++) {
                Files.writeString(docs.resolve("page" + f + ".md"), "# Section " + d + ", page " + f + "\n\nSome text.\n");
            }
        }
    }
}
