package dev.paddock.daemon.api;

import dev.paddock.daemon.egress.SecretEnv;
import dev.paddock.daemon.sandbox.SandboxSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment a sandbox program starts with, the same on every way in (REST exec, the tty WebSocket, the
 * event-bus bridge). The agent gives a process exactly the variables it is sent (guest/PROTOCOL.md §6.1), so the
 * host adds what a login would: {@code PATH} always (without it GNU make cannot find {@code cc}, and bash falls back
 * to a default that ends in "."), and {@code HOME}, {@code USER}, {@code LOGNAME} for the image's two users, root
 * (the default) and {@code agent} (guest/image/customize.sh). Then the secrets' placeholders, then the sandbox's
 * env, then the request's: each layer overrides the one before.
 */
final class GuestEnv {
    /** Debian's default PATH for a login, root's and a user's alike (the agent searches the same list). */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private GuestEnv() {
    }

    static Map<String, String> of(SandboxSpec spec, Map<String, String> requestEnv, String user) {
        Map<String, String> env = new LinkedHashMap<>(login(user));
        env.putAll(SecretEnv.withPlaceholders(spec.env(), spec.secrets()));
        env.putAll(requestEnv);
        return env;
    }

    /** What a login as {@code user} (the exec's user field: empty means root) would set. */
    static Map<String, String> login(String user) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", PATH);
        String name = switch (user) {
            case "", "root", "0", "0:0" -> "root";
            case "agent" -> "agent";
            default -> null; // another passwd name or a uid: only the guest's /etc/passwd knows its home
        };
        if (name != null) {
            env.put("HOME", name.equals("root") ? "/root" : "/home/" + name);
            env.put("USER", name);
            env.put("LOGNAME", name);
        }
        return env;
    }
}
