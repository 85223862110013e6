package dev.paddock.loadtests.boot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FsRoundTripBenchTest {
    @Test
    void theMedianLeavesOutTheFileCount() {
        assertThat(FsRoundTripBench.medianPass("fs-stat-share=400 2599 2359 1960 2030 1900 1520")).isEqualTo(1995);
        assertThat(FsRoundTripBench.medianPass("fs-stat-local=400 30 49 50")).isEqualTo(49);
    }
}
