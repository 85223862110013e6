package dev.paddock.runtime.virtio.fs.fuse;

/** Checks a name the guest sends before it reaches any host call. */
final class FuseNames {
    private FuseNames() {
    }

    /**
     * Fails unless {@code name} is exactly one path component: not empty, not "." or "..", no '/' and no NUL
     * (the NUL that ended it is already gone), at most NAME_MAX bytes.
     */
    static byte[] component(byte[] name) throws FsErrnoException {
        // GUEST-CONTROLLED: a name that could walk (/, ..) or be cut short by a NUL is refused before any syscall.
        if (name.length == 0) {
            throw new FsErrnoException(Errno.ENOENT, "empty name");
        }
        if (name.length > FuseProtocol.NAME_MAX) {
            throw new FsErrnoException(Errno.ENAMETOOLONG, "name of " + name.length + " bytes");
        }
        if (name[0] == '.' && (name.length == 1 || name.length == 2 && name[1] == '.')) {
            throw new FsErrnoException(Errno.EINVAL, "\".\" or \"..\"");
        }
        for (byte b : name) {
            if (b == '/' || b == 0) {
                throw new FsErrnoException(Errno.EINVAL, "name with '/' or NUL");
            }
        }
        return name;
    }
}
