package dev.paddock.runtime.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.linux.EventFd;
import dev.paddock.hypervisor.linux.TimerFd;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The loop over real eventfds and epoll (no KVM needed). */
class DeviceEventLoopTest {

    @Test
    void aSignalRunsItsHandlerOnTheLoopThreadWithTheCoalescedCount() throws Exception {
        BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (EventFd queue0 = EventFd.create(); EventFd queue1 = EventFd.create()) {
            DeviceEventLoop loop = DeviceEventLoop.start("test-devices", failures::add);
            try {
                loop.register(queue0, n -> seen.add("q0 " + n + " " + Thread.currentThread().getName()));
                loop.register(queue1, n -> seen.add("q1 " + n));
                queue1.add(3);
                assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("q1 3");
                queue0.signal();
                assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("q0 1 test-devices");
            } finally {
                loop.close();
            }
            assertThat(loop.thread().isAlive()).isFalse();
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void anArmedTimerRunsItsHandlerOnTheLoopThreadOnce() throws Exception {
        BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (TimerFd timer = TimerFd.create()) {
            DeviceEventLoop loop = DeviceEventLoop.start("test-devices", failures::add);
            try {
                loop.register(timer, n -> seen.add("timer " + n + " " + Thread.currentThread().getName()));
                timer.arm(TimeUnit.MILLISECONDS.toNanos(2));
                assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("timer 1 test-devices");
                assertThat(seen.poll(100, TimeUnit.MILLISECONDS)).as("a one-shot fires once").isNull();
            } finally {
                loop.close();
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void aFailingHandlerIsReportedAndTheLoopGoesOn() throws Exception {
        BlockingQueue<Throwable> failures = new ArrayBlockingQueue<>(10);
        BlockingQueue<Long> ok = new ArrayBlockingQueue<>(10);
        try (EventFd bad = EventFd.create(); EventFd good = EventFd.create()) {
            DeviceEventLoop loop = DeviceEventLoop.start("test-devices", failures::add);
            try {
                loop.register(bad, n -> {
                    throw new IllegalStateException("device fault");
                });
                loop.register(good, ok::add);
                bad.signal();
                assertThat(failures.poll(5, TimeUnit.SECONDS)).hasMessage("device fault");
                good.signal();
                assertThat(ok.poll(5, TimeUnit.SECONDS)).isEqualTo(1L);
            } finally {
                loop.close();
            }
        }
    }

    @Test
    void closeIsIdempotentAndRefusedFromAHandler() throws Exception {
        BlockingQueue<Throwable> failures = new ArrayBlockingQueue<>(10);
        try (EventFd fd = EventFd.create()) {
            DeviceEventLoop loop = DeviceEventLoop.start("test-devices", failures::add);
            loop.register(fd, n -> loop.close());
            fd.signal();
            Throwable t = failures.poll(5, TimeUnit.SECONDS);
            assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining("own thread");
            loop.close();
            loop.close();
            assertThat(loop.thread().isAlive()).isFalse();
            assertThatThrownBy(() -> loop.register(fd, n -> { })).isInstanceOf(RuntimeException.class);
        }
    }

    @Test
    void executeRunsTasksOnTheLoopThreadInOrderAndRejectsThemAfterClose() throws Exception {
        BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
        DeviceEventLoop loop = DeviceEventLoop.start("test-tasks", e -> seen.add("failure " + e));
        try {
            loop.execute(() -> seen.add("a " + Thread.currentThread().getName()));
            loop.execute(() -> seen.add("b"));
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("a test-tasks");
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("b");
        } finally {
            loop.close();
        }
        assertThatThrownBy(() -> loop.execute(() -> { }))
                .isInstanceOf(java.util.concurrent.RejectedExecutionException.class)
                .hasMessageContaining("has stopped");
    }
}
