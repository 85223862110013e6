package dev.paddock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlainVertxServicesTest {
    private static List<String> read(ClassLoader loader) throws Exception {
        List<String> texts = new ArrayList<>();
        for (URL url : Collections.list(loader.getResources(PlainVertxServices.SERVICE_FILE))) {
            try (InputStream in = url.openStream()) {
                texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return texts;
    }

    @Test
    void hidesOnlyTheClusterManagerLineEvenInAMergedServiceFile(@TempDir Path dir) throws Exception {
        Path merged = dir.resolve("merged");
        Path other = dir.resolve("other");
        Files.createDirectories(merged.resolve("META-INF/services"));
        Files.createDirectories(other.resolve("META-INF/services"));
        Files.writeString(merged.resolve(PlainVertxServices.SERVICE_FILE), "# merged by the shade plugin\n"
                + "io.vertx.micrometer.MicrometerMetricsFactory\nio.vertx.spi.cluster.hazelcast.HazelcastClusterManager\n");
        Files.writeString(other.resolve(PlainVertxServices.SERVICE_FILE), "com.example.Provider\n");
        try (URLClassLoader jars = new URLClassLoader(new URL[] {merged.toUri().toURL(), other.toUri().toURL()}, null)) {
            assertThat(String.join("", read(jars))).contains("HazelcastClusterManager");
            List<String> plain = read(new PlainVertxServices(jars));
            assertThat(plain).hasSize(2);
            assertThat(String.join("", plain)).contains("io.vertx.micrometer.MicrometerMetricsFactory",
                    "com.example.Provider").doesNotContain("io.vertx.spi.cluster");
        }
    }
}
