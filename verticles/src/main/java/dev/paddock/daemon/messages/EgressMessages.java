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

    /** Asks which of these secret names are not set; the reply is the same record with only the missing names. */
    public record SecretCheck(List<String> names) {
        public SecretCheck {
            names = List.copyOf(names);
        }
    }
}
