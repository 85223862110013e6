package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** TimerFd needs only Linux: a one-shot that an epoll sees once it fires, read like an eventfd. */
class TimerFdTest {

    @Test
    void aDisarmedTimerNeverFires() {
        try (TimerFd t = TimerFd.create(); Epoll epoll = Epoll.create(1)) {
            epoll.add(t.fd(), Epoll.IN, 7);
            assertThat(epoll.await(50)).isZero();
            assertThat(t.read()).isZero();
        }
    }

    @Test
    void anArmedTimerFiresOnceAfterItsDelay() {
        try (TimerFd t = TimerFd.create(); Epoll epoll = Epoll.create(1)) {
            epoll.add(t.fd(), Epoll.IN, 7);
            long start = System.nanoTime();
            t.arm(TimeUnit.MILLISECONDS.toNanos(20));
            assertThat(epoll.await(0)).as("not before its delay").isZero();
            assertThat(epoll.await(5000)).isEqualTo(1);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
            assertThat(epoll.token(0)).isEqualTo(7);
            assertThat(t.read()).isEqualTo(1);
            assertThat(epoll.await(50)).as("one-shot: it does not fire again").isZero();
        }
    }

    @Test
    void reArmingReplacesTheEarlierDeadline() {
        try (TimerFd t = TimerFd.create(); Epoll epoll = Epoll.create(1)) {
            epoll.add(t.fd(), Epoll.IN, 7);
            t.arm(TimeUnit.SECONDS.toNanos(30));
            t.arm(TimeUnit.MILLISECONDS.toNanos(1));
            assertThat(epoll.await(5000)).isEqualTo(1);
            assertThat(t.read()).isEqualTo(1);
        }
    }

    @Test
    void aZeroDelayIsRefusedBecauseItWouldDisarm() {
        try (TimerFd t = TimerFd.create()) {
            assertThatThrownBy(() -> t.arm(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 ns");
        }
    }
}
