package dev.paddock.daemon.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

public class SandboxStateTest {
    public static SandboxRecord record(SandboxState state) {
        SandboxSpec spec = new SandboxSpec("n", "default", null, 2, 2048, 20, List.of(), Map.of(), List.of(),
                List.of(), Map.of());
        return new SandboxRecord("sb-0123456789ab", spec, state, null, "loopback", "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z", -1);
    }

    @Test
    void theTransitionTable() {
        assertThat(SandboxState.CREATING.next()).containsExactlyInAnyOrder(SandboxState.BOOTING, SandboxState.STOPPED,
                SandboxState.FAILED);
        assertThat(SandboxState.BOOTING.next()).containsExactlyInAnyOrder(SandboxState.READY, SandboxState.STOPPING,
                SandboxState.FAILED);
        assertThat(SandboxState.READY.next()).containsExactlyInAnyOrder(SandboxState.STOPPING, SandboxState.FAILED);
        assertThat(SandboxState.STOPPING.next()).containsExactlyInAnyOrder(SandboxState.STOPPED, SandboxState.FAILED);
        assertThat(SandboxState.STOPPED.next()).containsExactlyInAnyOrder(SandboxState.BOOTING, SandboxState.REMOVED);
        assertThat(SandboxState.FAILED.next()).containsExactlyInAnyOrder(SandboxState.BOOTING, SandboxState.REMOVED);
        assertThat(SandboxState.REMOVED.next()).isEmpty();
        assertThat(Set.of(SandboxState.values()).stream().filter(SandboxState::isLive))
                .containsExactlyInAnyOrder(SandboxState.BOOTING, SandboxState.READY, SandboxState.STOPPING);
    }

    @Test
    void anIllegalTransitionIsRefusedNamingBothStatesAndTheWayOut() {
        SandboxRecord ready = record(SandboxState.READY);
        assertThatThrownBy(() -> ready.transition(SandboxState.REMOVED, null, "t"))
                .isInstanceOfSatisfying(DaemonException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE))
                .hasMessageContaining("is ready and cannot become removed")
                .hasMessageContaining("stopping");
        assertThatThrownBy(() -> record(SandboxState.REMOVED).transition(SandboxState.BOOTING, null, "t"))
                .hasMessageContaining("it can become nothing");
        assertThat(ready.transition(SandboxState.STOPPING, "why", "t2").state()).isEqualTo(SandboxState.STOPPING);
    }

    @Test
    void afterARestartEveryRecordIsStopped() {
        for (SandboxState s : SandboxState.values()) {
            if (s == SandboxState.REMOVED) {
                continue;
            }
            SandboxRecord r = record(s).asRecovered("t");
            assertThat(r.state()).isEqualTo(SandboxState.STOPPED);
            if (s != SandboxState.STOPPED) {
                assertThat(r.stateReason()).contains("daemon restarted while it was " + s.json());
            }
        }
    }
}
