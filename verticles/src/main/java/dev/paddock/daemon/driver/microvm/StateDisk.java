package dev.paddock.daemon.driver.microvm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A sandbox's own disk, {@code <sandbox dir>/state.ext4}: a sparse ext4 file that the guest sees as
 * {@code /dev/vdb} and the agent uses for the root overlay's upper layer and {@code /var/lib/docker}. It is created
 * once, at the first boot, and kept across stops, daemon restarts and {@code kill -9} until the sandbox is
 * deleted (its directory goes with it).
 *
 * <p>Made the way guest/image/new-state-disk.sh makes one (the same mkfs.ext4 options: label paddock-state, no
 * reserved blocks, lazy inode-table and journal initialisation, no discard), so creating it writes a few MiB
 * whatever its size. The file is formatted under a temporary name and renamed, so a crash mid-way never leaves a
 * half-made disk where the next boot would take it for a good one. All methods block.
 */
final class StateDisk {
    static final String FILE = "state.ext4";
    private static final long GIB = 1L << 30;
    private static final long MKFS_TIMEOUT_S = 120;

    private StateDisk() { }

    /** The disk of the sandbox in {@code directory}, created with {@code sizeGib} if there is none yet. */
    static Created ensure(Path directory, int sizeGib) throws IOException, InterruptedException {
        Path disk = directory.resolve(FILE);
        if (Files.isRegularFile(disk)) {
            return new Created(disk, false);
        }
        Files.createDirectories(directory);
        Path tmp = directory.resolve(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
            f.setLength(sizeGib * GIB); // sparse: no block is written
        }
        List<String> command = List.of(mkfs(), "-q", "-F", "-L", "paddock-state", "-m", "0",
                "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=0:0", tmp.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String output;
        try (var in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        if (!p.waitFor(MKFS_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            Files.deleteIfExists(tmp);
            throw new IOException("mkfs.ext4 did not format " + tmp + " within " + MKFS_TIMEOUT_S + " s");
        }
        if (p.exitValue() != 0) {
            Files.deleteIfExists(tmp);
            throw new IOException("mkfs.ext4 could not format the state disk " + tmp + " (" + sizeGib + " GiB): exit "
                    + p.exitValue() + ": " + output);
        }
        Files.move(tmp, disk, StandardCopyOption.ATOMIC_MOVE);
        return new Created(disk, true);
    }

    private static String mkfs() throws IOException {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, "mkfs.ext4");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IOException("mkfs.ext4 is missing, so no state disk can be made for a microVM sandbox; install it"
                + " with: apt-get install e2fsprogs");
    }

    /** The disk and whether this call made it. */
    record Created(Path path, boolean fresh) { }
}
