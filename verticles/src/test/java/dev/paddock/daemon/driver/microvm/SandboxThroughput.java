package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.api.ApiClient;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The throughput figures of docs/performance.md, taken on a running microVM sandbox:
 * <ul>
 *   <li><b>raw vsock</b>: a host client on the sandbox's {@code vsock.sock} ({@code CONNECT <port>}, the muxer, the
 *       virtio-vsock device, the guest kernel's AF_VSOCK) to a guest process on a vsock port: a sink that counts
 *       what it reads (host → guest) and a source that writes N zero bytes (guest → host). The guest side is a
 *       few lines of Perl (perl-base is in every Debian root), started through exec;</li>
 *   <li><b>docker socket</b>: {@code docker save} and {@code docker load} of an image of more than 200 MB
 *       (two layers of /dev/urandom written by busybox dd, built in the sandbox) through {@code docker.sock}.</li>
 * </ul>
 * Each figure is printed as a {@code FIGURE} line; the byte counts are checked, so a short transfer fails.
 */
final class SandboxThroughput {
    static final int SINK_PORT = 5001;
    static final int SOURCE_PORT = 5002;
    static final long VSOCK_BYTES = 64L << 20;
    static final int LAYER_MIB = 110;

    private static final String LISTEN = "use Socket; socket(S, 40, SOCK_STREAM, 0) or die \"socket: $!\";"
            // struct sockaddr_vm (linux/vm_sockets.h): family AF_VSOCK = 40, reserved, port, cid VMADDR_CID_ANY
            + " bind(S, pack(\"SSLLx4\", 40, 0, %d, 0xFFFFFFFF)) or die \"bind: $!\"; listen(S, 4) or die;"
            + " $| = 1; print \"listening\\n\";";
    private static final String SINK = LISTEN + " while (accept(C, S)) { my ($n, $b, $r) = (0);"
            + " while (($r = sysread(C, $b, 262144)) > 0) { $n += $r } syswrite(C, \"$n\\n\"); close C }";
    private static final String SOURCE = LISTEN + " while (accept(C, S)) { my $l = <C>; my $n = int($l);"
            + " my $b = \"\\0\" x 262144; while ($n > 0) { my $w = syswrite(C, $b, $n < 262144 ? $n : 262144);"
            + " last unless $w; $n -= $w } close C }";

    private final VmItSupport it;
    private final String id;
    private final DockerCli docker;

    SandboxThroughput(VmItSupport it, String id, DockerCli docker) {
        this.it = it;
        this.id = id;
        this.docker = docker;
    }

    void measure() throws Exception {
        rawVsock();
        dockerSaveLoad();
    }

    private void rawVsock() throws Exception {
        // Detached (setsid, stdin from /dev/null) so they outlive the exec; wait until both say they listen.
        String start = "setsid perl -e '" + SINK.formatted(SINK_PORT) + "' </dev/null >/tmp/sink.log 2>&1 &"
                + " setsid perl -e '" + SOURCE.formatted(SOURCE_PORT) + "' </dev/null >/tmp/source.log 2>&1 &"
                + " for i in $(seq 120); do grep -q listening /tmp/sink.log && grep -q listening /tmp/source.log"
                + " && break; sleep 1; done; cat /tmp/sink.log /tmp/source.log";
        ApiClient.Response r = it.api.exec(id, "sh", "-c", start);
        assertThat(r.last().getInteger("code")).as(r.toString()).isZero();
        assertThat(r.output("stdout") + r.output("stderr")).as("the guest's perl listeners")
                .isEqualTo("listening\nlistening\n");
        Path vsock = it.sandboxDir(id).resolve(MicroVmDriver.VSOCK_SOCKET);

        // Warm-up of both directions (JIT, guest page cache), then the timed runs.
        sink(vsock, 4L << 20);
        source(vsock, 4L << 20);
        long t0 = System.nanoTime();
        sink(vsock, VSOCK_BYTES);
        double toGuest = mibPerSecond(VSOCK_BYTES, System.nanoTime() - t0);
        t0 = System.nanoTime();
        source(vsock, VSOCK_BYTES);
        double fromGuest = mibPerSecond(VSOCK_BYTES, System.nanoTime() - t0);
        System.out.printf("FIGURE raw vsock host->guest: %d MiB in %.1f MiB/s%n", VSOCK_BYTES >> 20, toGuest);
        System.out.printf("FIGURE raw vsock guest->host: %d MiB in %.1f MiB/s%n", VSOCK_BYTES >> 20, fromGuest);
    }

    /** Writes {@code bytes} to the guest's sink and checks the count it read. */
    private static void sink(Path vsock, long bytes) throws IOException {
        try (SocketChannel ch = connect(vsock, SINK_PORT)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(256 * 1024);
            long left = bytes;
            while (left > 0) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), left));
                left -= ch.write(chunk);
            }
            ch.shutdownOutput();
            assertThat(readLine(ch)).as("bytes the guest's sink read").isEqualTo(Long.toString(bytes));
        }
    }

    /** Asks the guest's source for {@code bytes} and reads them all. */
    private static void source(Path vsock, long bytes) throws IOException {
        try (SocketChannel ch = connect(vsock, SOURCE_PORT)) {
            ch.write(ByteBuffer.wrap((bytes + "\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer chunk = ByteBuffer.allocateDirect(256 * 1024);
            long got = 0;
            int n;
            while ((n = ch.read(chunk.clear())) >= 0) {
                got += n;
            }
            assertThat(got).as("bytes from the guest's source").isEqualTo(bytes);
        }
    }

    private static SocketChannel connect(Path vsock, int port) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(vsock));
        ch.write(ByteBuffer.wrap(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII)));
        String ok = readLine(ch);
        if (!ok.startsWith("OK ")) {
            ch.close();
            throw new IOException("CONNECT " + port + " on " + vsock + " answered \"" + ok + "\"");
        }
        return ch;
    }

    private static String readLine(SocketChannel ch) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (ch.read(one.clear()) > 0) {
            char c = (char) one.get(0);
            if (c == '\n') {
                break;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private void dockerSaveLoad() throws Exception {
        Path context = Files.createDirectories(it.state.resolve("ctx-big"));
        Files.writeString(context.resolve("Dockerfile"), """
                FROM %s
                RUN dd if=/dev/urandom of=/layer1 bs=1048576 count=%d
                RUN dd if=/dev/urandom of=/layer2 bs=1048576 count=%d
                """.formatted(DockerSetup.IMAGE, LAYER_MIB, LAYER_MIB));
        long t0 = System.nanoTime();
        DockerCli.Result build = docker.run(900, "build", "-t", "paddock-it/big:1", context.toString());
        assertThat(build.code()).as("docker build of the big image: %s", build).isZero();
        System.out.printf("FIGURE docker build of 2 x %d MiB /dev/urandom layers (in the guest): %.1f s%n", LAYER_MIB,
                (System.nanoTime() - t0) / 1e9);
        Path tar = it.state.resolve("big.tar");
        t0 = System.nanoTime();
        DockerCli.Result save = docker.run(900, "save", "-o", tar.toString(), "paddock-it/big:1");
        long saveNanos = System.nanoTime() - t0;
        assertThat(save.code()).as("docker save: %s", save).isZero();
        long size = Files.size(tar);
        assertThat(size).as("the saved image").isGreaterThan(200L * 1000 * 1000);
        assertThat(docker.run(300, "rmi", "paddock-it/big:1").code()).isZero();
        t0 = System.nanoTime();
        DockerCli.Result load = docker.run(900, "load", "-i", tar.toString());
        long loadNanos = System.nanoTime() - t0;
        assertThat(load.code()).as("docker load: %s", load).isZero();
        assertThat(load.out()).contains("paddock-it/big:1");
        System.out.printf("FIGURE docker save (guest->host) of %.1f MB: %.1f s, %.1f MiB/s%n", size / 1e6,
                saveNanos / 1e9, mibPerSecond(size, saveNanos));
        System.out.printf("FIGURE docker load (host->guest) of %.1f MB: %.1f s, %.1f MiB/s%n", size / 1e6,
                loadNanos / 1e9, mibPerSecond(size, loadNanos));
        Files.delete(tar);
    }

    private static double mibPerSecond(long bytes, long nanos) {
        return bytes / (double) (1 << 20) / (nanos / 1e9);
    }
}
