package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.ca.LeafCache;
import dev.paddock.netpolicy.secret.Secrets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Per sandbox, what TLS interception needs: the leaf cache of its CA and its secrets. A sandbox without an
 * entry is never intercepted: TLS to it is decided by SNI and spliced, and rules that need the request line
 * deny (they cannot be checked).
 */
public final class SandboxInterception {
    /** One sandbox's CA leaves and its live secrets (read per request, so secret updates apply at once). */
    public record Material(LeafCache leaves, Supplier<Secrets> secrets) { }

    private final Map<String, Material> bySandbox = new ConcurrentHashMap<>();

    public void register(String sandboxId, LeafCache leaves, Supplier<Secrets> secrets) {
        bySandbox.put(sandboxId, new Material(leaves, secrets));
    }

    public void remove(String sandboxId) {
        bySandbox.remove(sandboxId);
    }

    public Optional<Material> get(String sandboxId) {
        return Optional.ofNullable(bySandbox.get(sandboxId));
    }
}
