package dev.paddock.netpolicy.proxy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** TLS ClientHello bytes for the bypass tests: real ones from the JDK, and hand-built ones with bad SNI. */
final class ClientHellos {
    private ClientHellos() { }

    /** The JDK's own ClientHello for {@code sni}, as one or more TLS records. */
    static byte[] jdk(String sni) throws Exception {
        SSLEngine e = SSLContext.getDefault().createSSLEngine(sni, 443);
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        e.setSSLParameters(p);
        ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
        e.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }

    /** A minimal TLS 1.2-format ClientHello (RFC 8446 §4.1.2) whose server_name carries {@code nameBytes} as is. */
    static byte[] withRawSni(byte[] nameBytes) {
        ByteArrayOutputStream sniExt = new ByteArrayOutputStream();
        int listLen = 3 + nameBytes.length;
        u16(sniExt, 0x0000); // server_name (RFC 6066 §3)
        u16(sniExt, listLen + 2);
        u16(sniExt, listLen);
        sniExt.write(0); // host_name
        u16(sniExt, nameBytes.length);
        sniExt.writeBytes(nameBytes);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, 0x0303);
        body.writeBytes(new byte[32]);
        body.write(0); // session id
        u16(body, 2);
        u16(body, 0x1301); // TLS_AES_128_GCM_SHA256
        body.write(1);
        body.write(0); // null compression
        u16(body, sniExt.size());
        body.writeBytes(sniExt.toByteArray());
        ByteArrayOutputStream hs = new ByteArrayOutputStream();
        hs.write(1); // client_hello
        hs.write(body.size() >>> 16);
        u16(hs, body.size() & 0xffff);
        hs.writeBytes(body.toByteArray());
        return record(hs.toByteArray());
    }

    /** The same handshake bytes as {@code hello} (one record), split into two handshake records. */
    static byte[] splitIntoTwoRecords(byte[] hello) {
        byte[] hs = Arrays.copyOfRange(hello, 5, hello.length);
        int half = hs.length / 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(record(Arrays.copyOfRange(hs, 0, half)));
        out.writeBytes(record(Arrays.copyOfRange(hs, half, hs.length)));
        return out.toByteArray();
    }

    private static byte[] record(byte[] fragment) {
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        r.write(22); // handshake
        u16(r, 0x0301);
        u16(r, fragment.length);
        r.writeBytes(fragment);
        return r.toByteArray();
    }

    private static void u16(ByteArrayOutputStream o, int v) {
        o.write(v >>> 8);
        o.write(v & 0xff);
    }
}
