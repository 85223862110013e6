package dev.paddock.netpolicy.secret;

import dev.paddock.netpolicy.name.DomainName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable snapshot of the secret store, which the proxy reads on event loops without I/O or locks.
 */
public final class Secrets {
    public static final Secrets NONE = new Secrets(List.of());

    private final Map<String, Secret> byName;

    Secrets(Collection<Secret> secrets) {
        Map<String, Secret> m = new TreeMap<>();
        for (Secret s : secrets) {
            if (m.put(s.name(), s) != null) {
                throw new IllegalArgumentException("secret '" + s.name() + "' is defined twice; names are unique");
            }
        }
        this.byName = Map.copyOf(m);
    }

    /** A snapshot of exactly these secrets (tests, and callers that keep secrets elsewhere). */
    public static Secrets of(Collection<Secret> secrets) {
        return new Secrets(secrets);
    }

    public List<Secret> all() {
        return new TreeMap<>(byName).values().stream().toList();
    }

    /** True when some secret is bound to this host: the proxy intercepts TLS to it. */
    public boolean anyBoundTo(DomainName host) {
        for (Secret s : byName.values()) {
            if (s.boundTo(host)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The headers of one request to {@code host} with secrets applied (see {@link SecretInjection}), and which
     * secrets were used. Secrets not bound to {@code host} are never applied: their placeholders stay as the guest
     * wrote them.
     */
    public Rewritten rewrite(DomainName host, List<HeaderField> headers) {
        List<HeaderField> out = new ArrayList<>(headers);
        List<String> used = new ArrayList<>();
        for (Secret s : all()) {
            if (!s.boundTo(host)) {
                continue;
            }
            String header = s.inject().header();
            boolean present = false;
            boolean replaced = false;
            for (int i = 0; i < out.size(); i++) {
                HeaderField f = out.get(i);
                if (!f.name().toLowerCase(Locale.ROOT).equals(header)) {
                    continue;
                }
                present = true;
                if (f.value().contains(s.placeholder())) {
                    out.set(i, new HeaderField(f.name(), f.value().replace(s.placeholder(), s.value())));
                    replaced = true;
                }
            }
            if (!present && s.inject().format().isPresent()) {
                out.add(new HeaderField(header, s.inject().added(s.value()).orElseThrow()));
                replaced = true;
            }
            if (replaced) {
                used.add(s.name());
            }
        }
        return new Rewritten(List.copyOf(out), List.copyOf(used));
    }

    /** Rewritten headers and the names of the secrets applied (for the audit detail, never the values). */
    public record Rewritten(List<HeaderField> headers, List<String> secretsUsed) { }

    @Override
    public String toString() {
        return "Secrets" + byName.keySet().stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
    }
}
