package dev.paddock.runtime.virtio.fs.fuse;

/** Encodes {@code struct fuse_attr} (88 bytes, fuse.h) and the entry/attr replies around it. */
final class FuseAttr {
    private FuseAttr() {
    }

    static void write(FuseReply r, long nodeId, Statx st, OwnershipMap owners) {
        r.u64(st.ino())
                .u64(st.size()).u64(st.blocks())
                .u64(st.atimeSec()).u64(st.mtimeSec()).u64(st.ctimeSec())
                .u32(st.atimeNsec()).u32(st.mtimeNsec()).u32(st.ctimeNsec())
                .u32(st.mode()).u32(st.nlink())
                .u32(owners.uidToGuest(st.uid())).u32(owners.gidToGuest(st.gid()))
                .u32(newEncodeDev(st.rdevMajor(), st.rdevMinor()))
                .u32(st.blksize()).u32(0);
    }

    /** include/linux/kdev_t.h new_encode_dev, which the guest's fuse decodes with new_decode_dev. */
    static int newEncodeDev(int major, int minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
    }

    /** struct fuse_entry_out: nodeid, generation, entry_valid, attr_valid (+nsec), attr. */
    static void writeEntry(FuseReply r, long nodeId, Statx st, OwnershipMap owners, CacheTimeouts t) {
        r.u64(nodeId).u64(0).u64(t.entrySeconds()).u64(t.attrSeconds()).u32(t.entryNanos()).u32(t.attrNanos());
        write(r, nodeId, st, owners);
    }

    /** A negative entry: nodeid 0 with an entry timeout, so the guest caches "no such name" for that long. */
    static void writeNegativeEntry(FuseReply r, CacheTimeouts t) {
        r.u64(0).u64(0).u64(t.entrySeconds()).u64(0).u32(t.entryNanos()).u32(0).zeros(FuseProtocol.ATTR_BYTES);
    }

    /** struct fuse_attr_out: attr_valid, attr_valid_nsec, dummy, attr. */
    static void writeAttrOut(FuseReply r, long nodeId, Statx st, OwnershipMap owners, CacheTimeouts t) {
        r.u64(t.attrSeconds()).u32(t.attrNanos()).u32(0);
        write(r, nodeId, st, owners);
    }
}
