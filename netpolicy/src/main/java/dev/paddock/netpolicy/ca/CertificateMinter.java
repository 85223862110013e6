package dev.paddock.netpolicy.ca;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds X.509 certificates with BouncyCastle (RFC 5280 profiles): self-signed CAs and server leaves. Keys are
 * EC P-256 (fast to generate, so minting a leaf per SNI costs about a millisecond) signed with SHA256withECDSA.
 */
public final class CertificateMinter {
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateMinter() { }

    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot generate EC P-256 keys (secp256r1)", e);
        }
    }

    /** A self-signed CA: basicConstraints CA with pathLen 0 (it signs leaves only), keyCertSign and cRLSign. */
    public static X509Certificate selfSignedCa(String commonName, KeyPair keys, Instant notBefore, Instant notAfter) {
        X500Name name = name(commonName);
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(notBefore),
                    Date.from(notAfter), name, keys.getPublic());
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(keys.getPublic()));
            return sign(b, keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build CA certificate '" + commonName + "'", e);
        }
    }

    /** A TLS server leaf for {@code dnsName} (in subjectAltName, which is what clients check, RFC 6125). */
    public static X509Certificate serverLeaf(String dnsName, KeyPair leafKeys, X509Certificate ca, PrivateKey caKey,
                                             Instant notBefore, Instant notAfter) {
        return serverLeaf(java.util.List.of(dnsName), leafKeys, ca, caKey, notBefore, notAfter);
    }

    /** A TLS server leaf for several names (the first is also the subject CN). */
    public static X509Certificate serverLeaf(java.util.List<String> dnsNames, KeyPair leafKeys, X509Certificate ca,
                                             PrivateKey caKey, Instant notBefore, Instant notAfter) {
        String dnsName = dnsNames.get(0);
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(notBefore),
                    Date.from(notAfter), name(dnsName), leafKeys.getPublic());
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n))
                            .toArray(GeneralName[]::new)));
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(leafKeys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ca));
            return sign(b, caKey);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot mint a leaf certificate for '" + dnsName + "'", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with SHA256withECDSA", e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Paddock").addRDN(BCStyle.CN, commonName).build();
    }

    /** RFC 5280 §4.1.2.2: positive, at most 20 octets; 127 random bits. */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(0);
    }
}
