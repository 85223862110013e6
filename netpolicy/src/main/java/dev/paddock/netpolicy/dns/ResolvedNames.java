package dev.paddock.netpolicy.dns;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.name.DomainName;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each sandbox's DNS answers said: which names it resolved to which addresses, until when. The DNS filter
 * writes it; the proxy reads it to tie a connection to the name it came from
 * ({@link dev.paddock.netpolicy.decision.EgressRequest#resolvedNames()}).
 *
 * <p>TTLs are clamped: below {@code minTtl} a connection made right after the lookup would already find the
 * answer gone; above {@code maxTtl} a stale answer would outlive the address's owner.
 */
public final class ResolvedNames {
    private final InstantSource clock;
    private final Duration minTtl;
    private final Duration maxTtl;
    // GUEST-CONTROLLED: the guest chooses how many distinct names it asks for; each sandbox keeps at most this
    // many (name, address) entries, evicting the expired and then the soonest-to-expire.
    private final int maxEntriesPerSandbox;
    private final Map<String, SandboxAnswers> sandboxes = new ConcurrentHashMap<>();

    public ResolvedNames(InstantSource clock, Duration minTtl, Duration maxTtl, int maxEntriesPerSandbox) {
        if (minTtl.isNegative() || maxTtl.compareTo(minTtl) < 0) {
            throw new IllegalArgumentException("TTL bounds must satisfy 0 <= min <= max, got min " + minTtl
                    + " max " + maxTtl);
        }
        if (maxEntriesPerSandbox < 1) {
            throw new IllegalArgumentException("maxEntriesPerSandbox must be at least 1, got " + maxEntriesPerSandbox);
        }
        this.clock = clock;
        this.minTtl = minTtl;
        this.maxTtl = maxTtl;
        this.maxEntriesPerSandbox = maxEntriesPerSandbox;
    }

    /** Defaults: TTLs clamped to 30 s .. 1 h, 10 000 entries per sandbox. */
    public static ResolvedNames withDefaults(InstantSource clock) {
        return new ResolvedNames(clock, Duration.ofSeconds(30), Duration.ofHours(1), 10_000);
    }

    /** Records that {@code name} resolved to {@code address} for this sandbox, for {@code ttlSeconds}. */
    public void remember(String sandboxId, String name, InetAddress address, long ttlSeconds) {
        String canonical = DomainName.parse(name).map(DomainName::value)
                .orElseThrow(() -> new IllegalArgumentException("cannot remember '" + name + "': "
                        + DomainName.problem(DomainName.canonicalize(name))));
        Duration ttl = Duration.ofSeconds(Math.max(0, ttlSeconds));
        if (ttl.compareTo(minTtl) < 0) {
            ttl = minTtl;
        } else if (ttl.compareTo(maxTtl) > 0) {
            ttl = maxTtl;
        }
        Instant expiry = clock.instant().plus(ttl);
        sandboxes.computeIfAbsent(sandboxId, id -> new SandboxAnswers())
                .put(IpAddresses.normalize(address), canonical, expiry, clock.instant(), maxEntriesPerSandbox);
    }

    /** The names this sandbox resolved to {@code address} whose answers have not expired. */
    public Set<String> namesFor(String sandboxId, InetAddress address) {
        SandboxAnswers answers = sandboxes.get(sandboxId);
        return answers == null ? Set.of() : answers.names(IpAddresses.normalize(address), clock.instant());
    }

    /** The number of live and not yet purged entries for a sandbox. */
    public int size(String sandboxId) {
        SandboxAnswers answers = sandboxes.get(sandboxId);
        return answers == null ? 0 : answers.size();
    }

    public void forgetSandbox(String sandboxId) {
        sandboxes.remove(sandboxId);
    }

    /** One sandbox's answers; small critical sections under its own lock. */
    private static final class SandboxAnswers {
        private final Map<InetAddress, Map<String, Instant>> byAddress = new HashMap<>();
        private int entries;

        synchronized void put(InetAddress address, String name, Instant expiry, Instant now, int max) {
            Map<String, Instant> names = byAddress.computeIfAbsent(address, a -> new HashMap<>());
            Instant old = names.get(name);
            if (old == null) {
                if (entries >= max) {
                    purgeExpired(now);
                }
                if (entries >= max) {
                    evictSoonest();
                }
                names = byAddress.computeIfAbsent(address, a -> new HashMap<>());
                entries++;
            }
            if (old == null || expiry.isAfter(old)) {
                names.put(name, expiry);
            }
        }

        synchronized Set<String> names(InetAddress address, Instant now) {
            Map<String, Instant> names = byAddress.get(address);
            if (names == null) {
                return Set.of();
            }
            Set<String> out = new TreeSet<>();
            for (Map.Entry<String, Instant> e : names.entrySet()) {
                if (e.getValue().isAfter(now)) {
                    out.add(e.getKey());
                }
            }
            return out;
        }

        synchronized int size() {
            return entries;
        }

        private void purgeExpired(Instant now) {
            for (Iterator<Map<String, Instant>> it = byAddress.values().iterator(); it.hasNext(); ) {
                Map<String, Instant> names = it.next();
                int before = names.size();
                names.values().removeIf(expiry -> !expiry.isAfter(now));
                entries -= before - names.size();
                if (names.isEmpty()) {
                    it.remove();
                }
            }
        }

        private void evictSoonest() {
            InetAddress soonestAddress = null;
            String soonestName = null;
            Instant soonest = null;
            for (Map.Entry<InetAddress, Map<String, Instant>> a : byAddress.entrySet()) {
                for (Map.Entry<String, Instant> n : a.getValue().entrySet()) {
                    if (soonest == null || n.getValue().isBefore(soonest)) {
                        soonest = n.getValue();
                        soonestAddress = a.getKey();
                        soonestName = n.getKey();
                    }
                }
            }
            if (soonestAddress != null) {
                Map<String, Instant> names = byAddress.get(soonestAddress);
                names.remove(soonestName);
                entries--;
                if (names.isEmpty()) {
                    byAddress.remove(soonestAddress);
                }
            }
        }
    }
}
