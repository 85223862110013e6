package dev.paddock.daemon.messages;

import dev.paddock.netpolicy.secret.SecretInfo;
import java.util.List;
import java.util.Objects;

/**
 * The requests the egress verticle answers (policy and secrets), and its replies (docs/event-bus.md). Setting a
 * secret sends netpolicy's {@code Secret} itself, which has a local-only codec: secret values never travel on a
 * wire.
 */
public final class EgressMessages {
    private EgressMessages() { }

    /** Asks for a policy layer: a sandbox's ({@code sandboxId}) or, with null, the global one. */
    public record PolicyQuery(String sandboxId) {
    }

    /** Sets a layer (all or nothing; POLICY_INVALID lists every problem). {@code sandboxId} null: global. */
    public record PolicyUpdate(String sandboxId, String documentJson) {
        public PolicyUpdate {
            Objects.requireNonNull(documentJson, "documentJson");
        }
    }

    /** Forgets a removed sandbox's layer. */
    public record PolicyRemove(String sandboxId) {
        public PolicyRemove {
            Objects.requireNonNull(sandboxId, "sandboxId");
        }
    }

    /** A layer as last set, and the registry version in force. */
    public record PolicyView(String scope, long version, String documentJson) {
    }

    public record SecretRef(String name) {
        public SecretRef {
            Objects.requireNonNull(name, "name");
        }
    }

    /** Asks for every secret (without values). */
    public record ListSecrets() {
    }

    /** Every secret, without values (netpolicy's SecretInfo). */
    public record SecretList(List<SecretInfo> secrets) {
        public SecretList {
            secrets = List.copyOf(secrets);
        }
    }

    /**
     * Starts a booted sandbox's egress filters: the vsock bridge on its muxer's guest ports, its CA, its DNS
     * filter; then the CA certificate in the guest's trust store through its agent. Local only: it holds live
     * objects. Replies with the same sandbox id once done.
     */
    public record EgressAttach(String sandboxId, java.nio.file.Path directory, List<String> secrets,
                               dev.paddock.vsock.mux.VsockMuxer muxer, dev.paddock.vsock.agent.AgentClient agent) {
        public EgressAttach {
            java.util.Objects.requireNonNull(sandboxId, "sandboxId");
            java.util.Objects.requireNonNull(muxer, "muxer");
            java.util.Objects.requireNonNull(agent, "agent");
            secrets = List.copyOf(secrets);
        }
    }

    /** Ends a sandbox's egress filters. */
    public record EgressDetach(String sandboxId) {
        public EgressDetach {
            java.util.Objects.requireNonNull(sandboxId, "sandboxId");
        }
    }

    /** Asks which of these secret names are not set; the reply is the same record with only the missing names. */
    public record SecretCheck(List<String> names) {
        public SecretCheck {
            names = List.copyOf(names);
        }
    }

    /** Asks for a sandbox's most recent egress decisions, newest last, at most {@code limit}. */
    public record RecentQuery(String sandboxId, int limit) {
        public RecentQuery {
            Objects.requireNonNull(sandboxId, "sandboxId");
        }
    }

    /** A sandbox's recent egress decisions, oldest first. */
    public record RecentDecisions(List<dev.paddock.netpolicy.audit.AuditEvent> decisions) {
        public RecentDecisions {
            decisions = List.copyOf(decisions);
        }
    }
}
