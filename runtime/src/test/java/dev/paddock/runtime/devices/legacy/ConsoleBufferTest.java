package dev.paddock.runtime.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConsoleBufferTest {
    private int wakeups;

    @Test
    void wrapsAroundInOrder() {
        ConsoleBuffer b = new ConsoleBuffer(4, () -> wakeups++);
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
        assertThat(wakeups).isEqualTo(2);
        assertThat(b.drain()).isEmpty();
    }

    @Test
    void capacityMustBePositive() {
        assertThatThrownBy(() -> new ConsoleBuffer(0, () -> { })).hasMessageContaining("positive");
    }
}
