package dev.paddock.cli.build;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Whether {@code $PADDOCK_STATE/images/current} holds a sandbox image that guest/image/build.sh would leave as it is
 * (docs/guest-image.md, "Artifacts and their cache keys"). build.sh names each artifact by a hash of its inputs; this
 * recomputes, from the checkout, the keys that need no build and no network, and compares them with the names
 * {@code current/} links to:
 * <ul>
 *   <li>the root image, {@code rootfs-<key>.ext4}: rootfs.sh, packages, customize.sh, paddock-runc and the host's
 *       apt sources;</li>
 *   <li>the initramfs, {@code initramfs-<key>.cpio.gz}: the modules key (the kernel version {@code current/vmlinuz}
 *       was built with, the module list, guest/kernel/modules.sh), the agent binary's SHA-256 and build.sh's
 *       initramfs step;</li>
 *   <li>{@code cmdline}, a copy of guest/image/cmdline.</li>
 * </ul>
 * Not seen here: a newer kernel in apt's index (build.sh resolves it at build time), and agent sources newer than
 * guest/agent/target/paddock-agent (make's business); an explicit build.sh run picks those up.
 * {@code SandboxImageCheckTest} runs build.sh's own key lines in bash against this class.
 */
public final class SandboxImageCheck {
    /** The files the daemon's SandboxImage reads from {@code current/}. */
    static final List<String> FILES = List.of("vmlinuz", "initramfs.cpio.gz", "rootfs.ext4", "cmdline");
    /** build.sh's sources_text: these files, then the globs' matches in order. */
    /** guest/image's files in build.sh's root-image key, in its order (rootfs_key=...). */
    static final List<String> ROOTFS_INPUTS = List.of("rootfs.sh", "packages", "customize.sh", "paddock-runc");
    static final Path APT_SOURCES_LIST = Path.of("/etc/apt/sources.list");
    static final Path APT_SOURCES_DIR = Path.of("/etc/apt/sources.list.d");

    private static final Pattern ROOTFS = Pattern.compile("rootfs-([0-9a-f]{16})\\.ext4");
    private static final Pattern INITRAMFS = Pattern.compile("initramfs-([0-9a-f]{16})\\.cpio\\.gz");
    private static final Pattern VMLINUZ = Pattern.compile("vmlinuz-(.+)");

    /** What the check found. */
    public sealed interface Verdict {
        /** The image is there and its keys match the checkout. */
        record Current() implements Verdict { }

        /** No image, or part of one; {@code what} names the missing file. */
        record Missing(String what) implements Verdict { }

        /** An image built from other inputs; {@code why} says which key differs. */
        record Stale(String why) implements Verdict { }
    }

    private final Path checkout;
    private final Path current;
    private final Path aptSourcesList;
    private final Path aptSourcesDir;

    /**
     * @param checkout the repository (PADDOCK_HOME), whose guest/ holds build.sh's inputs
     * @param current  {@code $PADDOCK_STATE/images/current}
     */
    public SandboxImageCheck(Path checkout, Path current) {
        this(checkout, current, APT_SOURCES_LIST, APT_SOURCES_DIR);
    }

    /** With other apt sources than the host's (tests). */
    SandboxImageCheck(Path checkout, Path current, Path aptSourcesList, Path aptSourcesDir) {
        this.checkout = checkout;
        this.current = current;
        this.aptSourcesList = aptSourcesList;
        this.aptSourcesDir = aptSourcesDir;
    }

    /** Blocking: reads the image's links and hashes the inputs (the agent binary, a few small files). */
    public Verdict check() throws IOException {
        for (String name : FILES) {
            if (!Files.isReadable(current.resolve(name))) {
                return new Verdict.Missing(current.resolve(name) + (Files.isSymbolicLink(current.resolve(name))
                        ? " (a link to a file that is gone)" : ""));
            }
        }
        Path image = checkout.resolve("guest/image");
        String rootfsKey = rootfsKey();
        Optional<String> builtRootfs = keyOf(current.resolve("rootfs.ext4"), ROOTFS);
        if (builtRootfs.isPresent() && !builtRootfs.get().equals(rootfsKey)) {
            return new Verdict.Stale("its root image has key " + builtRootfs.get() + "; guest/image/"
                    + String.join(", ", ROOTFS_INPUTS) + " and the apt sources now give " + rootfsKey);
        }
        if (!Files.readString(current.resolve("cmdline")).equals(Files.readString(image.resolve("cmdline")))) {
            return new Verdict.Stale("its cmdline differs from guest/image/cmdline");
        }
        Path agent = checkout.resolve("guest/agent/target/paddock-agent");
        Optional<String> kernelVersion = keyOf(current.resolve("vmlinuz"), VMLINUZ);
        Optional<String> builtInitramfs = keyOf(current.resolve("initramfs.cpio.gz"), INITRAMFS);
        if (!Files.isRegularFile(agent)) {
            return new Verdict.Stale("the agent " + agent + " is not built, so the initramfs cannot be checked against it");
        }
        if (kernelVersion.isPresent() && builtInitramfs.isPresent()) {
            String initramfsKey = initramfsKey(modulesKey(kernelVersion.get()), agent);
            if (!builtInitramfs.get().equals(initramfsKey)) {
                return new Verdict.Stale("its initramfs has key " + builtInitramfs.get() + "; the agent binary, the"
                        + " module list and build.sh's initramfs step now give " + initramfsKey);
            }
        }
        return new Verdict.Current();
    }

    /** build.sh: {@code { cat rootfs.sh packages customize.sh paddock-runc; sources_text; } | hash_of}. */
    String rootfsKey() throws IOException {
        Path image = checkout.resolve("guest/image");
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        for (String f : ROOTFS_INPUTS) {
            in.writeBytes(Files.readAllBytes(image.resolve(f)));
        }
        for (Path source : aptSources()) {
            in.writeBytes(Files.readAllBytes(source));
        }
        return hashOf(in.toByteArray());
    }

    /** build.sh's sources_text: sources.list, then sources.list.d/*.list, then *.sources, each glob in name order. */
    List<Path> aptSources() throws IOException {
        List<Path> sources = new ArrayList<>();
        if (Files.isReadable(aptSourcesList)) {
            sources.add(aptSourcesList);
        }
        if (Files.isDirectory(aptSourcesDir)) {
            for (String suffix : List.of(".list", ".sources")) {
                try (Stream<Path> files = Files.list(aptSourcesDir)) {
                    files.filter(p -> p.getFileName().toString().endsWith(suffix)
                                    && !p.getFileName().toString().startsWith(".") && Files.isReadable(p))
                            .sorted().forEach(sources::add);
                }
            }
        }
        return sources;
    }

    /** build.sh: {@code { echo "$kernel_version"; printf '%s\n' "${wanted[@]}"; cat modules.sh; } | hash_of}. */
    String modulesKey(String kernelVersion) throws IOException {
        StringBuilder text = new StringBuilder(kernelVersion).append('\n');
        // sed -e 's/#.*//' -e 's/[[:space:]]//g' modules | grep -v '^$'
        for (String line : Files.readAllLines(checkout.resolve("guest/image/modules"))) {
            String name = line.replaceAll("#.*", "").replaceAll("\\s", "");
            if (!name.isEmpty()) {
                text.append(name).append('\n');
            }
        }
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
        in.writeBytes(Files.readAllBytes(checkout.resolve("guest/kernel/modules.sh")));
        return hashOf(in.toByteArray());
    }

    /**
     * build.sh: {@code { echo "$modules_key"; sha256sum < "$agent_bin"; sed -n '/^# --- 5/,/^# --- the finished/p'
     * build.sh; } | hash_of}.
     */
    String initramfsKey(String modulesKey, Path agent) throws IOException {
        StringBuilder text = new StringBuilder(modulesKey).append('\n')
                .append(HexFormat.of().formatHex(sha256(Files.readAllBytes(agent)))).append("  -\n");
        boolean in = false;
        for (String line : Files.readAllLines(checkout.resolve("guest/image/build.sh"))) {
            if (!in && line.startsWith("# --- 5")) {
                in = true;
            }
            if (in) {
                text.append(line).append('\n');
                if (line.startsWith("# --- the finished")) {
                    in = false;
                }
            }
        }
        return hashOf(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The key in the name of the file a link points to (build.sh links current/ to keyed names). */
    private static Optional<String> keyOf(Path link, Pattern name) throws IOException {
        if (!Files.isSymbolicLink(link)) {
            return Optional.empty();
        }
        Path target = Files.readSymbolicLink(link).getFileName();
        Matcher m = name.matcher(target == null ? "" : target.toString());
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** build.sh's hash_of: {@code sha256sum | cut -c1-16}. */
    static String hashOf(byte[] data) {
        return HexFormat.of().formatHex(sha256(data)).substring(0, 16);
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256, which every Java SE platform must have", e);
        }
    }
}
