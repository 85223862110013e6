package dev.paddock.netpolicy.ca;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Server TLS contexts for intercepted names, minted from a {@link SandboxCa} on first use and cached
 * (least recently used out first). {@link #cached} never blocks; {@link #mint} signs a certificate, so the proxy
 * calls it off the event loop.
 */
public final class LeafCache {
    /** Leaves are short-lived: a leaked leaf key (it never leaves the host either) is useful for days at most. */
    static final Duration LEAF_VALIDITY = Duration.ofDays(7);
    // GUEST-CONTROLLED: the guest chooses how many distinct names it connects to; each costs a key and a context.
    private static final int MAX_ENTRIES = 1024;

    private final SandboxCa ca;
    private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

    public LeafCache(SandboxCa ca) {
        this.ca = ca;
    }

    private record Entry(SslContext context, Instant refreshAfter) { }

    /** The cached server context for {@code dnsName} (canonical), if it is still fresh. */
    public synchronized Optional<SslContext> cached(String dnsName) {
        Entry e = entries.get(dnsName);
        return e == null || Instant.now().isAfter(e.refreshAfter) ? Optional.empty() : Optional.of(e.context);
    }

    /** Mints (or returns the cached) server context for {@code dnsName}. CPU work: call it off the event loop. */
    public SslContext mint(String dnsName) {
        Optional<SslContext> hit = cached(dnsName);
        if (hit.isPresent()) {
            return hit.get();
        }
        KeyPair keys = CertificateMinter.newKeyPair();
        Instant now = Instant.now();
        X509Certificate leaf = CertificateMinter.serverLeaf(dnsName, keys, ca.certificate(), ca.key(),
                now.minus(Duration.ofHours(1)), now.plus(LEAF_VALIDITY));
        SslContext ctx;
        try {
            ctx = SslContextBuilder.forServer(keys.getPrivate(), leaf, ca.certificate()).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build a TLS server context for intercepted name " + dnsName, e);
        }
        synchronized (this) {
            entries.put(dnsName, new Entry(ctx, now.plus(LEAF_VALIDITY.dividedBy(2))));
            while (entries.size() > MAX_ENTRIES) {
                entries.remove(entries.keySet().iterator().next());
            }
        }
        return ctx;
    }

    public synchronized int size() {
        return entries.size();
    }
}
