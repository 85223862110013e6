package dev.paddock.daemon.egress;

import dev.paddock.netpolicy.secret.Placeholders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The environment a sandbox's programs see for its secrets: for each secret the sandbox names, the variable
 * {@code PADDOCK_SECRET_<NAME>} (upper case, {@code .} and {@code -} as {@code _}) holding the placeholder
 * {@code paddock-secret:<name>} — never the value, which only the egress proxy writes, into requests to the
 * secret's hosts (docs/egress.md, "Secrets and placeholders"). A variable the sandbox or the exec sets itself
 * (e.g. {@code GITHUB_TOKEN=paddock-secret:github}) is left as given.
 */
public final class SecretEnv {
    private SecretEnv() {
    }

    public static String variable(String secretName) {
        return "PADDOCK_SECRET_" + secretName.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** {@code env} with a placeholder variable added for each secret it does not set already. */
    public static Map<String, String> withPlaceholders(Map<String, String> env, List<String> secrets) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : secrets) {
            out.put(variable(name), Placeholders.of(name));
        }
        out.putAll(env);
        return out;
    }
}
