package dev.paddock.loadtests.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What the daemon process holds: open fds ({@code /proc/PID/fd}), threads ({@code /proc/PID/status}) and heap in use
 * after a full GC ({@code jcmd PID GC.run}, then {@code GC.heap_info}'s "used"), for the leak check.
 */
record DaemonSample(long fds, long threads, long heapUsedKb) {

    static DaemonSample of(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        long fds;
        try (var s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds = s.count();
        }
        long threads = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Threads:")).mapToLong(l -> Long.parseLong(l.substring(8).trim())).findFirst()
                .orElseThrow();
        return new DaemonSample(fds, threads, heapUsedKb(jcmd(pid, "GC.heap_info")));
    }

    /** The "used NNNK" of GC.heap_info's first heap line (G1: " garbage-first heap   total 262144K, used 23135K"). */
    static long heapUsedKb(String heapInfo) {
        for (String line : heapInfo.split("\n")) {
            int used = line.indexOf("used ");
            if (line.contains("heap") && used >= 0) {
                String n = line.substring(used + 5).replaceAll("[^0-9].*$", "");
                return Long.parseLong(n);
            }
        }
        throw new IllegalStateException("no heap \"used\" figure in jcmd GC.heap_info output:\n" + heapInfo);
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " " + command + " failed: " + out);
        }
        return out;
    }

    @Override
    public String toString() {
        return fds + " fds, " + threads + " threads, " + heapUsedKb / 1024 + " MiB heap after GC";
    }
}
