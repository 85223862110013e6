package dev.paddock.runtime.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConsoleBufferTest {
    private int wakeups;
    private int flushesArmed;

    private ConsoleBuffer buffer(int capacity) {
        return new ConsoleBuffer(capacity, () -> wakeups++, () -> flushesArmed++);
    }

    private static void append(ConsoleBuffer b, String text) {
        for (byte x : text.getBytes(StandardCharsets.US_ASCII)) {
            b.append(x);
        }
    }

    @Test
    void wrapsAroundInOrderAndCountsDrops() {
        ConsoleBuffer b = buffer(4);
        b.append((byte) 1);
        b.append((byte) 2);
        b.append((byte) 3);
        assertThat(b.drain()).containsExactly(1, 2, 3);
        b.append((byte) 4);
        b.append((byte) 5);
        b.append((byte) 6);
        b.append((byte) 7);
        b.append((byte) 8);
        assertThat(b.drain()).containsExactly(4, 5, 6, 7);
        assertThat(b.dropped()).isEqualTo(1);
        assertThat(b.drain()).isEmpty();
    }

    @Test
    void aLineOfManyBytesWakesTheConsumerOnceAtItsEnd() {
        ConsoleBuffer b = buffer(1024);
        append(b, "PADDOCK-INIT-MARKER uptime=1.23");
        assertThat(wakeups).as("no wake-up per byte").isZero();
        assertThat(flushesArmed).as("the first byte arms the flush timer, once").isEqualTo(1);
        b.append((byte) '\n');
        assertThat(wakeups).isEqualTo(1);
        assertThat(new String(b.drain(), StandardCharsets.US_ASCII)).isEqualTo("PADDOCK-INIT-MARKER uptime=1.23\n");
    }

    @Test
    void aBurstOfLinesStillInTheRingArmsNoMoreTimers() {
        ConsoleBuffer b = buffer(1024);
        append(b, "one\ntwo\nthree\n");
        assertThat(wakeups).isEqualTo(3);
        assertThat(flushesArmed).isEqualTo(1);
        assertThat(b.drain()).hasSize(14);
        append(b, "$ ");
        assertThat(flushesArmed).as("a prompt after a drain arms the timer again").isEqualTo(2);
        assertThat(wakeups).isEqualTo(3);
    }

    @Test
    void aLongLineWakesTheConsumerWhenTheRingIsHalfFull() {
        ConsoleBuffer b = buffer(8);
        append(b, "abc");
        assertThat(wakeups).isZero();
        b.append((byte) 'd');
        assertThat(wakeups).as("half of 8 bytes").isEqualTo(1);
        append(b, "efgh");
        assertThat(b.dropped()).isZero();
        b.append((byte) 'i');
        assertThat(b.dropped()).as("a full ring drops, and never blocks").isEqualTo(1);
    }

    @Test
    void capacityMustBePositive() {
        assertThatThrownBy(() -> new ConsoleBuffer(0, () -> { }, () -> { })).hasMessageContaining("positive");
    }
}
