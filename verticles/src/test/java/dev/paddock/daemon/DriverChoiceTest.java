package dev.paddock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.Accelerator;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DriverChoiceTest {
    @Test
    void anExplicitDriverWins() {
        assertThat(DriverChoice.decide("loopback").driver()).isEqualTo("loopback");
        assertThat(DriverChoice.decide("microvm").driver()).isEqualTo("microvm");
    }

    @Test
    void theProbeDecidesOtherwise() {
        assertThat(DriverChoice.decide(Accelerator.NATIVE, "fast").driver()).isEqualTo("microvm");
        DriverChoice.Decision emulated = DriverChoice.decide(Accelerator.EMULATED, "no /dev/kvm");
        assertThat(emulated.driver()).isEqualTo("loopback");
        assertThat(emulated.reason()).contains("emulated").contains("WITHOUT a VM").contains("helper VM");
        assertThat(DriverChoice.decide(Accelerator.UNAVAILABLE, "nothing").driver()).isEqualTo("loopback");
    }

    @Test
    void flagsAreParsedAndCheckedByTheMain() {
        DaemonConfig c = DaemonMain.parse(new String[] {"--state", "/tmp/s", "--driver", "microvm", "--image", "/i"});
        assertThat(c.driver()).isEqualTo("microvm");
        assertThat(c.sandboxImage()).isEqualTo(Path.of("/i"));
        assertThat(DaemonMain.parse(new String[] {"--state", "/tmp/s"}).sandboxImage())
                .isEqualTo(Path.of("/tmp/s/images/current"));
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--driver", "qemu"}))
                .hasMessageContaining("microvm, loopback");
    }
}
