package dev.paddock.daemon.messages;

import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.daemon.sandbox.SandboxSpec;
import dev.paddock.vsock.agent.AgentClient;
import java.util.List;
import java.util.Objects;

/** The requests the lifecycle verticle answers, and its replies (docs/event-bus.md). */
public final class LifecycleRequests {
    private LifecycleRequests() { }

    /**
     * Creates a sandbox. {@code policyJson} is its egress layer (already validated), or null for none.
     * {@code await}: reply once the boot finished instead of once it began.
     */
    public record Create(SandboxSpec spec, String policyJson, boolean start, boolean await) {
        public Create {
            Objects.requireNonNull(spec, "spec");
        }
    }

    /** Names one sandbox, by id or name: for get and for the agent lookup. */
    public record Ref(String ref) {
        public Ref {
            Objects.requireNonNull(ref, "ref");
        }
    }

    public record Start(String ref, boolean await) {
        public Start {
            Objects.requireNonNull(ref, "ref");
        }
    }

    public record Stop(String ref, boolean await, int timeoutSeconds) {
        public Stop {
            Objects.requireNonNull(ref, "ref");
        }
    }

    public record Remove(String ref, boolean force) {
        public Remove {
            Objects.requireNonNull(ref, "ref");
        }
    }

    /** Asks for every sandbox. */
    public record ListAll() {
    }

    public record SandboxList(List<SandboxRecord> sandboxes) {
        public SandboxList {
            sandboxes = List.copyOf(sandboxes);
        }
    }

    /** A ready sandbox and its live agent connection: local to the daemon's JVM (LocalOnlyCodec). */
    public record AgentHandle(SandboxRecord sandbox, AgentClient agent) {
        public AgentHandle {
            Objects.requireNonNull(sandbox, "sandbox");
            Objects.requireNonNull(agent, "agent");
        }
    }
}
