package dev.paddock.daemon.driver.microvm;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * A read-only container registry with one image, enough for {@code docker pull} (Docker Registry HTTP API v2:
 * {@code GET /v2/}, {@code GET}/{@code HEAD} of a manifest by tag or digest and of a blob by digest). The image is
 * built here from the host's static {@code /bin/busybox}: one gzip'd tar layer ({@code bin/busybox} and links for
 * {@code sh} and {@code cat}), an image config whose {@code diff_ids} is the digest of the uncompressed tar, and a
 * schema 2 manifest. Serve it with {@link #handler()} on any HTTP(S) server; {@link #requests()} lists what was
 * asked, as {@code METHOD path -> status}.
 */
final class TestRegistry {
    static final String MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
    static final String CONFIG_TYPE = "application/vnd.docker.container.image.v1+json";
    static final String LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    // a repository path, then a tag or a digest (the API's /v2/<name>/manifests/<reference>)
    private static final Pattern MANIFEST = Pattern.compile("/v2/(.+)/manifests/([A-Za-z0-9_.:-]+)");
    private static final Pattern BLOB = Pattern.compile("/v2/(.+)/blobs/(sha256:[0-9a-f]{64})");

    private final String repository;
    private final String tag;
    private final byte[] manifest;
    private final String manifestDigest;
    private final Map<String, byte[]> blobs;
    private final String layerDigest;
    private final String configDigest;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private TestRegistry(String repository, String tag, byte[] layer, byte[] config, byte[] manifest) {
        this.repository = repository;
        this.tag = tag;
        this.manifest = manifest;
        this.manifestDigest = digest(manifest);
        this.layerDigest = digest(layer);
        this.configDigest = digest(config);
        this.blobs = Map.of(layerDigest, layer, configDigest, config);
    }

    /** {@code repository:tag} holding busybox, built in {@code work}. */
    static TestRegistry busybox(String repository, String tag, Path work) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isExecutable(busybox)) {
            throw new IllegalStateException("/bin/busybox is missing: the test image is built from it"
                    + " (apt-get install busybox-static; dev/test installs it)");
        }
        Path tree = Files.createDirectories(work.resolve("layer/bin"));
        Files.copy(busybox, tree.resolve("busybox"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (String applet : List.of("sh", "cat")) {
            Files.deleteIfExists(tree.resolve(applet));
            Files.createSymbolicLink(tree.resolve(applet), Path.of("busybox"));
        }
        byte[] tar = tar(work.resolve("layer"));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(tar);
        }
        byte[] layer = gz.toByteArray();
        byte[] config = new JsonObject()
                .put("architecture", "amd64").put("os", "linux")
                .put("config", new JsonObject().put("Env", new JsonArray().add("PATH=/bin"))
                        .put("Cmd", new JsonArray().add("/bin/sh")))
                .put("rootfs", new JsonObject().put("type", "layers").put("diff_ids", new JsonArray().add(digest(tar))))
                .encode().getBytes(StandardCharsets.UTF_8);
        byte[] manifest = new JsonObject().put("schemaVersion", 2).put("mediaType", MANIFEST_TYPE)
                .put("config", descriptor(CONFIG_TYPE, config))
                .put("layers", new JsonArray().add(descriptor(LAYER_TYPE, layer)))
                .encodePrettily().getBytes(StandardCharsets.UTF_8);
        return new TestRegistry(repository, tag, layer, config, manifest);
    }

    String manifestDigest() {
        return manifestDigest;
    }

    String layerDigest() {
        return layerDigest;
    }

    String configDigest() {
        return configDigest;
    }

    byte[] manifest() {
        return manifest;
    }

    byte[] blob(String digest) {
        return blobs.get(digest);
    }

    /** What was asked so far, in order: {@code "GET /v2/ -> 200"}. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    Handler<HttpServerRequest> handler() {
        return this::serve;
    }

    private void serve(HttpServerRequest r) {
        String path = r.path();
        boolean head = r.method() == HttpMethod.HEAD;
        if (r.method() != HttpMethod.GET && !head) {
            error(r, 405, "UNSUPPORTED", "this test registry is read-only: " + r.method());
            return;
        }
        if (path.equals("/v2/") || path.equals("/v2")) {
            send(r, 200, "application/json", null, "{}".getBytes(StandardCharsets.UTF_8), head);
            return;
        }
        Matcher m = MANIFEST.matcher(path);
        if (m.matches()) {
            String ref = m.group(2);
            if (m.group(1).equals(repository) && (ref.equals(tag) || ref.equals(manifestDigest))) {
                send(r, 200, MANIFEST_TYPE, manifestDigest, manifest, head);
            } else {
                error(r, 404, "MANIFEST_UNKNOWN", "manifest unknown: " + m.group(1) + ":" + ref);
            }
            return;
        }
        m = BLOB.matcher(path);
        if (m.matches()) {
            byte[] blob = m.group(1).equals(repository) ? blobs.get(m.group(2)) : null;
            if (blob != null) {
                send(r, 200, "application/octet-stream", m.group(2), blob, head);
            } else {
                error(r, 404, "BLOB_UNKNOWN", "blob unknown: " + m.group(1) + "@" + m.group(2));
            }
            return;
        }
        error(r, 404, "NAME_UNKNOWN", "nothing here: " + path);
    }

    private void send(HttpServerRequest r, int status, String type, String digest, byte[] body, boolean head) {
        requests.add(r.method() + " " + r.path() + " -> " + status);
        var response = r.response().setStatusCode(status).putHeader("Content-Type", type)
                .putHeader("Docker-Distribution-API-Version", "registry/2.0")
                .putHeader("Content-Length", Integer.toString(body.length));
        if (digest != null) {
            response.putHeader("Docker-Content-Digest", digest);
        }
        if (head) {
            response.end();
        } else {
            response.end(Buffer.buffer(body));
        }
    }

    private void error(HttpServerRequest r, int status, String code, String message) {
        byte[] body = new JsonObject().put("errors", new JsonArray().add(new JsonObject().put("code", code)
                .put("message", message))).encode().getBytes(StandardCharsets.UTF_8);
        send(r, status, "application/json", null, body, r.method() == HttpMethod.HEAD);
    }

    private static JsonObject descriptor(String type, byte[] content) {
        return new JsonObject().put("mediaType", type).put("size", content.length).put("digest", digest(content));
    }

    static String digest(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The tree under {@code dir} as a tar stream, root-owned, by the host's tar. */
    private static byte[] tar(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tar", "-C", dir.toString(), "--format=ustar", "--owner=0", "--group=0",
                "--numeric-owner", "--sort=name", "--mtime=@0", "-cf", "-", "bin")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tar -C " + dir + " -cf - bin took over 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException("tar -C " + dir + " -cf - bin failed (exit " + p.exitValue() + ", its stderr above)");
        }
        return out;
    }
}
