package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GuestCidsTest {
    @Test
    void lowestFreeFromThreeAndReusedAfterRelease() {
        GuestCids cids = new GuestCids();
        assertThat(cids.take()).isEqualTo(3);
        assertThat(cids.take()).isEqualTo(4);
        assertThat(cids.take()).isEqualTo(5);
        cids.release(4);
        assertThat(cids.take()).isEqualTo(4);
        assertThat(cids.take()).isEqualTo(6);
    }
}
