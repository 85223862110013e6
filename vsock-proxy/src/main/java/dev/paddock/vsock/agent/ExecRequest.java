package dev.paddock.vsock.agent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A process for the agent to run (PROTOCOL.md §6.1). Immutable; the limits of §10 are checked here so that a
 * request the agent would refuse with {@code LIMIT} fails before it is sent.
 *
 * @param argv argv[0] is searched in the PATH of {@code env} when it has no '/'
 * @param env  {@code NAME=VALUE} entries; the process gets exactly these
 * @param cwd  working directory; empty for {@code /}
 * @param user empty for the agent's own user, a name from the guest's /etc/passwd, or {@code uid[:gid]}
 * @param tty  a pseudo-terminal of this size, or empty for three pipes
 */
public record ExecRequest(List<String> argv, List<String> env, String cwd, String user, Optional<TtySize> tty) {
    public static final int MAX_ARGC = 1024;
    public static final int MAX_ENVC = 1024;
    public static final int MAX_CWD_BYTES = 4096;
    public static final int MAX_USER_BYTES = 256;

    public ExecRequest {
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        if (argv.isEmpty() || argv.size() > MAX_ARGC) {
            throw new IllegalArgumentException("argv has " + argv.size() + " elements; it must have 1.." + MAX_ARGC);
        }
        if (env.size() > MAX_ENVC) {
            throw new IllegalArgumentException("env has " + env.size() + " entries; at most " + MAX_ENVC);
        }
        for (int i = 0; i < argv.size(); i++) {
            requireNoNul("argv[" + i + "]", argv.get(i));
        }
        for (String entry : env) {
            requireNoNul("env entry", entry);
            if (entry.indexOf('=') <= 0) {
                throw new IllegalArgumentException("env entry '" + entry + "' is not NAME=VALUE");
            }
        }
        requireNoNul("cwd", cwd);
        requireNoNul("user", user);
        requireAtMost("cwd", cwd, MAX_CWD_BYTES);
        requireAtMost("user", user, MAX_USER_BYTES);
        if (tty == null) {
            throw new IllegalArgumentException("tty must be Optional.empty() for pipes, not null");
        }
    }

    /** Runs {@code argv} with pipes, no environment, in {@code /}, as the agent's user. */
    public static ExecRequest of(String... argv) {
        return new ExecRequest(List.of(argv), List.of(), "", "", Optional.empty());
    }

    /** {@code sh -c script}, with a conventional PATH. */
    public static ExecRequest shell(String script) {
        return of("sh", "-c", script).withEnv(Map.of("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"));
    }

    public ExecRequest withEnv(List<String> entries) {
        return new ExecRequest(argv, entries, cwd, user, tty);
    }

    public ExecRequest withEnv(Map<String, String> vars) {
        List<String> entries = new ArrayList<>(vars.size());
        vars.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> entries.add(e.getKey() + "=" + e.getValue()));
        return withEnv(entries);
    }

    public ExecRequest withCwd(String dir) {
        return new ExecRequest(argv, env, dir, user, tty);
    }

    public ExecRequest withUser(String name) {
        return new ExecRequest(argv, env, cwd, name, tty);
    }

    public ExecRequest withTty(int rows, int cols) {
        return new ExecRequest(argv, env, cwd, user, Optional.of(new TtySize(rows, cols)));
    }

    private static void requireNoNul(String what, String value) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is null; use \"\" for the default");
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " '" + value.replace('\0', '?')
                    + "' contains a NUL byte; it becomes a C string in the guest");
        }
    }

    private static void requireAtMost(String what, String value, int maxBytes) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxBytes) {
            throw new IllegalArgumentException(what + " is " + bytes + " bytes; at most " + maxBytes);
        }
    }
}
