package dev.paddock.runtime.bus;

import java.util.ArrayList;
import java.util.List;

/** Records every access; reads return offset + i in byte i, so tests can see which offset was asked. */
final class RecordingDevice implements BusDevice {
    record Access(boolean write, long offset, byte[] data) {
    }

    final List<Access> accesses = new ArrayList<>();

    @Override
    public void read(long offset, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (offset + i);
        }
        accesses.add(new Access(false, offset, data.clone()));
    }

    @Override
    public void write(long offset, byte[] data) {
        accesses.add(new Access(true, offset, data.clone()));
    }
}
