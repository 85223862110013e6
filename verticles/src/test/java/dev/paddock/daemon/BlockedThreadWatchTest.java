package dev.paddock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The watch the daemon tests rely on does see a blocked event loop, with the blocking frame in its stack. */
class BlockedThreadWatchTest {
    @Test
    void aSleepOnAnEventLoopIsCaught() throws Exception {
        BlockedThreadWatch watch = BlockedThreadWatch.install();
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(100).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS));
        try {
            vertx.runOnContext(v -> {
                try {
                    Thread.sleep(400);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long deadline = System.currentTimeMillis() + 5000;
            while (watch.blocking().isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(watch.blocking()).isNotEmpty();
            assertThat(watch.blocking().get(0)).contains("java.lang.Thread.sleep");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
            watch.close();
        }
    }
}
