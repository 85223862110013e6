package dev.paddock.runtime.boot;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's linux-image-cloud-amd64 for tests: resolved with apt-cache, fetched with apt-get download into
 * runtime/target/debian-cloud-kernel/ once, unpacked with dpkg-deb and reused. The ELF vmlinux comes out of the
 * bzImage through guest/kernel/extract-vmlinux.sh (the image build's own script). Anything missing is a test
 * failure with the reason and the fix, never a skip.
 */
final class DebianCloudKernel {
    private static final String METAPACKAGE = "linux-image-cloud-amd64";
    private static final Path CACHE = Path.of("target", "debian-cloud-kernel").toAbsolutePath();
    private static final Path EXTRACT_VMLINUX = Path.of("..", "guest", "kernel", "extract-vmlinux.sh")
            .toAbsolutePath().normalize();

    final Path bzImage;
    private final Path dir;

    private DebianCloudKernel(Path dir, Path bzImage) {
        this.dir = dir;
        this.bzImage = bzImage;
    }

    static synchronized DebianCloudKernel fetch() throws IOException, InterruptedException {
        String depends = run(CACHE.getParent(), "apt-cache", "depends", METAPACKAGE);
        Matcher m = Pattern.compile("Depends: (linux-image-[0-9]\\S*-cloud-amd64)").matcher(depends);
        if (!m.find()) {
            fail("apt cannot resolve " + METAPACKAGE + " to a kernel package (apt-cache depends said:\n" + depends
                    + ")\nRun 'apt-get update' (as root) so apt knows Debian's kernel packages, then rerun.");
        }
        String pkg = m.group(1);
        Path dir = CACHE.resolve(pkg);
        Path root = dir.resolve("root");
        if (!Files.exists(dir.resolve(".extracted"))) {
            Files.createDirectories(dir);
            run(dir, "apt-get", "download", pkg);
            Path deb;
            try (Stream<Path> s = Files.list(dir)) {
                deb = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst().orElseThrow(
                        () -> new AssertionError("apt-get download " + pkg + " left no .deb in " + dir));
            }
            run(dir, "dpkg-deb", "-x", deb.toString(), root.toString());
            Files.delete(deb);
            Files.createFile(dir.resolve(".extracted"));
        }
        Path bzImage = root.resolve("boot").resolve("vmlinuz-" + pkg.substring("linux-image-".length()));
        if (!Files.isRegularFile(bzImage)) {
            fail("the kernel package " + pkg + " has no " + bzImage + "; delete " + dir + " and rerun");
        }
        return new DebianCloudKernel(dir, bzImage);
    }

    /** The ELF vmlinux inside the bzImage, extracted once (needs lz4). */
    synchronized Path vmlinux() throws IOException, InterruptedException {
        Path vmlinux = dir.resolve("vmlinux");
        if (!Files.exists(vmlinux)) {
            if (run(dir, "sh", "-c", "command -v lz4 || echo MISSING").contains("MISSING")) {
                fail("'lz4' is missing, so the vmlinux cannot be extracted from the bzImage for the PVH checks. "
                        + "Install it with: apt-get install lz4");
            }
            run(dir, EXTRACT_VMLINUX.toString(), bzImage.toString(), vmlinux.toString());
        }
        return vmlinux;
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 5 minutes");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail("'%s' in %s failed with exit status %d; Debian's cloud kernel is needed for this test. Output:%n%s%n"
                    .formatted(String.join(" ", command), dir, p.exitValue(), text)
                    + "Check apt's sources and network (apt-get update), then rerun.");
        }
        return text;
    }
}
