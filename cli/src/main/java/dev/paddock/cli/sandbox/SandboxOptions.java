package dev.paddock.cli.sandbox;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options that shape a new sandbox, shared by {@code create} and {@code run}; each maps to one field of the
 * API's CreateSandbox (openapi.yaml). Ranges are the daemon's to check: it answers OUT_OF_RANGE naming the field.
 */
public final class SandboxOptions {
    @Option(names = "--image", paramLabel = "IMAGE", description = "Root image to boot (default: the daemon's).")
    String image;

    @Option(names = "--cpus", paramLabel = "N", description = "vCPUs, 1-32 (default: the daemon's, 2).")
    Integer cpus;

    @Option(names = "--memory", paramLabel = "SIZE", description = "RAM: MiB, or 512M, 4G (256 MiB-64 GiB; default 2G).")
    String memory;

    @Option(names = "--disk", paramLabel = "GIB", description = "Size of the sandbox's own disk in GiB, 1-1024 (default 20).")
    Integer diskGib;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE", description = "Environment for every process in the sandbox.")
    List<String> env = new ArrayList<>();

    @Option(names = "--secret", paramLabel = "NAME", description = "A secret (paddock secret set) the sandbox may use.")
    List<String> secrets = new ArrayList<>();

    @Option(names = {"-p", "--publish"}, paramLabel = "[HOSTPORT:]GUESTPORT",
            description = "Publish a guest port on host loopback (host port 0 or none = any free one).")
    List<String> ports = new ArrayList<>();

    @Option(names = "--policy", paramLabel = "FILE", description = "Egress policy document (JSON, docs/egress.md) for this sandbox.")
    Path policy;

    /** Adds the options the user gave to a CreateSandbox body; unset ones are left to the daemon's defaults. */
    JsonObject applyTo(JsonObject spec) {
        if (image != null) spec.put("image", image);
        if (cpus != null) spec.put("cpus", cpus);
        if (memory != null) spec.put("memoryMib", memoryMib(memory));
        if (diskGib != null) spec.put("diskGib", diskGib);
        if (!env.isEmpty()) spec.put("env", new JsonObject(new LinkedHashMap<>(keyValues(env, "--env"))));
        if (!secrets.isEmpty()) spec.put("secrets", new JsonArray(new ArrayList<>(secrets)));
        if (!ports.isEmpty()) {
            JsonArray ps = new JsonArray();
            ports.forEach(p -> ps.add(port(p)));
            spec.put("ports", ps);
        }
        if (policy != null) spec.put("policy", readJson(policy, "--policy"));
        return spec;
    }

    /** MiB for 512, 512M, 512MiB, 4G, 4GiB. */
    static int memoryMib(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        int unit = 1;
        if (t.endsWith("GIB") || t.endsWith("G")) {
            unit = 1024;
            t = t.substring(0, t.length() - (t.endsWith("GIB") ? 3 : 1));
        } else if (t.endsWith("MIB") || t.endsWith("M")) {
            t = t.substring(0, t.length() - (t.endsWith("MIB") ? 3 : 1));
        }
        try {
            long mib = Long.parseLong(t) * unit;
            if (mib <= 0 || mib > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) mib;
        } catch (NumberFormatException e) {
            throw new CliException(ExitCodes.USAGE, "--memory \"" + text + "\" is not a size; give MiB (512), or 512M, 4G");
        }
    }

    static Map<String, String> keyValues(List<String> pairs, String option) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new CliException(ExitCodes.USAGE, option + " \"" + p + "\" is not NAME=VALUE");
            }
            map.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return map;
    }

    static JsonObject port(String text) {
        String[] parts = text.split(":", -1);
        try {
            if (parts.length == 1) {
                return new JsonObject().put("guestPort", Integer.parseInt(parts[0]));
            }
            if (parts.length == 2) {
                return new JsonObject().put("hostPort", Integer.parseInt(parts[0])).put("guestPort", Integer.parseInt(parts[1]));
            }
        } catch (NumberFormatException e) {
            // Reported below with the accepted forms.
        }
        throw new CliException(ExitCodes.USAGE, "--publish \"" + text + "\" is not [HOSTPORT:]GUESTPORT, e.g. 8080 or 18080:8080");
    }

    static JsonObject readJson(Path file, String option) {
        try {
            return new JsonObject(Files.readString(file));
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + option + " file " + file + ": " + e.getMessage(), e);
        } catch (DecodeException | ClassCastException e) {
            throw new CliException(ExitCodes.USAGE, option + " file " + file + " is not a JSON object: " + e.getMessage(), e);
        }
    }
}
