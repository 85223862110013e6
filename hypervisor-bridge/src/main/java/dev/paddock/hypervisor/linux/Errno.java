package dev.paddock.hypervisor.linux;

import java.util.Map;

/** errno names from {@code <asm-generic/errno-base.h>} and {@code <asm-generic/errno.h>}, for messages. */
public final class Errno {
    private Errno() {}

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(3, "ESRCH"), Map.entry(4, "EINTR"),
            Map.entry(5, "EIO"), Map.entry(6, "ENXIO"), Map.entry(7, "E2BIG"), Map.entry(9, "EBADF"),
            Map.entry(11, "EAGAIN"), Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"),
            Map.entry(16, "EBUSY"), Map.entry(17, "EEXIST"), Map.entry(19, "ENODEV"), Map.entry(22, "EINVAL"),
            Map.entry(23, "ENFILE"), Map.entry(24, "EMFILE"), Map.entry(25, "ENOTTY"), Map.entry(28, "ENOSPC"),
            Map.entry(30, "EROFS"), Map.entry(34, "ERANGE"), Map.entry(38, "ENOSYS"), Map.entry(95, "EOPNOTSUPP"));

    /** "EINVAL (22)", or "errno 200" for a number without a name here. */
    public static String describe(int errno) {
        String name = NAMES.get(errno);
        return name == null ? "errno " + errno : name + " (" + errno + ")";
    }
}
