package dev.paddock.cli.vmm;

import java.nio.file.Path;

/** A {@code --disk PATH[:ro]} argument: a raw image, read-write unless it ends in {@code :ro}. */
record DiskSpec(Path image, boolean readOnly) {

    static DiskSpec parse(String arg) {
        boolean readOnly = false;
        String path = arg;
        if (arg.endsWith(":ro")) {
            readOnly = true;
            path = arg.substring(0, arg.length() - 3);
        } else if (arg.endsWith(":rw")) {
            path = arg.substring(0, arg.length() - 3);
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("--disk \"" + arg + "\" names no file; use --disk PATH or --disk PATH:ro");
        }
        return new DiskSpec(Path.of(path).toAbsolutePath().normalize(), readOnly);
    }

    /** Back to the argument form, for re-running the command elsewhere. */
    String argument() {
        return image + (readOnly ? ":ro" : "");
    }
}
