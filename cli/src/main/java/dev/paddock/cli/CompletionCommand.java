package dev.paddock.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code paddock completion}: picocli's generated bash (and zsh, through bashcompinit) completion script. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print the bash completion script for paddock. Load it with:",
                "  source <(paddock completion)",
                "or save it as /etc/bash_completion.d/paddock. In zsh, run autoload -U +X bashcompinit && bashcompinit first."})
public final class CompletionCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        String script = AutoComplete.bash("paddock", spec.root().commandLine());
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
    }
}
