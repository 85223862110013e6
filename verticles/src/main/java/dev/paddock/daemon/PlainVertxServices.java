package dev.paddock.daemon;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The class loader a plain daemon's Vert.x is built under (as the thread's context loader): it hides the
 * {@code VertxServiceProvider} service file of vertx-hazelcast. Vert.x instantiates every provider listed in such
 * files when it builds, and vertx-hazelcast lists its cluster manager there, so without this a daemon that never
 * clusters would still load Hazelcast's classes (docs/cluster.md, "Opt-in"). Everything else passes through.
 */
final class PlainVertxServices extends ClassLoader {
    static final String SERVICE_FILE = "META-INF/services/io.vertx.core.spi.VertxServiceProvider";
    /** The package of vertx-hazelcast's cluster manager, as its service file names it. */
    static final String CLUSTER_MANAGER_PACKAGE = "io.vertx.spi.cluster.";

    PlainVertxServices(ClassLoader parent) {
        super(parent);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        Enumeration<URL> all = super.getResources(name);
        if (!name.equals(SERVICE_FILE)) {
            return all;
        }
        // Line by line: in the shaded paddock.jar every provider sits in one merged file.
        List<URL> kept = new ArrayList<>();
        for (URL url : Collections.list(all)) {
            String text;
            try (InputStream in = url.openStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!text.contains(CLUSTER_MANAGER_PACKAGE)) {
                kept.add(url);
                continue;
            }
            byte[] filtered = text.lines().filter(l -> !l.strip().startsWith(CLUSTER_MANAGER_PACKAGE))
                    .collect(Collectors.joining("\n", "", "\n")).getBytes(StandardCharsets.UTF_8);
            kept.add(new URL(null, "paddock-plain:" + SERVICE_FILE, new URLStreamHandler() {
                @Override
                protected URLConnection openConnection(URL u) {
                    return new URLConnection(u) {
                        @Override
                        public void connect() {
                        }

                        @Override
                        public InputStream getInputStream() {
                            return new ByteArrayInputStream(filtered);
                        }
                    };
                }
            }));
        }
        return Collections.enumeration(kept);
    }
}
