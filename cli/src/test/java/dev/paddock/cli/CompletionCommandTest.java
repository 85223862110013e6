package dev.paddock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompletionCommandTest {
    @Test
    void printsABashCompletionScriptThatKnowsTheCommands() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CliContext ctx = new CliContext(Map.of(), java.io.InputStream.nullInputStream(),
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err, Path.of("."));
        assertThat(Paddock.commandLine(ctx).execute("completion")).isZero();
        String script = out.toString(StandardCharsets.UTF_8);
        assertThat(script).contains("complete -F _complete_paddock", "run", "exec", "policy", "secret", "daemon", "--publish");
    }
}
