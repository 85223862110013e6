package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test registry that RegistryPullInSandboxIT pulls from, checked on loopback HTTP without a VM: every
 * digest it announces is the SHA-256 of what it serves, the config's diff_id is the uncompressed layer's,
 * HEAD answers like GET without a body, and unknown names get the API's JSON errors.
 */
class TestRegistryTest {
    @TempDir
    Path work;
    private Vertx vertx;
    private TestRegistry registry;
    private HttpClient client;
    private int port;

    record Got(int status, String type, String digest, String length, Buffer body) {
    }

    @BeforeEach
    void serve() throws Exception {
        vertx = Vertx.vertx();
        registry = TestRegistry.busybox("paddock/busybox", "1", work);
        HttpServer server = vertx.createHttpServer().requestHandler(registry.handler());
        port = server.listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS).actualPort();
        client = vertx.createHttpClient();
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
    }

    private Got get(HttpMethod method, String path) throws Exception {
        // The body is asked for inside send's callback, on the event loop, so it is asked before the response
        // can end. Chained one level out, the callback can run after the end, and the body never comes.
        return client.request(method, port, "127.0.0.1", path).compose(q -> q.send()
                .compose(r -> r.body().map(body -> new Got(r.statusCode(), r.getHeader("Content-Type"),
                        r.getHeader("Docker-Content-Digest"), r.getHeader("Content-Length"), body))))
                .await(30, TimeUnit.SECONDS);
    }

    @Test
    void servesAPullableImageWithConsistentDigests() throws Exception {
        Got base = get(HttpMethod.GET, "/v2/");
        assertThat(base.status()).isEqualTo(200);

        Got byTag = get(HttpMethod.GET, "/v2/paddock/busybox/manifests/1");
        assertThat(byTag.status()).isEqualTo(200);
        assertThat(byTag.type()).isEqualTo(TestRegistry.MANIFEST_TYPE);
        assertThat(byTag.digest()).isEqualTo(TestRegistry.digest(byTag.body().getBytes()))
                .isEqualTo(registry.manifestDigest());
        Got byDigest = get(HttpMethod.GET, "/v2/paddock/busybox/manifests/" + registry.manifestDigest());
        assertThat(byDigest.body()).isEqualTo(byTag.body());
        Got head = get(HttpMethod.HEAD, "/v2/paddock/busybox/manifests/1");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.digest()).isEqualTo(registry.manifestDigest());
        assertThat(head.length()).isEqualTo(Integer.toString(byTag.body().length()));
        assertThat(head.body().length()).isZero();

        JsonObject manifest = new JsonObject(byTag.body());
        assertThat(manifest.getInteger("schemaVersion")).isEqualTo(2);
        JsonObject layerRef = manifest.getJsonArray("layers").getJsonObject(0);
        String configDigest = manifest.getJsonObject("config").getString("digest");
        Got config = get(HttpMethod.GET, "/v2/paddock/busybox/blobs/" + configDigest);
        assertThat(config.status()).isEqualTo(200);
        assertThat(TestRegistry.digest(config.body().getBytes())).isEqualTo(configDigest).isEqualTo(config.digest());
        assertThat(manifest.getJsonObject("config").getInteger("size")).isEqualTo(config.body().length());
        Got layer = get(HttpMethod.GET, "/v2/paddock/busybox/blobs/" + layerRef.getString("digest"));
        assertThat(TestRegistry.digest(layer.body().getBytes())).isEqualTo(layerRef.getString("digest"));
        assertThat(layerRef.getInteger("size")).isEqualTo(layer.body().length());
        assertThat(layerRef.getString("mediaType")).isEqualTo(TestRegistry.LAYER_TYPE);

        byte[] tar = new GZIPInputStream(new ByteArrayInputStream(layer.body().getBytes())).readAllBytes();
        assertThat(new JsonObject(config.body()).getJsonObject("rootfs").getJsonArray("diff_ids").getString(0))
                .isEqualTo(TestRegistry.digest(tar));
        // ustar: the first entry's name, then the magic at 257
        assertThat(new String(tar, 257, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ustar");
        assertThat(new String(tar, 0, 100, java.nio.charset.StandardCharsets.US_ASCII)).contains("bin/");
        assertThat(registry.requests()).startsWith("GET /v2/ -> 200", "GET /v2/paddock/busybox/manifests/1 -> 200");
    }

    @Test
    void unknownNamesGetTheApisErrors() throws Exception {
        Got tag = get(HttpMethod.GET, "/v2/paddock/busybox/manifests/2");
        assertThat(tag.status()).isEqualTo(404);
        assertThat(new JsonObject(tag.body()).getJsonArray("errors").getJsonObject(0).getString("code"))
                .isEqualTo("MANIFEST_UNKNOWN");
        Got blob = get(HttpMethod.GET, "/v2/other/blobs/" + registry.layerDigest());
        assertThat(blob.status()).isEqualTo(404);
        assertThat(blob.body().toString()).contains("BLOB_UNKNOWN");
        assertThat(get(HttpMethod.DELETE, "/v2/paddock/busybox/manifests/1").status()).isEqualTo(405);
    }
}
