package dev.paddock.daemon.egress;

import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * Installs a sandbox's egress CA certificate (never its key) in the guest's trust store through the agent: the
 * PEM goes to {@value #GUEST_PATH} on stdin and is appended to {@code /etc/ssl/certs/ca-certificates.crt}, the
 * bundle curl, OpenSSL, Go programs (dockerd's pulls) and most runtimes read, with the {@code <subject hash>.0}
 * link that OpenSSL's directory lookup uses. That is what {@code update-ca-certificates} would leave for one added
 * certificate, without its rebuild of the whole store, which took longer than the daemon's 30 s request timeout
 * in a microVM nested in the emulated accelerator. A later {@code update-ca-certificates} in the guest keeps the
 * certificate (it is in {@code /usr/local/share/ca-certificates}). The same certificate is appended only once
 * across reboots. Run before the sandbox is READY, so before any {@code docker pull} of the user's.
 *
 * <p>Containers that the guest's dockerd starts get this bundle too: the image's default runtime,
 * {@code guest/image/paddock-runc}, bind-mounts it into each one when {@value #GUEST_PATH} exists (docs/egress.md,
 * "Containers"). Not covered: runtimes with their own bundles (Java's cacerts, Python's certifi, Node's built-in
 * list).
 */
public final class GuestTrust {
    public static final String GUEST_PATH = "/usr/local/share/ca-certificates/paddock-egress.crt";
    // The script sees only fixed text; the certificate comes on stdin.
    static final String SCRIPT = script("");

    /** The install script with every guest path under {@code root} ("" in the guest; a directory in tests). */
    static String script(String root) {
        String dir = root + "/usr/local/share/ca-certificates";
        String crt = root + GUEST_PATH;
        String certs = root + "/etc/ssl/certs";
        return "set -e; umask 022; mkdir -p " + dir + " " + certs + "; cat > " + crt + ".tmp; "
                + "if cmp -s " + crt + ".tmp " + crt + "; then rm -f " + crt + ".tmp; "
                + "else cat " + crt + ".tmp >> " + certs + "/ca-certificates.crt; mv " + crt + ".tmp " + crt + "; fi; "
                + "ln -sf " + crt + " " + certs + "/paddock-egress.pem; "
                // OpenSSL's directory lookup: <subject hash>.N, the first N not taken by another certificate.
                + "h=$(openssl x509 -hash -noout -in " + crt + "); n=0; "
                + "while [ -e " + certs + "/$h.$n ] && [ \"$(readlink " + certs + "/$h.$n)\" != paddock-egress.pem ]; "
                + "do n=$((n+1)); done; ln -sf paddock-egress.pem " + certs + "/$h.$n";
    }

    private static final int MAX_OUTPUT = 8192;

    private GuestTrust() {
    }

    /** Completes when the guest's store holds the certificate; fails with what the guest said otherwise. */
    public static Future<Void> install(AgentClient agent, String certificatePem) {
        return agent.exec(ExecRequest.shell(SCRIPT)).compose(p -> run(p, certificatePem));
    }

    private static Future<Void> run(ExecProcess p, String pem) {
        Buffer output = Buffer.buffer();
        p.stdout().handler(b -> keep(output, b));
        p.stderr().handler(b -> keep(output, b));
        return p.stdin().write(Buffer.buffer(pem)).compose(v -> p.closeStdin()).compose(v -> p.exitStatus())
                .compose(status -> {
                    if (status instanceof ExitStatus.Exited e && e.code() == 0) {
                        return Future.succeededFuture();
                    }
                    return Future.failedFuture(new IllegalStateException("installing the egress CA in the guest's"
                            + " trust store failed (" + status + "): " + output.toString().strip()
                            + "; the image needs ca-certificates (guest/image/packages)"));
                });
    }

    private static void keep(Buffer output, Buffer b) {
        if (output.length() < MAX_OUTPUT) {
            output.appendBuffer(b.length() > MAX_OUTPUT - output.length() ? b.getBuffer(0, MAX_OUTPUT - output.length()) : b);
        }
    }
}
