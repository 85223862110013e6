package dev.paddock.cli.egress;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code paddock policy get|set}: the egress policy, global or of one sandbox (docs/egress.md). */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Show or replace the egress policy: the global layer, or one sandbox's with --sandbox.",
        subcommands = {PolicyCommand.Get.class, PolicyCommand.Set.class})
public final class PolicyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String path(String sandbox) {
        return sandbox == null ? "/v1/policy"
                : "/v1/sandboxes/" + URLEncoder.encode(sandbox, StandardCharsets.UTF_8).replace("+", "%20") + "/policy";
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Print the policy document (JSON); the version in force goes to stderr.",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:printed",
                    "3:no daemon answered and none could be started", "4:no such sandbox"})
    public static final class Get extends ApiCommand {
        @Option(names = {"-s", "--sandbox"}, paramLabel = "SANDBOX", description = "That sandbox's layer instead of the global one.")
        String sandbox;

        public Get(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) {
            JsonObject state = client.get(path(sandbox)).requireOk().jsonObject();
            ctx.out().println(state.getJsonObject("document", new JsonObject()).encodePrettily());
            ctx.err().println("paddock: " + state.getString("scope") + " policy, version " + state.getValue("version"));
            return ExitCodes.OK;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Replace the policy with a JSON document, live and all or nothing; - reads it from stdin.",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:in force",
                    "1:the daemon refused the document (every problem is listed)", "2:bad flags, or FILE unreadable",
                    "3:no daemon answered and none could be started", "4:no such sandbox"})
    public static final class Set extends ApiCommand {
        @Option(names = {"-s", "--sandbox"}, paramLabel = "SANDBOX", description = "That sandbox's layer instead of the global one.")
        String sandbox;

        @Parameters(index = "0", paramLabel = "FILE", description = "The policy document, or - for stdin.")
        String file;

        public Set(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) throws IOException {
            String text = file.equals("-") ? new String(ctx.in().readAllBytes(), StandardCharsets.UTF_8)
                    : readFile(ctx.cwd().resolve(file));
            JsonObject document;
            try {
                document = new JsonObject(text);
            } catch (DecodeException e) {
                throw new CliException(ExitCodes.USAGE, "the policy in " + file + " is not a JSON object: " + e.getMessage(), e);
            }
            var response = client.put(path(sandbox), document);
            if (!response.ok()) {
                JsonObject error = errorBody(response.body().toString());
                if (error != null && error.getJsonArray("details") != null) {
                    error.getJsonArray("details").forEach(d -> ctx.err().println("paddock:   " + d));
                }
            }
            JsonObject state = response.requireOk().jsonObject();
            ctx.err().println("paddock: " + state.getString("scope") + " policy now at version " + state.getValue("version"));
            return ExitCodes.OK;
        }

        private static String readFile(Path p) {
            try {
                return Files.readString(p);
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot read the policy file " + p + ": " + e.getMessage(), e);
            }
        }

        private static JsonObject errorBody(String text) {
            try {
                return new JsonObject(text);
            } catch (DecodeException e) {
                return null;
            }
        }
    }
}
