package dev.paddock.cli;

import java.lang.reflect.Constructor;
import picocli.CommandLine;

/**
 * Picocli's factory for command objects: a command with a {@code (CliContext)} constructor gets the context the
 * command line was built with, everything else is made by picocli's default factory.
 */
final class CommandFactory implements CommandLine.IFactory {
    private final CliContext context;
    private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

    CommandFactory(CliContext context) {
        this.context = context;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
        Constructor<K> withContext;
        try {
            withContext = cls.getDeclaredConstructor(CliContext.class);
        } catch (NoSuchMethodException e) {
            return fallback.create(cls);
        }
        withContext.setAccessible(true);
        return withContext.newInstance(context);
    }
}
