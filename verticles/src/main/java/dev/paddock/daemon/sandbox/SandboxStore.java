package dev.paddock.daemon.sandbox;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Sandbox records on disk: {@code <state>/sandboxes/<id>/sandbox.json}, one per sandbox. Every method blocks
 * (file I/O): callers run them as blocking work, never on an event loop.
 *
 * <p>A write goes to a temporary file in the same directory, is forced to disk, and then renamed over the record
 * (rename(2) is atomic within a file system), so a {@code kill -9} or a power cut leaves the old record or the new
 * one, never half of one.
 */
public final class SandboxStore {
    public static final String RECORD_FILE = "sandbox.json";
    private static final Pattern ID = Pattern.compile("sb-[0-9a-f]{12}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path root;

    /** @param root {@code $PADDOCK_STATE/sandboxes} */
    public SandboxStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path directory(String id) {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("sandbox id \"" + id + "\" is not sb- and 12 hex digits");
        }
        return root.resolve(id);
    }

    /** Writes the record atomically, creating the sandbox's directory (0700) when it is new. */
    public void save(SandboxRecord record) throws IOException {
        Path dir = directory(record.id());
        Files.createDirectories(dir);
        Path target = dir.resolve(RECORD_FILE);
        Path tmp = dir.resolve(RECORD_FILE + ".tmp");
        byte[] json = JSON.writeValueAsBytes(record);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(json));
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + dir + " cannot rename atomically; put PADDOCK_STATE on a"
                    + " local file system", e);
        }
    }

    /**
     * Every record under the root, oldest first. A directory without a readable record is reported, not skipped:
     * a broken record is a problem the user has to see.
     */
    public List<SandboxRecord> loadAll() throws IOException {
        List<SandboxRecord> records = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return records;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, p -> ID.matcher(p.getFileName().toString()).matches())) {
            for (Path dir : dirs) {
                Path file = dir.resolve(RECORD_FILE);
                if (!Files.exists(file)) {
                    // A create that died before its first write: nothing to recover, the directory is empty.
                    continue;
                }
                try {
                    records.add(JSON.readValue(file.toFile(), SandboxRecord.class));
                } catch (IOException e) {
                    throw new IOException("cannot read sandbox record " + file + ": " + e.getMessage()
                            + "; fix or remove that directory and start the daemon again", e);
                }
            }
        }
        records.sort(Comparator.comparing(SandboxRecord::createdAt).thenComparing(SandboxRecord::id));
        return records;
    }

    /** Removes the sandbox's directory and everything in it (its disk included). */
    public void delete(String id) throws IOException {
        Path dir = directory(id);
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
