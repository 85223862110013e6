package dev.paddock.daemon.lifecycle;

import io.vertx.core.Future;

/**
 * Where sandbox names are unique beyond this daemon's own records. A plain daemon has nothing beyond them
 * ({@link #LOCAL}); a clustered one reserves each name cluster-wide ({@code cluster.ClusterNames}).
 */
public interface SandboxNames {
    /** Reserves {@code name} for sandbox {@code id}; fails with NAME_TAKEN when another sandbox holds it. */
    Future<Void> claim(String name, String id);

    /** Gives the name back (the sandbox is removed, or its create failed); a name another sandbox holds stays. */
    void release(String name, String id);

    /** Names are unique within this daemon only: its own check is all there is. */
    SandboxNames LOCAL = new SandboxNames() {
        @Override
        public Future<Void> claim(String name, String id) {
            return Future.succeededFuture();
        }

        @Override
        public void release(String name, String id) {
        }
    };
}
