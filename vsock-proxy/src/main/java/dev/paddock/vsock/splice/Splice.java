package dev.paddock.vsock.splice;

import io.vertx.core.Future;
import io.vertx.core.Promise;

/**
 * Joins two {@link DuplexStream}s: bytes flow both ways with back-pressure ({@code pipeTo}: a full writer pauses
 * its source until it drains), and each side's end-of-file is passed on as a half-close of the other, so a client
 * that shuts down its write side still reads everything the other side sends afterwards (HTTP upgrades, docker's
 * hijacked attach and exec streams). A failure in either direction aborts both streams.
 */
public final class Splice {
    private Splice() {
    }

    /** Starts both directions; the future completes when both have ended, and fails when either broke. */
    public static Future<Void> join(DuplexStream a, DuplexStream b) {
        Promise<Void> done = Promise.promise();
        Future<Void> aToB = a.pipe().endOnFailure(false).to(b);
        Future<Void> bToA = b.pipe().endOnFailure(false).to(a);
        aToB.onFailure(e -> abortBoth(a, b));
        bToA.onFailure(e -> abortBoth(a, b));
        Future.all(aToB, bToA).onComplete(ar -> {
            if (ar.succeeded()) {
                done.tryComplete();
            } else {
                done.tryFail(ar.cause());
            }
        });
        return done.future();
    }

    private static void abortBoth(DuplexStream a, DuplexStream b) {
        a.abort();
        b.abort();
    }
}
