package dev.paddock.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pom-level half of ARCHITECTURE.md's rules: each module may declare only the Paddock modules its
 * arrows allow, and {@code runtime} and {@code hypervisor-bridge} may not pull in Vert.x at all.
 * This holds even for modules that have no classes yet.
 */
class ModuleDependencyTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** Module directory -> the Paddock artifacts it may depend on (at any scope). */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "hypervisor-bridge", Set.of(),
            "testkit", Set.of("paddock-hypervisor-bridge"),
            "runtime", Set.of("paddock-hypervisor-bridge", "paddock-testkit"),
            "vsock-proxy", Set.of("paddock-runtime"),
            "netpolicy", Set.of(),
            "verticles", Set.of("paddock-vsock-proxy", "paddock-netpolicy"),
            // verticles only at runtime scope (cliCarriesTheDaemonOnlyAtRuntime): the shaded paddock.jar must hold the
            // daemon so that the CLI can start it (java -cp paddock.jar dev.paddock.daemon.DaemonMain), while the CLI's
            // code still reaches it only over its API; ArchitectureTest.cliHoldsNoSandboxLogic checks the classes.
            "cli", Set.of("paddock-hypervisor-bridge", "paddock-runtime", "paddock-verticles"),
            // load-tests drives devices with the testkit's virtqueue driver mock in its queue-path benchmarks.
            "load-tests", Set.of("paddock-hypervisor-bridge", "paddock-testkit", "paddock-runtime", "paddock-vsock-proxy",
                    "paddock-netpolicy"),
            "guest", Set.of());

    private static final Pattern DEPENDENCY = Pattern.compile(
            "<dependency>\\s*<groupId>([^<]+)</groupId>\\s*<artifactId>([^<]+)</artifactId>", Pattern.DOTALL);

    private static Set<String> dependencies(String module, String groupId) throws Exception {
        String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
        // Only the module's own <dependencies>, not dependencyManagement or plugin dependencies.
        pom = pom.replaceAll("(?s)<dependencyManagement>.*?</dependencyManagement>", "")
                .replaceAll("(?s)<plugins>.*?</plugins>", "");
        Set<String> found = new TreeSet<>();
        Matcher m = DEPENDENCY.matcher(pom);
        while (m.find()) {
            if (m.group(1).trim().equals(groupId) || m.group(1).trim().startsWith(groupId + ".")) {
                found.add(m.group(2).trim());
            }
        }
        return found;
    }

    @ParameterizedTest
    @ValueSource(strings = {"hypervisor-bridge", "testkit", "runtime", "vsock-proxy", "netpolicy", "verticles", "cli", "load-tests", "guest"})
    void moduleDeclaresOnlyItsAllowedPaddockDependencies(String module) throws Exception {
        assertThat(dependencies(module, "dev.paddock"))
                .as("Paddock modules that %s/pom.xml depends on (ARCHITECTURE.md arrows)", module)
                .isSubsetOf(ALLOWED.get(module));
    }

    @Test
    void cliCarriesTheDaemonOnlyAtRuntime() throws Exception {
        String pom = Files.readString(ROOT.resolve("cli").resolve("pom.xml"));
        Matcher m = Pattern.compile("<dependency>\\s*<groupId>dev\\.paddock</groupId>\\s*<artifactId>paddock-verticles</artifactId>(.*?)</dependency>",
                Pattern.DOTALL).matcher(pom);
        assertThat(m.find()).as("cli/pom.xml declares paddock-verticles (the daemon inside paddock.jar)").isTrue();
        assertThat(m.group(1)).as("cli's paddock-verticles dependency: runtime scope, so no CLI class can compile against it")
                .contains("<scope>runtime</scope>");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hypervisor-bridge", "runtime"})
    void vmmModulesHaveNoVertx(String module) throws Exception {
        assertThat(dependencies(module, "io.vertx")).as("Vert.x artifacts in %s/pom.xml", module).isEmpty();
        assertThat(dependencies(module, "io.netty")).as("Netty artifacts in %s/pom.xml", module).isEmpty();
    }

    @Test
    void everyModuleOfTheTreeIsChecked() throws Exception {
        String parent = Files.readString(ROOT.resolve("pom.xml"));
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
        Set<String> modules = new TreeSet<>();
        while (m.find()) {
            modules.add(m.group(1));
        }
        modules.remove("architecture-tests");
        assertThat(ALLOWED.keySet()).containsExactlyInAnyOrderElementsOf(modules);
    }
}
