package dev.paddock.cli.egress;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.sandbox.Table;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.Console;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code paddock secret set|ls|rm}. Values live only in the daemon (docs/egress.md): the guest sees a placeholder
 * and the egress proxy puts the value in only for the bound hosts. The CLI never takes a value on its command line,
 * where {@code ps} and shell history would keep it.
 */
@Command(name = "secret", mixinStandardHelpOptions = true, description = "Manage secrets (values are never shown).",
        subcommands = {SecretCommand.SetSecret.class, SecretCommand.ListSecrets.class, SecretCommand.RemoveSecret.class})
public final class SecretCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String path(String name) {
        return "/v1/secrets/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Create or replace a secret. The value comes from a prompt (on a terminal), stdin,"
                    + " --from-file or --from-env; one trailing newline is dropped."},
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:stored", "1:the daemon refused (bad name)",
                    "2:bad flags, or no value", "3:no daemon answered and none could be started"})
    public static final class SetSecret extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "[a-z0-9][a-z0-9._-]* (the guest sees paddock-secret:NAME).")
        String name;

        @Option(names = "--host", required = true, paramLabel = "PATTERN",
                description = "A host the value may be sent to, e.g. api.github.com or *.example.com (repeat; at least one).")
        List<String> hosts = new ArrayList<>();

        @Option(names = "--header", paramLabel = "HEADER", defaultValue = "Authorization",
                description = "The HTTP header the value goes into (default ${DEFAULT-VALUE}).")
        String header;

        @Option(names = "--format", paramLabel = "TEMPLATE",
                description = "The header value to add when a request has none, with {value} once, e.g. 'Bearer {value}'.")
        String format;

        static final class Source {
            @Option(names = "--from-file", paramLabel = "FILE", description = "Read the value from this file.")
            Path file;

            @Option(names = "--from-env", paramLabel = "VAR", description = "Take the value from this environment variable.")
            String envVar;
        }

        @ArgGroup(exclusive = true)
        Source source;

        public SetSecret(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) throws IOException {
            String value = value();
            if (value.isEmpty()) {
                throw new CliException(ExitCodes.USAGE, "the value for secret " + name + " is empty; give it on stdin,"
                        + " --from-file or --from-env");
            }
            JsonObject inject = new JsonObject().put("header", header);
            if (format != null) inject.put("format", format);
            JsonObject info = client.put(path(name), new JsonObject().put("value", value)
                    .put("hosts", new JsonArray(new ArrayList<>(hosts))).put("inject", inject)).requireOk().jsonObject();
            ctx.err().println("paddock: secret " + info.getString("name") + " stored; the sandbox sees "
                    + info.getString("placeholder", "paddock-secret:" + name) + " and " + String.join(", ", hosts)
                    + " get the value in " + header);
            return ExitCodes.OK;
        }

        private String value() throws IOException {
            if (source != null && source.file != null) {
                return stripNewline(Files.readString(ctx.cwd().resolve(source.file)));
            }
            if (source != null && source.envVar != null) {
                String v = ctx.getenv(source.envVar);
                if (v == null) {
                    throw new CliException(ExitCodes.USAGE, "--from-env " + source.envVar + ": that variable is not set");
                }
                return v;
            }
            Console console = System.console();
            if (console != null && ctx.in() == System.in) {
                char[] typed = console.readPassword("value for %s (not echoed): ", name);
                return typed == null ? "" : new String(typed);
            }
            return stripNewline(new String(ctx.in().readAllBytes(), StandardCharsets.UTF_8));
        }

        private static String stripNewline(String s) {
            if (s.endsWith("\r\n")) return s.substring(0, s.length() - 2);
            if (s.endsWith("\n")) return s.substring(0, s.length() - 1);
            return s;
        }
    }

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List secrets and their hosts.",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:listed", "3:no daemon answered and none could be started"})
    public static final class ListSecrets extends ApiCommand {
        @Option(names = "--json", description = "Print the daemon's JSON.")
        boolean json;

        public ListSecrets(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) {
            JsonArray secrets = client.get("/v1/secrets").requireOk().jsonObject().getJsonArray("secrets", new JsonArray());
            if (json) {
                ctx.out().println(secrets.encodePrettily());
                return ExitCodes.OK;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "PLACEHOLDER", "HOSTS", "HEADER"});
            for (Object o : secrets) {
                JsonObject s = (JsonObject) o;
                JsonArray h = s.getJsonArray("hosts", new JsonArray());
                rows.add(new String[] {s.getString("name"), s.getString("placeholder", ""),
                        h.isEmpty() ? "-" : String.join(",", h.getList()), s.getString("header", "")});
            }
            Table.print(ctx.out(), rows);
            return ExitCodes.OK;
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true, description = "Delete secrets.",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:deleted",
                    "3:no daemon answered and none could be started", "4:no such secret"})
    public static final class RemoveSecret extends ApiCommand {
        @Parameters(arity = "1..*", paramLabel = "NAME")
        List<String> names;

        public RemoveSecret(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) {
            for (String n : names) {
                client.delete(path(n)).requireOk();
                ctx.out().println(n);
            }
            return ExitCodes.OK;
        }
    }
}
