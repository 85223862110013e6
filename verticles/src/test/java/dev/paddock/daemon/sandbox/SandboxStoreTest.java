package dev.paddock.daemon.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxStoreTest {
    @TempDir
    Path root;

    @Test
    void savesLoadsAndDeletes() throws IOException {
        SandboxStore store = new SandboxStore(root);
        SandboxSpec spec = new SandboxSpec("web", "default", "claude", 4, 4096, 40,
                List.of(new Workspace("/src", true)), Map.of("A", "b"), List.of("gh"),
                List.of(new PortRequest(80, 8080, "127.0.0.1")), Map.of("agent", "claude"));
        SandboxRecord a = new SandboxRecord("sb-00000000000a", spec, SandboxState.READY, "r", "loopback",
                "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z", 123);
        SandboxRecord b = SandboxStateTest.record(SandboxState.STOPPED);
        store.save(a);
        store.save(b);
        store.save(a.transition(SandboxState.STOPPING, "x", "2026-01-01T00:00:03Z"));
        assertThat(root.resolve("sb-00000000000a/sandbox.json.tmp")).doesNotExist();
        List<SandboxRecord> all = store.loadAll();
        assertThat(all).hasSize(2);
        assertThat(all.get(1).spec()).isEqualTo(spec);
        assertThat(all.get(1).state()).isEqualTo(SandboxState.STOPPING);
        assertThat(all.get(1).lastBootMillis()).isEqualTo(123);
        Files.writeString(root.resolve("sb-00000000000a/work-file"), "x");
        store.delete("sb-00000000000a");
        assertThat(root.resolve("sb-00000000000a")).doesNotExist();
        assertThat(store.loadAll()).containsExactly(b);
    }

    @Test
    void aBrokenRecordIsReportedNotSkipped() throws IOException {
        Files.createDirectories(root.resolve("sb-00000000000b"));
        Files.writeString(root.resolve("sb-00000000000b/sandbox.json"), "{ half");
        assertThatThrownBy(() -> new SandboxStore(root).loadAll()).isInstanceOf(IOException.class)
                .hasMessageContaining("sb-00000000000b/sandbox.json").hasMessageContaining("fix or remove");
    }

    @Test
    void idsAreCheckedBeforeTheyBecomePaths() {
        assertThatThrownBy(() -> new SandboxStore(root).directory("../etc")).isInstanceOf(IllegalArgumentException.class);
    }
}
