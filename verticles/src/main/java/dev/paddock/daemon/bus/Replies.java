package dev.paddock.daemon.bus;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/** Event-bus failures both ways: a verticle's exception to a failure code, and back into a DaemonException. */
public final class Replies {
    private Replies() { }

    /** Fails the request with the exception's code (INTERNAL for anything but a DaemonException). */
    public static void fail(Message<?> message, Throwable failure) {
        if (failure instanceof DaemonException d) {
            message.fail(d.code().failureCode(), d.getMessage());
        } else {
            message.fail(ErrorCode.INTERNAL.failureCode(), describe(failure));
        }
    }

    /** Replies with the future's result, or fails as {@link #fail}. */
    public static <T> void answer(Message<?> message, Future<T> result) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                message.reply(ar.result());
            } else {
                fail(message, ar.cause());
            }
        });
    }

    /** What a request's failure means for the API caller. */
    public static DaemonException toDaemonException(Throwable failure, String address) {
        if (failure instanceof DaemonException d) {
            return d;
        }
        if (failure instanceof ReplyException r) {
            if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
                return new DaemonException(ErrorCode.ofFailureCode(r.failureCode()), r.getMessage());
            }
            return new DaemonException(ErrorCode.INTERNAL, "the daemon's handler for " + address + " did not answer ("
                    + r.failureType() + ": " + r.getMessage() + "); see the daemon's log");
        }
        return new DaemonException(ErrorCode.INTERNAL, describe(failure));
    }

    public static String describe(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    }
}
