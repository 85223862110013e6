package dev.paddock.runtime.vmm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records lifecycle events as strings, in order. */
final class RecordingListener implements VmListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void started() {
        events.add("started");
    }

    @Override
    public void paused() {
        events.add("paused");
    }

    @Override
    public void resumed() {
        events.add("resumed");
    }

    @Override
    public void stopped(VmStop stop) {
        events.add("stopped " + stop.reason());
    }
}
