package dev.paddock.cli.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the CLI runs guest/image/build.sh before starting a daemon: a fake checkout whose build.sh is a stand-in that
 * records its run (and PADDOCK_STATE), prints step lines the way the real one does, and may fail.
 */
class SandboxImageBuildTest {
    @TempDir
    Path tmp;

    Path checkout;
    Path state;
    Path ran;
    final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    @BeforeEach
    void fakeCheckout() throws Exception {
        checkout = tmp.resolve("checkout");
        state = tmp.resolve("state");
        ran = tmp.resolve("ran");
        SandboxImageCheckTest.fakeCheckout(checkout);
        buildScript("echo \"$PADDOCK_STATE\" >> " + ran + "\n"
                + "echo 'image build: [kernel] linux-image-cloud-amd64 via apt-get download' >&2\n"
                + "echo 'image build: ready in '\"$PADDOCK_STATE\"'/images/current after 1 s' >&2\n"
                + "echo \"vmlinuz=$PADDOCK_STATE/images/current/vmlinuz\"\n");
    }

    /** Replaces the checkout's build.sh (keeping the real one's text first, for the initramfs key) by a fake body. */
    private void buildScript(String body) throws Exception {
        Path script = checkout.resolve("guest/image/build.sh");
        String real = Files.readString(SandboxImageCheckTest.REAL_BUILD_SH);
        // The real text stays, unreachable after the fake's `exit`, so the initramfs key is computed as for the real one.
        Files.writeString(script, "#!/bin/bash\n" + body + "\nexit 0\n" + real);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    }

    private SandboxImageBuild build() {
        return new SandboxImageBuild(Map.of("PADDOCK_HOME", checkout.toString()), state,
                new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    private String progress() {
        return progress.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aMissingImageIsBuiltWithItsProgressOnStderr() throws Exception {
        build().ensureCurrent();
        assertThat(Files.readAllLines(ran)).containsExactly(state.toString());
        assertThat(progress()).startsWith("paddock: building the sandbox image (first run only; several minutes) into "
                        + state.resolve("images/current") + " with guest/image/build.sh …\n")
                .contains("image build: [kernel] linux-image-cloud-amd64 via apt-get download\n",
                        "image build: ready in " + state + "/images/current after 1 s\n")
                .containsPattern("paddock: sandbox image built in \\d+ s\n$");
    }

    @Test
    void aCurrentImageIsNotRebuilt() throws Exception {
        Map<String, String> keys = SandboxImageCheckTest.bashKeys(checkout);
        SandboxImageCheckTest.linkCurrent(state.resolve("images"), checkout, keys.get("rootfs"), keys.get("initramfs"));
        build().ensureCurrent();
        assertThat(ran).doesNotExist();
        assertThat(progress()).isEmpty();
    }

    @Test
    void aStaleImageIsRebuiltSayingWhy() throws Exception {
        Map<String, String> keys = SandboxImageCheckTest.bashKeys(checkout);
        SandboxImageCheckTest.linkCurrent(state.resolve("images"), checkout, keys.get("rootfs"), keys.get("initramfs"));
        Files.writeString(checkout.resolve("guest/image/customize.sh"), "#!/bin/sh\necho changed\n");
        build().ensureCurrent();
        assertThat(Files.readAllLines(ran)).containsExactly(state.toString());
        assertThat(progress()).startsWith("paddock: the sandbox image in " + state.resolve("images/current")
                + " is out of date (its root image has key " + keys.get("rootfs"));
    }

    @Test
    void aFailedBuildNamesTheScriptItsStatusAndItsError() throws Exception {
        buildScript("echo 'image build: [rootfs] Debian bookworm' >&2\n"
                + "echo 'image build: error: mmdebstrap is missing. Install it with: apt-get install mmdebstrap' >&2\n"
                + "echo 'some trailing noise' >&2\n"
                + "exit 7\n");
        assertThatThrownBy(() -> build().ensureCurrent())
                .isInstanceOf(CliException.class)
                .hasMessageContaining("building the sandbox image failed: " + checkout.resolve("guest/image/build.sh")
                        + " exited with status 7: image build: error: mmdebstrap is missing")
                .hasMessageContaining("PADDOCK_STATE=" + state + " guest/image/build.sh")
                .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(ExitCodes.FAILED));
        assertThat(progress()).contains("image build: [rootfs] Debian bookworm\n", "some trailing noise\n");
    }

    @Test
    void withoutACheckoutAMissingImageSaysThatPaddockHomeIsNeeded() {
        SandboxImageBuild noHome = new SandboxImageBuild(Map.of(), state, new PrintStream(progress, true, StandardCharsets.UTF_8));
        assertThatThrownBy(noHome::ensureCurrent).isInstanceOf(CliException.class)
                .hasMessageContaining("PADDOCK_HOME is not set, so the sandbox image cannot be built");
    }

    @Test
    void onlyALocalDaemonOnTheMicrovmDriverWithTheDefaultImageNeedsIt() {
        assertThat(SandboxImageBuild.localDaemonBootsIt(List.of(), () -> true)).isTrue();
        assertThat(SandboxImageBuild.localDaemonBootsIt(List.of(), () -> false)).isFalse();
        assertThat(SandboxImageBuild.localDaemonBootsIt(List.of("--driver", "microvm"), () -> false)).isTrue();
        assertThat(SandboxImageBuild.localDaemonBootsIt(List.of("--driver", "loopback"), () -> true)).isFalse();
        assertThat(SandboxImageBuild.localDaemonBootsIt(List.of("--driver", "microvm", "--image", "/img"), () -> true)).isFalse();
    }
}
