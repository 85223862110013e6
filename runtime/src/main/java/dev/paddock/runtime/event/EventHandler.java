package dev.paddock.runtime.event;

/**
 * Work to do when an eventfd fires, on the device event loop's thread. {@code count} is the eventfd counter the
 * loop read (and reset): how many signals were coalesced into this wake-up.
 */
@FunctionalInterface
public interface EventHandler {

    void onEvent(long count);
}
