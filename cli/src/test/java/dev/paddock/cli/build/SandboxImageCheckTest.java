package dev.paddock.cli.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image check against guest/image/build.sh's own cache keys: a fake checkout (the real build.sh, small stand-ins
 * for its other inputs) whose keys bash computes with build.sh's own lines, and an {@code images/current} linked
 * the way build.sh links it.
 */
class SandboxImageCheckTest {
    static final Path REAL_BUILD_SH = Path.of("..", "guest", "image", "build.sh").toAbsolutePath().normalize();
    static final String KERNEL = "6.1.0-99-cloud-amd64";

    @TempDir
    Path tmp;

    Path checkout;
    Path images;
    Path current;

    @BeforeEach
    void fakeCheckout() throws IOException {
        checkout = tmp.resolve("checkout");
        images = tmp.resolve("state/images");
        current = images.resolve("current");
        fakeCheckout(checkout);
    }

    /** The inputs build.sh's keys hash, in a checkout of their own. */
    static void fakeCheckout(Path checkout) throws IOException {
        Path image = Files.createDirectories(checkout.resolve("guest/image"));
        Files.copy(REAL_BUILD_SH, image.resolve("build.sh"));
        Files.writeString(image.resolve("rootfs.sh"), "#!/bin/sh\necho rootfs\n");
        Files.writeString(image.resolve("packages"), "bash\ncoreutils\n");
        Files.writeString(image.resolve("customize.sh"), "#!/bin/sh\n");
        Files.writeString(image.resolve("paddock-runc"), "#!/bin/sh\nexec runc \"$@\"\n");
        Files.writeString(image.resolve("cmdline"), "console=hvc0 paddock.root=/dev/vda paddock.state=/dev/vdb\n");
        Files.writeString(image.resolve("modules"), "# comment\nvirtio_blk  \n\n ext4 # the root\n");
        Files.writeString(Files.createDirectories(checkout.resolve("guest/kernel")).resolve("modules.sh"), "#!/bin/sh\n");
        Files.writeString(Files.createDirectories(checkout.resolve("guest/agent/target")).resolve("paddock-agent"), "agent v1");
    }

    /** The keys build.sh computes for this checkout: its own lines, run by bash. */
    static Map<String, String> bashKeys(Path checkout) throws Exception {
        String build = Files.readString(REAL_BUILD_SH);
        String script = String.join("\n",
                "set -euo pipefail",
                "here=" + checkout.resolve("guest/image"),
                "guest=" + checkout.resolve("guest"),
                "kernel_version=" + KERNEL,
                "agent_bin=" + checkout.resolve("guest/agent/target/paddock-agent"),
                line(build, "^hash_of\\(\\) .*$"),
                line(build, "^sources_text\\(\\) .*$"),
                line(build, "^mapfile -t wanted .*$"),
                line(build, "^modules_key=.*$"),
                line(build, "^rootfs_key=.*$"),
                line(build, "^initramfs_key=.*$"),
                "echo \"$rootfs_key $modules_key $initramfs_key\"");
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        String[] keys = out.split(" ");
        return Map.of("rootfs", keys[0], "modules", keys[1], "initramfs", keys[2]);
    }

    private static String line(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        assertThat(m.find()).as("guest/image/build.sh has no line matching %s: its cache keys changed, and"
                + " SandboxImageCheck must follow", regex).isTrue();
        return m.group();
    }

    /** images/current as build.sh leaves it, with these keys. */
    static void linkCurrent(Path images, Path checkout, String rootfsKey, String initramfsKey) throws IOException {
        Path current = Files.createDirectories(images.resolve("current"));
        Path kernel = Files.createDirectories(images.resolveSibling("kernel/" + KERNEL + "/root/boot"));
        Files.writeString(kernel.resolve("vmlinuz-" + KERNEL), "kernel");
        Files.writeString(images.resolve("rootfs-" + rootfsKey + ".ext4"), "rootfs");
        Files.writeString(images.resolve("initramfs-" + initramfsKey + ".cpio.gz"), "initramfs");
        for (String[] l : List.of(new String[] {"vmlinuz", kernel.resolve("vmlinuz-" + KERNEL).toString()},
                new String[] {"rootfs.ext4", images.resolve("rootfs-" + rootfsKey + ".ext4").toString()},
                new String[] {"initramfs.cpio.gz", images.resolve("initramfs-" + initramfsKey + ".cpio.gz").toString()})) {
            Files.deleteIfExists(current.resolve(l[0]));
            Files.createSymbolicLink(current.resolve(l[0]), Path.of(l[1]));
        }
        Files.copy(checkout.resolve("guest/image/cmdline"), current.resolve("cmdline"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private SandboxImageCheck.Verdict check() throws IOException {
        return new SandboxImageCheck(checkout, current).check();
    }

    @Test
    void theKeysAreBuildShsOwn() throws Exception {
        Map<String, String> bash = bashKeys(checkout);
        SandboxImageCheck check = new SandboxImageCheck(checkout, current);
        assertThat(check.rootfsKey()).isEqualTo(bash.get("rootfs"));
        assertThat(check.modulesKey(KERNEL)).isEqualTo(bash.get("modules"));
        assertThat(check.initramfsKey(bash.get("modules"), checkout.resolve("guest/agent/target/paddock-agent")))
                .isEqualTo(bash.get("initramfs"));
    }

    @Test
    void noImageIsMissing() throws Exception {
        assertThat(check()).isInstanceOf(SandboxImageCheck.Verdict.Missing.class);
        Files.createDirectories(current);
        Files.writeString(current.resolve("cmdline"), "x");
        assertThat(check()).isEqualTo(new SandboxImageCheck.Verdict.Missing(current.resolve("vmlinuz").toString()));
    }

    @Test
    void aLinkToAFileThatIsGoneIsMissing() throws Exception {
        Map<String, String> keys = bashKeys(checkout);
        linkCurrent(images, checkout, keys.get("rootfs"), keys.get("initramfs"));
        Files.delete(images.resolve("rootfs-" + keys.get("rootfs") + ".ext4"));
        assertThat(check()).isEqualTo(new SandboxImageCheck.Verdict.Missing(current.resolve("rootfs.ext4")
                + " (a link to a file that is gone)"));
    }

    @Test
    void anImageBuiltFromTheseInputsIsCurrent() throws Exception {
        Map<String, String> keys = bashKeys(checkout);
        linkCurrent(images, checkout, keys.get("rootfs"), keys.get("initramfs"));
        assertThat(check()).isEqualTo(new SandboxImageCheck.Verdict.Current());
    }

    @Test
    void aChangedPackageListMakesTheRootImageStale() throws Exception {
        Map<String, String> keys = bashKeys(checkout);
        linkCurrent(images, checkout, keys.get("rootfs"), keys.get("initramfs"));
        Files.writeString(checkout.resolve("guest/image/packages"), "bash\ncoreutils\ngit\n");
        assertThat(check()).isInstanceOf(SandboxImageCheck.Verdict.Stale.class).asString()
                .contains("root image has key " + keys.get("rootfs"), "now give " + bashKeys(checkout).get("rootfs"));
    }

    @Test
    void aChangedContainerRuntimeWrapperMakesTheRootImageStale() throws Exception {
        Map<String, String> keys = bashKeys(checkout);
        linkCurrent(images, checkout, keys.get("rootfs"), keys.get("initramfs"));
        Files.writeString(checkout.resolve("guest/image/paddock-runc"), "#!/bin/sh\necho changed\n");
        assertThat(check()).isInstanceOf(SandboxImageCheck.Verdict.Stale.class).asString()
                .contains("paddock-runc", "now give " + bashKeys(checkout).get("rootfs"));
    }

    @Test
    void aRebuiltAgentMakesTheInitramfsStale() throws Exception {
        Map<String, String> keys = bashKeys(checkout);
        linkCurrent(images, checkout, keys.get("rootfs"), keys.get("initramfs"));
        Files.writeString(checkout.resolve("guest/agent/target/paddock-agent"), "agent v2");
        assertThat(check()).isInstanceOf(SandboxImageCheck.Verdict.Stale.class).asString()
                .contains("initramfs has key " + keys.get("initramfs"), "now give " + bashKeys(checkout).get("initramfs"));
    }

    @Test
    void anAgentThatIsNotBuiltIsStale() throws Exception {
        Map<String, String> keys = bashKeys(checkout);
        linkCurrent(images, checkout, keys.get("rootfs"), keys.get("initramfs"));
        Files.delete(checkout.resolve("guest/agent/target/paddock-agent"));
        assertThat(check()).isInstanceOf(SandboxImageCheck.Verdict.Stale.class).asString().contains("is not built");
    }

    @Test
    void aChangedCmdlineIsStale() throws Exception {
        Map<String, String> keys = bashKeys(checkout);
        linkCurrent(images, checkout, keys.get("rootfs"), keys.get("initramfs"));
        Files.writeString(checkout.resolve("guest/image/cmdline"), "console=ttyS0 paddock.root=/dev/vda paddock.state=/dev/vdb\n");
        assertThat(check()).isEqualTo(new SandboxImageCheck.Verdict.Stale("its cmdline differs from guest/image/cmdline"));
    }
}
