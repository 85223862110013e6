package dev.paddock.runtime.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tiny real-mode guests through the VM builder on a real /dev/kvm (the helper VM when emulated). */
@Timeout(120)
class MicroVmIT {
    /** Nested KVM under QEMU TCG starts a VM in tens of milliseconds; leave room for a loaded CI host. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static VmBuilder tiny(byte[] code, ConsoleCapture console, VmListener listener) {
        return VmBuilder.create().memoryMiB(64).vcpus(2).realModeImage(TinyGuests.image(code))
                .attachSerial(console).attachI8042().listener(listener);
    }

    @Test
    void aGuestsCom1OutputReachesTheListenerAndAnI8042ResetEndsTheVm() throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        RecordingListener events = new RecordingListener();
        try (MicroVm vm = tiny(TinyGuests.HELLO_THEN_RESET, console, events).name("hello").build()) {
            assertThat(vm.state()).isEqualTo(VmState.CREATED);
            vm.start();
            VmStop stop = vm.awaitStop(TIMEOUT).orElseThrow(() -> new AssertionError(
                    "the guest did not reset within " + TIMEOUT + "; console so far: " + console.text()));
            assertThat(stop.reason()).as("%s", stop).isEqualTo(StopReason.GUEST_RESET);
            assertThat(stop.detail()).contains("i8042");
            assertThat(console.text()).isEqualTo(TinyGuests.HELLO);
            assertThat(vm.state()).isEqualTo(VmState.STOPPED);
            assertThat(vm.pioBus().unclaimedWrites()).as("every port the guest wrote has a device").isZero();
            assertThat(events.events).containsExactly("started", "stopped GUEST_RESET");
        }
    }

    @Test
    void anAcpiS5WriteIsAGuestPowerOff() throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        RecordingListener events = new RecordingListener();
        try (MicroVm vm = tiny(TinyGuests.ACPI_POWER_OFF, console, events).name("poweroff").build()) {
            vm.start();
            VmStop stop = vm.awaitStop(TIMEOUT).orElseThrow(() -> new AssertionError("no power-off in time"));
            assertThat(stop.reason()).as("%s", stop).isEqualTo(StopReason.GUEST_POWEROFF);
            assertThat(stop.reason().isCleanPowerOff()).isTrue();
            assertThat(console.text()).isEqualTo("p");
            assertThat(events.events).containsExactly("started", "stopped GUEST_POWEROFF");
        }
    }

    @Test
    void theHostStopsAVmWhoseVcpuSpinsWithoutExits() throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        RecordingListener events = new RecordingListener();
        try (MicroVm vm = tiny(TinyGuests.SPIN, console, events).name("spin").build()) {
            vm.start();
            assertThat(console.awaitText("*", TIMEOUT)).as("the guest ran").isTrue();
            VmStop stop = vm.stop();
            assertThat(stop.reason()).isEqualTo(StopReason.HOST_STOP);
            assertThat(vm.state()).isEqualTo(VmState.STOPPED);
            assertThat(events.events).containsExactly("started", "stopped HOST_STOP");
        }
    }

    @Test
    void diagnosticsShowWhereAVcpuSpinsWithoutExitsAndLeaveItRunning() throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        RecordingListener events = new RecordingListener();
        try (MicroVm vm = tiny(TinyGuests.SPIN, console, events).name("sample").build()) {
            vm.start();
            assertThat(console.awaitText("*", TIMEOUT)).isTrue();
            assertThat(vm.describe(Duration.ofSeconds(2))).contains("vCPU 0: 1 exits, the latest I/O port 0x3f8 (OUT, 1 bytes)");
            // SPIN is "out %al, (%dx); jmp ." with the jmp at 0x1006.
            String sampled = vm.sampleVcpus(Duration.ofSeconds(30));
            assertThat(sampled).startsWith("vCPU 0: RIP 0x1006 ").contains("mp_state 0").contains("timer LVT");
            assertThat(vm.state()).as("sampling is no pause").isEqualTo(VmState.RUNNING);
            assertThat(vm.sampleVcpus(Duration.ofSeconds(30))).as("and the vCPU runs on").startsWith("vCPU 0: RIP 0x1006 ");
            assertThat(vm.stop().reason()).isEqualTo(StopReason.HOST_STOP);
            assertThat(events.events).as("nothing else saw it").containsExactly("started", "stopped HOST_STOP");
            assertThat(vm.sampleVcpus(Duration.ofSeconds(1))).isEqualTo("vCPU registers: not sampled, the VM is STOPPED");
        }
    }

    @Test
    void killEndsASpinningVmAsKilled() throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        try (MicroVm vm = tiny(TinyGuests.SPIN, console, VmListener.NONE).name("kill").build()) {
            vm.start();
            assertThat(console.awaitText("*", TIMEOUT)).isTrue();
            assertThat(vm.kill().reason()).isEqualTo(StopReason.KILLED);
            assertThat(vm.stop().reason()).as("a later stop reports the first reason").isEqualTo(StopReason.KILLED);
        }
    }

    @Test
    void pauseParksTheVcpusAndResumeRunsThemAgain() throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        RecordingListener events = new RecordingListener();
        try (MicroVm vm = tiny(TinyGuests.DOTS_FOREVER, console, events).name("pause").build()) {
            vm.start();
            assertThat(console.awaitSize(100, TIMEOUT)).as("dots before the pause").isTrue();
            vm.pause();
            assertThat(vm.state()).isEqualTo(VmState.PAUSED);
            Thread.sleep(200); // the event loop delivers what was buffered before the pause
            int atPause = console.size();
            Thread.sleep(500);
            assertThat(console.size()).as("no output while paused").isEqualTo(atPause);
            vm.resume();
            assertThat(vm.state()).isEqualTo(VmState.RUNNING);
            assertThat(console.awaitSize(atPause + 100, TIMEOUT)).as("dots after the resume").isTrue();
            assertThat(vm.stop().reason()).isEqualTo(StopReason.HOST_STOP);
            assertThat(events.events).containsExactly("started", "paused", "resumed", "stopped HOST_STOP");
        }
    }

    @Test
    void aTripleFaultStopsOnlyThatVm() throws Exception {
        ConsoleCapture faulty = new ConsoleCapture();
        ConsoleCapture healthy = new ConsoleCapture();
        try (MicroVm good = tiny(TinyGuests.DOTS_FOREVER, healthy, VmListener.NONE).name("healthy").build();
                MicroVm bad = tiny(TinyGuests.TRIPLE_FAULT, faulty, VmListener.NONE).name("faulty").build()) {
            good.start();
            bad.start();
            VmStop stop = bad.awaitStop(TIMEOUT).orElseThrow(() -> new AssertionError("no triple fault in time"));
            assertThat(stop.reason()).as("%s", stop).isEqualTo(StopReason.TRIPLE_FAULT);
            assertThat(faulty.text()).isEqualTo("!");
            int before = healthy.size();
            assertThat(healthy.awaitSize(before + 100, TIMEOUT)).as("the other VM runs on").isTrue();
            assertThat(good.state()).isEqualTo(VmState.RUNNING);
        }
    }

    @Test
    void consoleInputReachesTheUartReceiveFifo() throws Exception {
        ConsoleCapture console = new ConsoleCapture();
        try (MicroVm vm = tiny(TinyGuests.SPIN, console, VmListener.NONE).name("input").build()) {
            byte[] keys = "ls\n".getBytes();
            assertThat(vm.sendConsoleInput(keys, 0, keys.length)).isEqualTo(3);
            vm.start();
            assertThat(console.awaitText("*", TIMEOUT)).isTrue();
        }
    }
}
