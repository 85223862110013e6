package dev.paddock.cli.sandbox;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The identity of {@code paddock run}'s sandbox: its workspace directories as absolute, normalised paths, in the
 * order given. The sandbox's name is derived from them ({@code <first dir's name>-<10 hex of SHA-256>}), so a second
 * {@code run} in the same directories finds the same sandbox by name, across CLI and daemon restarts.
 * Read-only or read-write is part of the key: a sandbox's mounts are fixed when it is created.
 */
record WorkspaceKey(List<Workspace> workspaces) {
    /** A login shell: bash where the image has it, else sh. */
    static final List<String> LOGIN_SHELL = List.of("/bin/sh", "-c",
            "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi");

    /** Label under which the daemon keeps the workspace list, for `ls` and for people reading sandbox.json. */
    static final String LABEL_WORKSPACES = "paddock.run.workspaces";
    static final String LABEL_AGENT = "paddock.run.agent";

    record Workspace(String path, boolean readOnly) {
        String spec() {
            return readOnly ? path + ":ro" : path;
        }
    }

    static boolean looksLikePath(String word) {
        return word.contains("/") || word.equals(".") || word.equals("..") || word.startsWith("~");
    }

    /** The key for these PATH[:ro] arguments, resolved against cwd; each must be an existing directory. */
    static WorkspaceKey of(Path cwd, List<String> args) {
        List<Workspace> list = new ArrayList<>();
        for (String arg : args) {
            boolean ro = arg.endsWith(":ro");
            String p = ro ? arg.substring(0, arg.length() - 3) : arg.endsWith(":rw") ? arg.substring(0, arg.length() - 3) : arg;
            if (p.equals("~") || p.startsWith("~/")) {
                p = System.getProperty("user.home") + p.substring(1);
            }
            Path abs = cwd.resolve(p).toAbsolutePath().normalize();
            if (!Files.isDirectory(abs)) {
                throw new CliException(ExitCodes.USAGE, "workspace " + arg + " (" + abs + ") is not a directory;"
                        + " give existing directories to share with the sandbox");
            }
            Workspace w = new Workspace(abs.toString(), ro);
            if (list.stream().anyMatch(x -> x.path().equals(w.path()))) {
                throw new CliException(ExitCodes.USAGE, "workspace " + abs + " is given twice");
            }
            list.add(w);
        }
        return new WorkspaceKey(List.copyOf(list));
    }

    /** A valid sandbox name (^[a-z0-9][a-z0-9_.-]{0,62}$) that only these workspaces map to. */
    String name() {
        String base = Path.of(workspaces.get(0).path()).getFileName() == null ? "root"
                : Path.of(workspaces.get(0).path()).getFileName().toString().toLowerCase(Locale.ROOT);
        base = base.replaceAll("[^a-z0-9_.-]", "-").replaceAll("^[^a-z0-9]+", "");
        if (base.isEmpty()) {
            base = "ws";
        }
        if (base.length() > 40) {
            base = base.substring(0, 40);
        }
        return base + "-" + digest().substring(0, 10);
    }

    private String digest() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Workspace w : workspaces) {
                sha.update(w.spec().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The CreateSandbox body for this key, before the user's resource options. */
    JsonObject createSpec(String agent) {
        JsonArray ws = new JsonArray();
        workspaces.forEach(w -> ws.add(new JsonObject().put("path", w.path()).put("mode", w.readOnly() ? "ro" : "rw")));
        JsonArray specs = new JsonArray();
        workspaces.forEach(w -> specs.add(w.spec()));
        return new JsonObject().put("name", name()).put("workspaces", ws)
                .put("labels", new JsonObject().put(LABEL_WORKSPACES, specs.encode()).put(LABEL_AGENT, agent));
    }
}
