package dev.paddock.netpolicy.ca;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** PEM text for certificates (RFC 7468 §5) and PKCS #8 private keys (RFC 7468 §10). */
public final class Pem {
    private Pem() { }

    public static String certificate(X509Certificate cert) {
        try {
            return armor("CERTIFICATE", cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode certificate " + cert.getSubjectX500Principal(), e);
        }
    }

    /** PKCS #8 PEM of a key; for files the host keeps 0600 (and test servers). */
    public static String privateKey(PrivateKey key) {
        return armor("PRIVATE KEY", key.getEncoded());
    }

    public static X509Certificate readCertificate(String pem) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IOException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    static PrivateKey readEcPrivateKey(String pem) throws IOException {
        String body = pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("not a PKCS #8 EC private key in PEM: " + e.getMessage(), e);
        }
    }

    private static String armor(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }
}
