package dev.paddock.vsock.agent;

/** A terminal size in character cells (PROTOCOL.md §6.1: u16 rows and cols, each at least 1). */
public record TtySize(int rows, int cols) {
    public TtySize {
        if (rows < 1 || rows > 0xFFFF || cols < 1 || cols > 0xFFFF) {
            throw new IllegalArgumentException("terminal size " + rows + "x" + cols
                    + " is out of range: rows and cols must be 1..65535");
        }
    }
}
