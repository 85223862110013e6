package dev.paddock.vsock.agent;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * An {@code FS_INVALIDATE} request (guest/PROTOCOL.md §13): guest paths whose cached attributes the agent refreshes,
 * after optionally dropping the guest's unused dentries and refreshing every file its processes hold open.
 *
 * @param paths       absolute guest paths, at most {@value #MAX_PATHS}, each 1 to {@value #MAX_PATH_BYTES} bytes
 *                    without NUL
 * @param dropEntries names were created, removed or renamed: the guest drops its unused cached dentries first
 * @param openFiles   also refresh every file or directory a guest process holds open or as its working directory
 */
public record FsInvalidation(List<String> paths, boolean dropEntries, boolean openFiles) {
    public static final int MAX_PATHS = 256;
    public static final int MAX_PATH_BYTES = 4096;

    public FsInvalidation {
        paths = List.copyOf(Objects.requireNonNull(paths, "paths"));
        if (paths.size() > MAX_PATHS) {
            throw new IllegalArgumentException(paths.size() + " paths in one FS_INVALIDATE; at most " + MAX_PATHS
                    + " (PROTOCOL.md §13): send several, or drop the entries and refresh the share's root");
        }
        for (String p : paths) {
            int bytes = p.getBytes(StandardCharsets.UTF_8).length;
            if (!p.startsWith("/") || bytes > MAX_PATH_BYTES || p.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("FS_INVALIDATE path \"" + p + "\" (" + bytes + " bytes) must be"
                        + " absolute, at most " + MAX_PATH_BYTES + " bytes, without NUL (PROTOCOL.md §13)");
            }
        }
    }
}
