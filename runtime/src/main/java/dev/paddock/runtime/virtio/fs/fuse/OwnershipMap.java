package dev.paddock.runtime.virtio.fs.fuse;

/**
 * Maps the guest's agent user to the host user who owns the share, and back.
 *
 * <ul>
 *   <li>Host to guest (attributes): the share owner's uid/gid read as the agent's; a host id equal to the
 *       agent's (but not the owner's) reads as the overflow id 65534, so two host users never look alike;
 *       every other id passes through.</li>
 *   <li>Guest to host (chown): only the agent's ids (mapped to the owner) or the owner's current ids are
 *       accepted; anything else is EPERM, so a guest can never hand a host file to another host user
 *       (root included).</li>
 *   <li>New files, directories and links belong to the share owner whoever created them in the guest
 *       (when the server runs as root; otherwise they belong to the server's user, which then is the owner).</li>
 * </ul>
 */
public record OwnershipMap(int guestUid, int guestGid, int hostUid, int hostGid) {
    /** The kernel's overflowuid/overflowgid. */
    public static final int OVERFLOW_ID = 65534;

    int uidToGuest(int hostId) {
        return hostId == hostUid ? guestUid : hostId == guestUid ? OVERFLOW_ID : hostId;
    }

    int gidToGuest(int hostId) {
        return hostId == hostGid ? guestGid : hostId == guestGid ? OVERFLOW_ID : hostId;
    }

    int uidToHost(int guestId) throws FsErrnoException {
        // GUEST-CONTROLLED: chown targets are limited to the mapped owner.
        if (guestId == guestUid || guestId == hostUid && hostUid == guestUid) {
            return hostUid;
        }
        throw new FsErrnoException(Errno.EPERM, "chown to uid " + Integer.toUnsignedString(guestId) + " is not allowed on a share");
    }

    int gidToHost(int guestId) throws FsErrnoException {
        if (guestId == guestGid || guestId == hostGid && hostGid == guestGid) {
            return hostGid;
        }
        throw new FsErrnoException(Errno.EPERM, "chgrp to gid " + Integer.toUnsignedString(guestId) + " is not allowed on a share");
    }
}
