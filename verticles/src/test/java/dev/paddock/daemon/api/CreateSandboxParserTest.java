package dev.paddock.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class CreateSandboxParserTest {
    @Test
    void defaults() {
        CreateSandboxParser.Parsed p = CreateSandboxParser.parse(new JsonObject());
        assertThat(p.spec().cpus()).isEqualTo(2);
        assertThat(p.spec().memoryMib()).isEqualTo(2048);
        assertThat(p.spec().diskGib()).isEqualTo(20);
        assertThat(p.spec().image()).isEqualTo("default");
        assertThat(p.spec().name()).isNull();
        assertThat(p.start()).isTrue();
        assertThat(p.policyJson()).isNull();
    }

    @Test
    void rangesAreInclusiveAndNamed() {
        assertThat(CreateSandboxParser.parse(new JsonObject().put("cpus", 32).put("memoryMib", 256).put("diskGib", 1024))
                .spec().cpus()).isEqualTo(32);
        assertThatThrownBy(() -> CreateSandboxParser.parse(new JsonObject().put("memoryMib", 255)))
                .isInstanceOfSatisfying(DaemonException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE);
                    assertThat(e.field()).isEqualTo("memoryMib");
                })
                .hasMessage("memoryMib 255 MiB is out of range; use 256..65536 MiB");
        assertThatThrownBy(() -> CreateSandboxParser.parse(new JsonObject().put("cpus", 1.5)))
                .hasMessageContaining("cpus must be an integer");
    }

    @Test
    void workspacesPortsAndPolicy() {
        CreateSandboxParser.Parsed p = CreateSandboxParser.parse(new JsonObject()
                .put("workspaces", new JsonArray().add(new JsonObject().put("path", "/src").put("mode", "ro")))
                .put("ports", new JsonArray().add(new JsonObject().put("guestPort", 3000)))
                .put("policy", new JsonObject().put("preset", "locked-down")));
        assertThat(p.spec().workspaces().get(0).readOnly()).isTrue();
        assertThat(p.spec().ports().get(0).hostAddress()).isEqualTo("127.0.0.1");
        assertThat(new JsonObject(p.policyJson())).isEqualTo(new JsonObject().put("preset", "locked-down"));
        assertThatThrownBy(() -> CreateSandboxParser.parse(new JsonObject().put("workspaces", new JsonArray()
                .add(new JsonObject().put("path", "/a/../b")))))
                .hasMessageContaining("workspaces[0].path \"/a/../b\" is not a normalized absolute path");
        assertThatThrownBy(() -> CreateSandboxParser.parse(new JsonObject().put("workspaces", new JsonArray()
                .add(new JsonObject().put("path", "/a").put("mode", "rx")))))
                .hasMessageContaining("neither ro nor rw");
    }
}
