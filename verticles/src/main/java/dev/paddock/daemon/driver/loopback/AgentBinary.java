package dev.paddock.daemon.driver.loopback;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the guest agent binary the loopback driver runs ({@code guest/agent/target/paddock-agent}, built by
 * {@code make -C guest/agent}): the system property {@value #PROPERTY}, else the environment variable
 * {@value #ENV}, else {@code guest/agent/target/paddock-agent} in the working directory or one above it (a
 * checkout).
 */
public final class AgentBinary {
    public static final String PROPERTY = "paddock.agent.binary";
    public static final String ENV = "PADDOCK_AGENT_BINARY";
    private static final String IN_CHECKOUT = "guest/agent/target/paddock-agent";

    private AgentBinary() { }

    public static Path locate() {
        List<String> looked = new ArrayList<>();
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return requireExecutable(Path.of(prop), "-D" + PROPERTY);
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return requireExecutable(Path.of(env), ENV);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve(IN_CHECKOUT);
            looked.add(candidate.toString());
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("the loopback driver needs the guest agent binary and found none: -D" + PROPERTY
                + " and " + ENV + " are unset, and there is no " + IN_CHECKOUT + " in " + looked
                + "; build it with `make -C guest/agent` (needs musl-tools) and pass -D" + PROPERTY + "=PATH or "
                + ENV + "=PATH");
    }

    private static Path requireExecutable(Path path, String source) {
        if (!Files.isExecutable(path)) {
            throw new IllegalStateException(source + " names " + path + ", which is not an executable file; build the"
                    + " agent with `make -C guest/agent` and point " + source + " at guest/agent/target/paddock-agent");
        }
        return path.toAbsolutePath();
    }
}
