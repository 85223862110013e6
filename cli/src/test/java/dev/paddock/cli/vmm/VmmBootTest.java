package dev.paddock.cli.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.cli.Paddock;
import dev.paddock.runtime.vmm.StopReason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Argument handling and the parts of `vmm boot` that need no /dev/kvm. */
class VmmBootTest {

    private static VmmBoot parse(String... args) {
        CommandLine cl = Paddock.commandLine();
        CommandLine.ParseResult r = cl.parseArgs(args);
        return (VmmBoot) r.subcommand().subcommand().commandSpec().userObject();
    }

    @Test
    void disksAreReadWriteUnlessMarkedRo() {
        assertThat(DiskSpec.parse("/d/root.ext4:ro")).isEqualTo(new DiskSpec(Path.of("/d/root.ext4"), true));
        assertThat(DiskSpec.parse("/d/data.raw")).isEqualTo(new DiskSpec(Path.of("/d/data.raw"), false));
        assertThat(DiskSpec.parse("/d/data.raw:rw").readOnly()).isFalse();
        assertThat(DiskSpec.parse("rel.img").image()).isAbsolute();
        assertThatThrownBy(() -> DiskSpec.parse(":ro")).hasMessageContaining("names no file");
    }

    @Test
    void memorySizesTakeMibOrUnits() {
        assertThat(MemorySize.parseBytes("512")).isEqualTo(512L << 20);
        assertThat(MemorySize.parseBytes("512M")).isEqualTo(512L << 20);
        assertThat(MemorySize.parseBytes("2G")).isEqualTo(2L << 30);
        assertThat(MemorySize.parseBytes("1GiB")).isEqualTo(1L << 30);
        assertThatThrownBy(() -> MemorySize.parseBytes("lots")).hasMessageContaining("--memory \"lots\" is not a size");
        assertThatThrownBy(() -> MemorySize.parseBytes("-1")).hasMessageContaining("not a size");
    }

    @Test
    void theHelperVmRunGetsEveryOptionWithAbsolutePaths() {
        VmmBoot b = parse("vmm", "boot", "--kernel", "k/bzImage", "--initrd", "i.cpio", "--disk", "root.ext4:ro",
                "--disk", "/abs/data", "--cmdline", "console=ttyS0 quiet", "--cpus", "2", "--memory", "1G",
                "--no-rng", "--timeout", "30", "--diagnose-to", "state.txt");
        String cwd = Path.of("").toAbsolutePath().toString();
        assertThat(b.forwardedArgs()).containsExactly("vmm", "boot", "--in-process",
                "--kernel=" + cwd + "/k/bzImage", "--initrd=" + cwd + "/i.cpio", "--disk=" + cwd + "/root.ext4:ro",
                "--disk=/abs/data", "--cmdline=console=ttyS0 quiet", "--cpus=2", "--memory=1G", "--no-rng",
                "--timeout=30", "--diagnose-to=" + cwd + "/state.txt");
        assertThat(b.helperArgv()).startsWith(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp")
                .contains("dev.paddock.cli.Paddock");
        VmmBoot again = parse(b.forwardedArgs().toArray(String[]::new));
        assertThat(again.forwardedArgs()).isEqualTo(b.forwardedArgs());
    }

    @Test
    void defaultsSuitADebianCloudKernelOnCom1() {
        VmmBoot b = parse("vmm", "boot", "--kernel", "/k");
        assertThat(b.cmdline).contains("console=ttyS0").contains("reboot=k").contains("panic=1");
        assertThat(b.cpus).isEqualTo(1);
        assertThat(b.rng).isTrue();
        assertThat(b.inProcess).isFalse();
    }

    @Test
    void exitStatusIsZeroOnlyForAPowerOff() {
        assertThat(VmmBoot.exitStatus(StopReason.GUEST_POWEROFF)).isZero();
        for (StopReason r : StopReason.values()) {
            if (r != StopReason.GUEST_POWEROFF) {
                assertThat(VmmBoot.exitStatus(r)).as("%s", r).isPositive();
            }
        }
    }

    @Test
    void aVmThatCannotBeBuiltExitsOneNamingWhy() {
        VmmBoot b = parse("vmm", "boot", "--in-process", "--kernel", "/nonexistent/bzImage", "--cpus", "300");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = b.boot(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true));
        assertThat(status).isEqualTo(1);
        assertThat(err.toString()).contains("vcpus = 300: a VM has 1 to 254 vCPUs");
        b = parse("vmm", "boot", "--in-process", "--kernel", "/nonexistent/bzImage");
        err.reset();
        assertThat(b.boot(new ByteArrayInputStream(new byte[0]), System.out, new PrintStream(err, true))).isEqualTo(1);
        assertThat(err.toString()).contains("kernel file /nonexistent/bzImage does not exist");
    }
}
