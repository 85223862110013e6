package dev.paddock.vsock.agent;

/**
 * The agent's {@code FS_INVALIDATED} (guest/PROTOCOL.md §13).
 *
 * @param refreshed      paths (and open files) whose attributes the guest refreshed
 * @param missing        paths that no longer exist in the guest (a deleted name: normal)
 * @param failed         paths whose refresh failed otherwise
 * @param entriesDropped the guest dropped its unused dentries (only an agent that is the guest's init does)
 * @param openFilesRefreshed the open files were refreshed too
 */
public record FsInvalidated(long refreshed, long missing, long failed, boolean entriesDropped,
                            boolean openFilesRefreshed) {
}
