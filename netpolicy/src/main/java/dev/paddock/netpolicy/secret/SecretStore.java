package dev.paddock.netpolicy.secret;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paddock.netpolicy.name.DomainPattern;
import dev.paddock.netpolicy.policy.PolicyParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The host's secrets: one JSON file, {@value #FILE_NAME}, mode 0600 in a 0700 directory (the daemon passes its
 * state directory). Nothing here ever goes into a guest; the guest holds placeholders ({@link Placeholders}).
 *
 * <p>File format:
 * <pre>{ "version": 1, "secrets": [
 *   { "name": "github", "value": "ghp_...", "hosts": ["api.github.com"],
 *     "inject": { "header": "Authorization", "format": "Bearer {value}" } } ] }</pre>
 *
 * <p>{@link #open}, {@link #put} and {@link #remove} do file I/O: call them from a worker (executeBlocking),
 * never on an event loop. {@link #snapshot()} and {@link #list()} only read memory. Writes go to a temporary
 * file created 0600 and are renamed over the old one, so a crash leaves the old or the new file, never half.
 */
public final class SecretStore {
    public static final String FILE_NAME = "secrets.json";
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<String> SECRET_FIELDS = Set.of("name", "value", "hosts", "inject");
    private static final Set<String> INJECT_FIELDS = Set.of("header", "format");

    private final Path file;
    private final Object writeLock = new Object();
    private volatile Secrets current;

    private SecretStore(Path file, Secrets current) {
        this.file = file;
        this.current = current;
    }

    /**
     * Opens (or starts) the store in {@code directory}: creates the directory 0700 if missing, reads the file if
     * present, and refuses a file that others could read or a directory that others could enter.
     */
    public static SecretStore open(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(DIR_MODE));
        }
        Set<PosixFilePermission> dirMode = Files.getPosixFilePermissions(directory);
        if (dirMode.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
            // The file is 0600 anyway; a shared directory still lets others replace it, so it is refused.
            throw new IOException("secret store directory " + directory + " has mode "
                    + PosixFilePermissions.toString(dirMode) + "; it must be accessible to its owner only: chmod 700 "
                    + directory);
        }
        Path file = directory.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return new SecretStore(file, Secrets.NONE);
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (!mode.equals(FILE_MODE)) {
            throw new IOException("secret store " + file + " has mode " + PosixFilePermissions.toString(mode)
                    + "; it must be rw------- (0600): chmod 600 " + file);
        }
        return new SecretStore(file, parse(file, Files.readString(file, StandardCharsets.UTF_8)));
    }

    public Path file() {
        return file;
    }

    /** The secrets now, for the proxy. Never blocks. */
    public Secrets snapshot() {
        return current;
    }

    /** Every secret's name, placeholder, hosts and injection; never a value. */
    public List<SecretInfo> list() {
        return current.all().stream().map(Secret::info).toList();
    }

    /** Adds or replaces a secret and writes the file; returns the placeholder the guest should hold. */
    public String put(Secret secret) throws IOException {
        synchronized (writeLock) {
            Map<String, Secret> next = new TreeMap<>();
            for (Secret s : current.all()) {
                next.put(s.name(), s);
            }
            next.put(secret.name(), secret);
            Secrets updated = new Secrets(next.values());
            write(updated);
            current = updated;
            return secret.placeholder();
        }
    }

    /** Removes a secret and writes the file; false when there was none by that name. */
    public boolean remove(String name) throws IOException {
        synchronized (writeLock) {
            List<Secret> next = new ArrayList<>(current.all());
            if (!next.removeIf(s -> s.name().equals(name))) {
                return false;
            }
            Secrets updated = new Secrets(next);
            write(updated);
            current = updated;
            return true;
        }
    }

    private void write(Secrets secrets) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("version", 1);
        ArrayNode list = root.putArray("secrets");
        for (Secret s : secrets.all()) {
            ObjectNode o = list.addObject();
            o.put("name", s.name());
            o.put("value", s.value());
            ArrayNode hosts = o.putArray("hosts");
            s.hosts().forEach(h -> hosts.add(h.toString()));
            ObjectNode inject = o.putObject("inject");
            inject.put("header", s.inject().header());
            s.inject().format().ifPresent(f -> inject.put("format", f));
        }
        byte[] bytes = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        Path tmp = Files.createTempFile(file.getParent(), ".secrets-", ".tmp",
                PosixFilePermissions.asFileAttribute(FILE_MODE));
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static Secrets parse(Path file, String json) throws IOException {
        JsonNode root;
        try {
            root = PolicyParser.strictMapper().readTree(json);
        } catch (JsonProcessingException e) {
            // Jackson's message can quote the token it choked on, which may be part of a value: only the place.
            throw new IOException("secret store " + file + " is not valid JSON"
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() : "")
                    + "; restore it from a backup or remove it and add the secrets again");
        }
        if (root == null || !root.isObject() || root.path("version").asInt() != 1 || !root.path("secrets").isArray()) {
            throw new IOException("secret store " + file + " is not a version 1 store ({\"version\": 1, \"secrets\":"
                    + " [...]}); restore it from a backup or remove it and add the secrets again");
        }
        List<Secret> secrets = new ArrayList<>();
        int i = 0;
        for (JsonNode n : root.get("secrets")) {
            String where = "secret store " + file + ": secrets[" + i++ + "]";
            try {
                secrets.add(secretFrom(n, where));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }
        try {
            return new Secrets(secrets);
        } catch (IllegalArgumentException e) {
            throw new IOException("secret store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads one secret from JSON (the store file, or the daemon's API body). */
    public static Secret secretFrom(JsonNode n, String where) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(where + " is not a JSON object");
        }
        unknown(n, SECRET_FIELDS, where);
        String name = text(n, "name", where);
        String value = text(n, "value", where);
        JsonNode hostsNode = n.get("hosts");
        if (hostsNode == null || !hostsNode.isArray()) {
            throw new IllegalArgumentException(where + ".hosts must be an array of host patterns");
        }
        List<DomainPattern> hosts = new ArrayList<>();
        for (JsonNode h : hostsNode) {
            DomainPattern.Parsed p = DomainPattern.parse(h.isTextual() ? h.asText() : null);
            if (p.pattern().isEmpty()) {
                throw new IllegalArgumentException(where + ".hosts: " + p.problem());
            }
            hosts.add(p.pattern().get());
        }
        JsonNode inj = n.get("inject");
        if (inj == null || !inj.isObject()) {
            throw new IllegalArgumentException(where + ".inject must be an object with 'header' and optionally"
                    + " 'format', e.g. {\"header\": \"Authorization\", \"format\": \"Bearer {value}\"}");
        }
        unknown(inj, INJECT_FIELDS, where + ".inject");
        String header = text(inj, "header", where + ".inject");
        Optional<String> format = inj.has("format") ? Optional.of(text(inj, "format", where + ".inject")) : Optional.empty();
        return new Secret(name, value, hosts, new SecretInjection(header, format));
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + " must be a string");
        }
        return v.asText();
    }

    private static void unknown(JsonNode n, Set<String> known, String where) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new IllegalArgumentException(where + " has unknown field '" + f + "'; known: " + known);
            }
        }
    }
}
