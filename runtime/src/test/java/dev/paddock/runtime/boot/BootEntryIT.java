package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.paddock.hypervisor.VcpuExit;
import dev.paddock.hypervisor.linux.Kvm;
import dev.paddock.hypervisor.linux.KvmVcpu;
import dev.paddock.hypervisor.linux.KvmVm;
import dev.paddock.hypervisor.linux.MmapGuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boot state alone, on a real /dev/kvm: Debian's kernel entered through each path with only the loaders,
 * boot parameters and {@link BootVcpu} (no devices, no ACPI) must run far enough to log, on the early serial
 * console, the command line and memory map we handed it. A wrong register, GDT, page table or MSR stops it long
 * before that; a wrong cmdline pointer or e820/memmap field shows in what it logs.
 * The "UART" here only answers the line-status register, so early printk never waits.
 */
class BootEntryIT {
    private static final long MEMORY = 256L << 20;
    private static final String CMDLINE = "earlyprintk=serial,ttyS0,115200 console=ttyS0 noapic nolapic";
    /** Nested KVM under TCG (the emulated accelerator) runs a guest kernel at a fraction of native speed. */
    private static final long TIMEOUT_SECONDS = 120;
    private static final int COM1 = Layout.COM1_PORT;
    /** 8250 LSR at base + 5: THRE | TEMT, the transmitter is always ready. */
    private static final int LSR_IDLE = 0x60;
    /** The kernel's echo of our last e820 entry, RAM [1 MiB, 256 MiB): the end of what this test waits for. */
    private static final String LAST_E820_LINE = "BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable";

    private static DebianCloudKernel kernel;
    private static ScheduledExecutorService watchdog;

    @BeforeAll
    static void setUp() throws Exception {
        kernel = DebianCloudKernel.fetch();
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "boot-entry-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void tearDown() {
        watchdog.shutdownNow();
    }

    @Test
    void bzImageThroughThe64BitEntryReadsItsCmdlineAndE820() throws Exception {
        assertEarlyBoot(bootUntilMemoryMap(kernel.bzImage));
    }

    @Test
    void vmlinuxThroughPvhReadsItsCmdlineAndMemoryMap() throws Exception {
        assertEarlyBoot(bootUntilMemoryMap(kernel.vmlinux()));
    }

    /** What the kernel logs from our boot parameters: the command line and the memory map, entry by entry. */
    private static void assertEarlyBoot(String console) {
        assertThat(console)
                .contains("Linux version")
                .contains("Command line: " + CMDLINE)
                .contains("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable")
                .contains("BIOS-e820: [mem 0x000000000009fc00-0x00000000000fffff] reserved")
                .contains(LAST_E820_LINE);
    }

    private static String bootUntilMemoryMap(Path image) {
        try (Kvm kvm = Kvm.open();
             MmapGuestMemory memory = MmapGuestMemory.allocate(Layout.ramRegions(MEMORY));
             KvmVm vm = kvm.createVm()) {
            vm.setTssAddress(Layout.KVM_TSS_ADDRESS);
            vm.mapMemory(memory);
            vm.createIrqchip();
            vm.createPit2();
            try (KvmVcpu vcpu = vm.createVcpu(0)) {
                LoadedKernel loaded = KernelImage.load(image, memory);
                BootParams.write(memory, loaded, CMDLINE, Optional.empty());
                BootVcpu.configure(vcpu, memory, 0, 1, loaded, kvm.supportedCpuid());
                return run(vcpu, loaded);
            }
        }
    }

    private static String run(KvmVcpu vcpu, LoadedKernel loaded) {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ScheduledFuture<?> timeout = watchdog.schedule(vcpu::kick, TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try {
            while (true) {
                VcpuExit exit = vcpu.run();
                if (exit instanceof VcpuExit.Io io) {
                    if (io.isWrite() && io.port() == COM1) {
                        console.writeBytes(io.data().bytes());
                        // Early printk ends lines with CR LF; wait for the whole last e820 line.
                        if (console.toString(StandardCharsets.ISO_8859_1).contains(LAST_E820_LINE + "\r\n")) {
                            return console.toString(StandardCharsets.ISO_8859_1);
                        }
                    } else if (!io.isWrite()) {
                        io.data().setValue(io.port() == COM1 + 5 ? LSR_IDLE : 0);
                    }
                } else if (exit instanceof VcpuExit.Mmio mmio) {
                    if (!mmio.isWrite()) {
                        mmio.data().setValue(0);
                    }
                } else if (exit instanceof VcpuExit.Interrupted && timeout.isDone()) {
                    fail("%s (%s) did not print its memory map in %d s; console so far:%n%s%nregs: %s"
                            .formatted(loaded.protocol(), loaded, TIMEOUT_SECONDS,
                                    console.toString(StandardCharsets.ISO_8859_1), vcpu.regs()));
                } else if (!(exit instanceof VcpuExit.Interrupted)) {
                    fail("%s stopped with %s before printing its memory map; console so far:%n%s%nregs: %s%nsregs: %s"
                            .formatted(loaded.protocol(), exit, console.toString(StandardCharsets.ISO_8859_1),
                                    vcpu.regs(), vcpu.sregs()));
                }
            }
        } finally {
            timeout.cancel(false);
        }
    }
}
