package dev.paddock.daemon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private static JsonObject entry(String node, String state) {
        return new JsonObject().put("node", node).put("state", state);
    }

    @Test
    void theLeastLoadedMemberWins() {
        Placement.Candidate picked = Placement.pick(List.of(new Placement.Candidate("n-a", "a", 2),
                new Placement.Candidate("n-b", "b", 0), new Placement.Candidate("n-c", "c", 1)));
        assertThat(picked.host()).isEqualTo("b");
    }

    @Test
    void tiesGoToTheSmallerNodeIdWhateverTheOrder() {
        List<Placement.Candidate> tied = List.of(new Placement.Candidate("n-c", "c", 1),
                new Placement.Candidate("n-b", "b", 1), new Placement.Candidate("n-d", "d", 1));
        assertThat(Placement.pick(tied).node()).isEqualTo("n-b");
        assertThat(Placement.pick(List.of(tied.get(2), tied.get(1), tied.get(0))).node()).isEqualTo("n-b");
    }

    @Test
    void noCandidateIsAnErrorThatSaysSo() {
        assertThatThrownBy(() -> Placement.pick(List.of())).hasMessageContaining("no cluster member");
    }

    @Test
    void onlyRunningOrStartingSandboxesCountAsLoad() {
        Map<String, Integer> load = Placement.loads(List.of(entry("a", "ready"), entry("a", "booting"),
                entry("a", "stopped"), entry("b", "creating"), entry("b", "stopping"), entry("c", "failed"),
                entry("c", "lost"), entry("c", "removed")));
        assertThat(load).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2, "b", 2));
    }
}
