package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.Hypervisor;
import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.HypervisorFeature;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class KvmHypervisorTest {

    @Test
    void kvmIsDiscoveredThroughServiceLoader() {
        try (Hypervisor h = Hypervisor.load("kvm")) {
            assertThat(h).isInstanceOf(KvmHypervisor.class);
            assertThat(h.name()).isEqualTo("kvm");
        }
    }

    @Test
    void anUnknownBackendIsAClearError() {
        assertThatThrownBy(() -> Hypervisor.load("hvf")).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("no hypervisor backend named 'hvf'");
    }

    @Test
    void withoutDevKvmTheFirstCallExplainsWhy() {
        try (Hypervisor h = Hypervisor.load("kvm")) {
            if (Files.exists(Kvm.DEVICE)) {
                assertThat(h.supports(HypervisorFeature.IRQFD)).isTrue();
            } else {
                assertThatThrownBy(() -> h.supports(HypervisorFeature.IRQFD))
                        .hasMessageContaining("/dev/kvm does not exist");
            }
        }
    }
}
