package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HelperVmGuestTest {

    @Test
    void theHelperVmsCommandLineIsRecognised() {
        // As cli's QemuCommand writes it.
        assertThat(HelperVmGuest.inside("console=ttyS0 panic=-1 quiet paddock_port=40123 paddock_rw=/work/repo,/root/.paddock"
                + " paddock_agent=/root/.paddock/helper-vm/rig-agent paddock_token=/root/.paddock/helper-vm/token"
                + " paddock_dstate=/root/.paddock/helper-vm/daemon-state\n")).isTrue();
    }

    @Test
    void otherKernelsAreNot() {
        assertThat(HelperVmGuest.inside("BOOT_IMAGE=/vmlinuz-6.1.0-26-cloud-amd64 root=UUID=1234 ro console=ttyS0\n")).isFalse();
        assertThat(HelperVmGuest.inside("")).isFalse();
        // One of the two is not enough (e.g. a Paddock sandbox guest's own parameters).
        assertThat(HelperVmGuest.inside("console=ttyS0 paddock_port=1")).isFalse();
        assertThat(HelperVmGuest.inside("console=ttyS0 xpaddock_port=1 paddock_agentx")).isFalse();
    }
}
