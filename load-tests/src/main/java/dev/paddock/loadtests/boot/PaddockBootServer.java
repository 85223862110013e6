package dev.paddock.loadtests.boot;

import dev.paddock.runtime.vmm.GuestRamPool;
import dev.paddock.runtime.vmm.VmStop;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Paddock's VMM as the daemon runs it, for {@link BootBenchmark}: one long-lived JVM that boots a fresh VM for each
 * request, the way the Paddock daemon starts sandboxes in its own process. It prints {@link #READY} once it listens,
 * then for every stdin line {@code boot <kernel path>} builds and boots one VM exactly as {@link PaddockBootOnce}
 * does (console on stdout, the same {@code PADDOCK-BOOT-TIMING} lines) and ends the run with
 * {@code PADDOCK-BOOT-DONE exit=<0|1>}, also after a boot that threw (its stack trace goes to stderr). End of
 * input ends the server, as does a {@link VirtualMachineError} (after its DONE line).
 *
 * <p>Like the daemon, it takes guest RAM from the process's {@link GuestRamPool}, so every boot after the first of
 * its size finds its RAM already faulted in (each boot prints {@code vm-ram=ready} or {@code fresh}).
 *
 * <p>Options: as {@link PaddockBootOnce}, without {@code --kernel}.
 */
public final class PaddockBootServer {
    static final String READY = "PADDOCK-BOOT-SERVER-READY";
    static final String DONE = "PADDOCK-BOOT-DONE ";
    static final String REQUEST = "boot ";

    private PaddockBootServer() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // As the daemon does: guest RAM for the next boot is faulted in, off the boot path, while this one runs.
        GuestRamPool ramPool = GuestRamPool.shared();
        out.println(READY);
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (!line.startsWith(REQUEST)) {
                out.println(DONE + "exit=1 error=unknown request \"" + line + "\", expected \"boot <kernel>\"");
                out.flush();
                continue;
            }
            Optional<VmStop> stop;
            try {
                stop = PaddockBootOnce.bootAndReport(opt, Path.of(line.substring(REQUEST.length()).strip()), out,
                        new PaddockBootOnce.MarkerWatch(out), ramPool);
            } catch (RuntimeException | Error e) {
                // Said on both streams, and the run still ends with its DONE line, so the benchmark sees why.
                e.printStackTrace();
                out.println("boot failed: " + e);
                out.println(DONE + "exit=1");
                out.flush();
                if (e instanceof VirtualMachineError) {
                    throw e; // out of memory or a broken JVM: this server cannot be trusted with another boot
                }
                continue;
            }
            if (ramPool != null) {
                // The next boot's RAM is made ready now that this VM has ended, and before this run ends, so the
                // fill overlaps no timed run (QEMU's or ours); what it took is printed, not hidden.
                long waitStart = System.nanoTime();
                ramPool.vmBooted();
                boolean ready = ramPool.awaitReady(Long.parseLong(opt.get("memory-mib")) << 20, Duration.ofSeconds(60));
                out.printf(Locale.ROOT, "%sram-pool-refill-wait-ms=%.1f%s%n", ConsoleRun.CHILD_TIMING,
                        (System.nanoTime() - waitStart) / 1e6, ready ? "" : " (not ready)");
            }
            out.println(DONE + "exit=" + (stop.isPresent() && stop.get().reason().isCleanPowerOff() ? 0 : 1));
            out.flush();
        }
    }
}
