package dev.paddock.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The class-level half of ARCHITECTURE.md's dependency rules (the pom-level half is {@link ModuleDependencyTest}).
 *
 * <p>Packages per module: hypervisor-bridge {@code dev.paddock.hypervisor}, runtime {@code dev.paddock.runtime},
 * vsock-proxy {@code dev.paddock.vsock}, netpolicy {@code dev.paddock.netpolicy}, verticles
 * {@code dev.paddock.daemon} (the daemon; {@code dev.paddock.verticles} kept for what issue 10 adds), cli
 * {@code dev.paddock.cli}. Rules about a module that has no classes yet pass
 * vacuously here; the pom-level test still holds that module to its arrows.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importProduction() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.paddock");
    }

    private static void check(ArchRule rule) {
        rule.allowEmptyShould(true).check(classes);
    }

    @Test
    void hypervisorBridgeDependsOnNothingOfOurs() {
        check(noClasses().that().resideInAPackage("dev.paddock.hypervisor..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.paddock.runtime..", "dev.paddock.vsock..", "dev.paddock.netpolicy..",
                        "dev.paddock.verticles..", "dev.paddock.daemon..", "dev.paddock.cli..", "io.vertx..", "io.netty..", "io.reactivex.."));
    }

    @Test
    void runtimeNeverSeesVertxNettyOrTheModulesAboveIt() {
        check(noClasses().that().resideInAPackage("dev.paddock.runtime..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.vertx..", "io.netty..", "io.reactivex..",
                        "dev.paddock.vsock..", "dev.paddock.netpolicy..", "dev.paddock.verticles..", "dev.paddock.daemon..", "dev.paddock.cli.."));
    }

    @Test
    void vsockProxyStaysBelowTheDaemon() {
        check(noClasses().that().resideInAPackage("dev.paddock.vsock..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.paddock.netpolicy..", "dev.paddock.verticles..", "dev.paddock.daemon..", "dev.paddock.cli.."));
    }

    @Test
    void netpolicyNeverSeesTheVmm() {
        check(noClasses().that().resideInAPackage("dev.paddock.netpolicy..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.paddock.hypervisor..", "dev.paddock.runtime..", "dev.paddock.vsock..",
                        "dev.paddock.verticles..", "dev.paddock.daemon..", "dev.paddock.cli.."));
    }

    @Test
    void daemonDoesNotDependOnTheCli() {
        check(noClasses().that().resideInAnyPackage("dev.paddock.verticles..", "dev.paddock.daemon..")
                .should().dependOnClassesThat().resideInAPackage("dev.paddock.cli.."));
    }

    @Test
    void cliHoldsNoSandboxLogic() {
        // The CLI reaches sandboxes only through the daemon's API. Two exceptions, both below sandboxes:
        // the accelerator probe in hypervisor-bridge, and `paddock vmm boot` (dev.paddock.cli.vmm), the
        // developers' bare-VM command, which drives runtime directly. The daemon's classes ride in paddock.jar
        // (runtime scope) so the CLI can start it, but the CLI names it only as a class-name string.
        check(noClasses().that().resideInAPackage("dev.paddock.cli..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.paddock.vsock..", "dev.paddock.netpolicy..", "dev.paddock.verticles..", "dev.paddock.daemon.."));
        check(noClasses().that().resideInAPackage("dev.paddock.cli..")
                .and().resideOutsideOfPackage("dev.paddock.cli.vmm..")
                .should().dependOnClassesThat().resideInAPackage("dev.paddock.runtime.."));
    }
}
