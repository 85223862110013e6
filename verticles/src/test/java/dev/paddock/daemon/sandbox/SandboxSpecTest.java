package dev.paddock.daemon.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxSpecTest {
    private static SandboxSpec spec(PortRequest... ports) {
        return new SandboxSpec("s", "default", null, 2, 2048, 20, List.of(), Map.of(), List.of(), List.of(ports),
                Map.of());
    }

    @Test
    void aPortAddedReplacesTheRequestForTheSameGuestPortAndGoesLast() {
        PortRequest web = new PortRequest(8080, 0, "127.0.0.1");
        PortRequest ssh = new PortRequest(22, 2222, "127.0.0.1");
        PortRequest webAgain = new PortRequest(8080, 18080, "127.0.0.1");
        assertThat(spec(web, ssh).withPort(webAgain).ports()).containsExactly(ssh, webAgain);
        assertThat(spec(ssh).withPort(web).ports()).containsExactly(ssh, web);
    }

    @Test
    void aPortRemovedDropsEveryRequestForItsGuestPortAndNothingElse() {
        PortRequest web = new PortRequest(8080, 0, "127.0.0.1");
        PortRequest ssh = new PortRequest(22, 2222, "127.0.0.1");
        SandboxSpec s = spec(web, ssh);
        assertThat(s.withoutPort(8080).ports()).containsExactly(ssh);
        assertThat(s.withoutPort(9999).ports()).containsExactly(web, ssh);
        assertThat(s.withoutPort(8080).name()).isEqualTo("s");
    }
}
