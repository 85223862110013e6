package dev.paddock.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.netpolicy.ca.CertificateMinter;
import dev.paddock.netpolicy.ca.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest-side install script, run by this host's sh under a temporary root: the certificate lands in the
 * bundle once however often the sandbox boots, OpenSSL's hash link points at it, and a second CA is added too.
 */
class GuestTrustTest {
    @TempDir
    Path root;

    private static String newCaPem(String name) {
        KeyPair keys = CertificateMinter.newKeyPair();
        Instant now = Instant.now();
        return Pem.certificate(CertificateMinter.selfSignedCa(name, keys, now.minusSeconds(60), now.plusSeconds(3600)));
    }

    private int install(String pem) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", GuestTrust.script(root.toString())).redirectErrorStream(true).start();
        p.getOutputStream().write(pem.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return p.exitValue();
    }

    private String bundle() throws Exception {
        return Files.readString(root.resolve("etc/ssl/certs/ca-certificates.crt"));
    }

    @Test
    void appendsTheCertificateOnceAndLinksItsHash() throws Exception {
        Path certs = Files.createDirectories(root.resolve("etc/ssl/certs"));
        String existing = newCaPem("some public root");
        Files.writeString(certs.resolve("ca-certificates.crt"), existing);
        String ca = newCaPem("paddock sandbox CA");

        install(ca);
        install(ca); // the next boot of the same sandbox

        assertThat(bundle()).startsWith(existing).endsWith(ca);
        assertThat(bundle().split("BEGIN CERTIFICATE", -1)).hasSize(3);
        assertThat(Files.readString(root.resolve(GuestTrust.GUEST_PATH.substring(1)))).isEqualTo(ca);
        try (Stream<Path> links = Files.list(certs)) {
            Path hash = links.filter(f -> f.getFileName().toString().matches("[0-9a-f]{8}\\.0")).findFirst().orElseThrow();
            assertThat(Files.readString(hash)).isEqualTo(ca);
        }
        assertThat(Files.readString(certs.resolve("paddock-egress.pem"))).isEqualTo(ca);
        assertThat(root.resolve(GuestTrust.GUEST_PATH.substring(1) + ".tmp")).doesNotExist();
    }

    @Test
    void aNewCaIsAddedAndLinkedToo() throws Exception {
        String first = newCaPem("first CA");
        String second = newCaPem("second CA");
        install(first);
        install(second);
        assertThat(bundle()).isEqualTo(first + second);
        assertThat(Files.readString(root.resolve("etc/ssl/certs/paddock-egress.pem"))).isEqualTo(second);
    }

    @Test
    void theGuestScriptUsesTheGuestsOwnPaths() {
        assertThat(GuestTrust.SCRIPT).contains(" /usr/local/share/ca-certificates/paddock-egress.crt")
                .contains("/etc/ssl/certs/ca-certificates.crt").doesNotContain("//");
    }
}
