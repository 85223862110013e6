package dev.paddock.runtime.devices.legacy;

import dev.paddock.runtime.bus.Interrupt;

/** A fake interrupt line that counts edges. */
final class CountingInterrupt implements Interrupt {
    int edges;

    @Override
    public void trigger() {
        edges++;
    }

    int takeEdges() {
        int e = edges;
        edges = 0;
        return e;
    }
}
