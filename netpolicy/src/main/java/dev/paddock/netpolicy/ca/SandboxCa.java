package dev.paddock.netpolicy.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * One sandbox's interception CA. The key is written once, 0600, in the sandbox's host state directory and never
 * goes anywhere else; the certificate ({@link #certificatePem()}) is what the guest installs in its trust store,
 * its dockerd and its containers. Each sandbox has its own, so one sandbox's CA is worthless against another.
 *
 * <p>{@link #loadOrCreate} does file I/O and key generation: call it off the event loop.
 */
public final class SandboxCa {
    public static final String KEY_FILE = "egress-ca.key";
    public static final String CERT_FILE = "egress-ca.crt";
    /** Long enough to outlive any sandbox; the key never leaves the host, so rotation is by a new sandbox. */
    static final Duration VALIDITY = Duration.ofDays(825);
    private static final Set<PosixFilePermission> KEY_MODE = PosixFilePermissions.fromString("rw-------");

    private final X509Certificate certificate;
    private final PrivateKey key;

    private SandboxCa(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** Reads the CA from {@code directory}, or creates it there (key 0600, certificate 0644). */
    public static SandboxCa loadOrCreate(Path directory, String sandboxId) throws IOException {
        Path keyFile = directory.resolve(KEY_FILE);
        Path certFile = directory.resolve(CERT_FILE);
        if (Files.exists(keyFile)) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(keyFile);
            if (!mode.equals(KEY_MODE)) {
                throw new IOException("sandbox CA key " + keyFile + " has mode " + PosixFilePermissions.toString(mode)
                        + "; it must be rw------- (0600): chmod 600 " + keyFile);
            }
            return new SandboxCa(Pem.readCertificate(Files.readString(certFile, StandardCharsets.US_ASCII)),
                    Pem.readEcPrivateKey(Files.readString(keyFile, StandardCharsets.US_ASCII)));
        }
        Files.createDirectories(directory);
        KeyPair keys = CertificateMinter.newKeyPair();
        Instant now = Instant.now();
        X509Certificate cert = CertificateMinter.selfSignedCa("Paddock sandbox " + sandboxId + " egress CA", keys,
                now.minus(Duration.ofHours(1)), now.plus(VALIDITY));
        Path tmpKey = Files.createTempFile(directory, ".egress-ca-", ".key", PosixFilePermissions.asFileAttribute(KEY_MODE));
        Files.writeString(tmpKey, Pem.privateKey(keys.getPrivate()), StandardCharsets.US_ASCII);
        Files.writeString(certFile, Pem.certificate(cert), StandardCharsets.US_ASCII);
        Files.move(tmpKey, keyFile);
        return new SandboxCa(cert, keys.getPrivate());
    }

    /** An in-memory CA (tests and benchmarks). */
    public static SandboxCa ephemeral(String sandboxId) {
        KeyPair keys = CertificateMinter.newKeyPair();
        Instant now = Instant.now();
        return new SandboxCa(CertificateMinter.selfSignedCa("Paddock sandbox " + sandboxId + " egress CA", keys,
                now.minus(Duration.ofHours(1)), now.plus(VALIDITY)), keys.getPrivate());
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate in PEM, for the guest's trust store. */
    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    PrivateKey key() {
        return key;
    }
}
