package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class HostShellTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void moreStderrThanAPipeHoldsDoesNotBlockTheCommand() throws Exception {
        // 256 KiB on stderr before anything on stdout: with stdout read to its end first, this would never end.
        String out = HostShell.run(dir, "head -c 262144 /dev/zero | tr '\\\\0' x >&2; echo done");
        assertThat(out).isEqualTo("done\n");
    }

    @Test
    void aFailureNamesTheStatusAndBothStreams() {
        assertThatThrownBy(() -> HostShell.run(dir, "echo to-out; echo to-err >&2; exit 3"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("exit 3").hasMessageContaining("stdout: to-out").hasMessageContaining("stderr: to-err");
    }
}
