package dev.paddock.cli.vmm;

import dev.paddock.cli.rig.HelperVm;
import dev.paddock.cli.rig.RigException;
import dev.paddock.hypervisor.Accelerator;
import dev.paddock.hypervisor.linux.AcceleratorProbe;
import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import dev.paddock.runtime.vmm.MicroVm;
import dev.paddock.runtime.vmm.StopReason;
import dev.paddock.runtime.vmm.VmBuilder;
import dev.paddock.runtime.vmm.VmStop;
import dev.paddock.runtime.vmm.VmState;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code paddock vmm boot}: boots one VM, streams its serial console to stdout and stdin to it, and exits with
 * the guest's verdict. On an "emulated" host (no usable /dev/kvm) it runs itself inside the helper VM with the
 * same arguments (paths are the same there); on a "native" host, in this process.
 */
@Command(name = "boot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Boot a Linux kernel in a Paddock microVM and stream its serial console (COM1) to stdout;"
                + " stdin goes to the console.",
                "Devices: COM1, i8042, ACPI power control, virtio-rng (unless --no-rng), one virtio-blk per --disk.",
                "On a host without a usable /dev/kvm it runs inside the helper VM (paddock rig)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the guest powered off (poweroff, poweroff -f)", "1:the VM could not be built or started",
                "2:the guest reset (reboot; a panic with panic=N and reboot=k)", "3:a vCPU triple-faulted",
                "4:the VMM hit an internal error", "5:stopped by the host (--timeout, Ctrl-C)"})
public final class VmmBoot implements Callable<Integer> {

    /** Console settings that make a Debian cloud kernel talk on COM1 and end the VM on a reset or panic. */
    static final String DEFAULT_CMDLINE = "console=ttyS0 reboot=k panic=1 i8042.noaux i8042.nomux i8042.nopnp"
            + " i8042.dumbkbd";

    @Option(names = "--kernel", required = true, paramLabel = "FILE",
            description = "bzImage, or an ELF vmlinux with a PVH note.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "initramfs (cpio, may be compressed).")
    Path initrd;

    @Option(names = "--disk", paramLabel = "FILE[:ro]",
            description = "A raw disk image as the next virtio-blk device (/dev/vda, /dev/vdb, …); :ro for read-only.")
    List<String> disks = new ArrayList<>();

    @Option(names = "--cmdline", paramLabel = "TEXT", description = "Kernel command line (default: ${DEFAULT-VALUE}).")
    String cmdline = DEFAULT_CMDLINE;

    @Option(names = "--cpus", paramLabel = "N", description = "vCPUs, 1 to 254 (default: ${DEFAULT-VALUE}).")
    int cpus = 1;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Guest RAM: MiB, or 512M, 2G (default: ${DEFAULT-VALUE}).")
    String memory = "256M";

    @Option(names = "--no-rng", negatable = true, description = "Attach virtio-rng (default: on; --no-rng to leave it out).")
    boolean rng = true;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Stop the VM after this many seconds (exit status 5). Default: none.")
    Long timeoutSeconds;

    @Option(names = "--diagnose-to", paramLabel = "FILE",
            description = "When the host stops the VM (--timeout, SIGTERM) while it still runs, first write its state to FILE:"
                    + " vCPU exits, virtio interrupt bits and queue indices, vsock streams (docs/vmm.md).")
    Path diagnoseTo;

    @Option(names = "--in-process", hidden = true,
            description = "Run the VM in this process whatever the accelerator probe says (set when re-run in the helper VM).")
    boolean inProcess;

    @Override
    public Integer call() {
        try {
            if (!inProcess) {
                AcceleratorProbe.Result accel = AcceleratorProbe.probe();
                if (accel.accelerator() == Accelerator.EMULATED) {
                    return runInHelperVm();
                }
                if (accel.accelerator() == Accelerator.UNAVAILABLE) {
                    System.err.println("paddock vmm boot: no accelerator: " + accel.reason());
                    return 1;
                }
            }
            return boot(System.in, System.out, System.err);
        } catch (RigException e) {
            System.err.println("paddock vmm boot: " + e.getMessage());
            return 1;
        }
    }

    /** The same command, with absolute paths, run by the helper VM's JVM. */
    private int runInHelperVm() {
        HelperVm helper = HelperVm.fromEnvironment(System.err);
        Path cwd = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
        return helper.exec(cwd, helperArgv());
    }

    List<String> helperArgv() {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.add("-cp");
        List<String> cp = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            cp.add(Path.of(entry).toAbsolutePath().toString());
        }
        argv.add(String.join(java.io.File.pathSeparator, cp));
        argv.add("dev.paddock.cli.Paddock");
        argv.addAll(forwardedArgs());
        return argv;
    }

    /** {@code vmm boot …} with every option this run was given, paths made absolute, plus --in-process. */
    List<String> forwardedArgs() {
        List<String> args = new ArrayList<>(List.of("vmm", "boot", "--in-process"));
        args.add("--kernel=" + kernel.toAbsolutePath());
        if (initrd != null) {
            args.add("--initrd=" + initrd.toAbsolutePath());
        }
        for (String d : disks) {
            args.add("--disk=" + DiskSpec.parse(d).argument());
        }
        args.add("--cmdline=" + cmdline);
        args.add("--cpus=" + cpus);
        args.add("--memory=" + memory);
        args.add(rng ? "--rng" : "--no-rng");
        if (timeoutSeconds != null) {
            args.add("--timeout=" + timeoutSeconds);
        }
        if (diagnoseTo != null) {
            args.add("--diagnose-to=" + diagnoseTo.toAbsolutePath());
        }
        return args;
    }

    int boot(InputStream in, PrintStream out, PrintStream err) {
        MicroVm vm;
        try {
            VmBuilder b = VmBuilder.create().name("boot")
                    .memory(MemorySize.parseBytes(memory)).vcpus(cpus)
                    .kernel(kernel).cmdline(cmdline)
                    .attachSerial(bytes -> {
                        out.write(bytes, 0, bytes.length);
                        out.flush();
                    })
                    .attachI8042();
            if (initrd != null) {
                b.initrd(initrd);
            }
            if (rng) {
                b.attachRng();
            }
            for (int i = 0; i < disks.size(); i++) {
                DiskSpec d = DiskSpec.parse(disks.get(i));
                b.attachBlock(new BlockDeviceConfig(d.image(), d.readOnly(), "paddock-disk" + i));
            }
            vm = b.build();
        } catch (RuntimeException e) {
            err.println("paddock vmm boot: " + e.getMessage());
            return 1;
        }
        Thread stopOnExit = new Thread(() -> {
            diagnose(vm, err);
            vm.stop();
        }, "vmm-boot-shutdown");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        Thread input = new Thread(() -> pumpInput(in, vm), "vmm-boot-stdin");
        input.setDaemon(true);
        try {
            vm.start();
            input.start();
            Optional<VmStop> stop = timeoutSeconds == null
                    ? Optional.of(vm.stopped().join())
                    : vm.awaitStop(Duration.ofSeconds(timeoutSeconds));
            VmStop result = stop.orElseGet(() -> {
                diagnose(vm, err);
                vm.stop();
                return new VmStop(StopReason.HOST_STOP, "--timeout of " + timeoutSeconds + " s reached");
            });
            vm.close();
            out.flush();
            err.println("paddock vmm boot: " + result);
            return exitStatus(result.reason());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vm.close();
            return exitStatus(StopReason.HOST_STOP);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is exiting (Ctrl-C): the hook stops the VM.
            }
        }
    }

    /** --diagnose-to: the state of a VM the host is about to stop, if it still runs. Never throws. */
    private void diagnose(MicroVm vm, PrintStream err) {
        if (diagnoseTo == null || vm.state() != VmState.RUNNING) {
            return;
        }
        try {
            // Two register samples a second apart: a RIP that does not move is a vCPU stuck in one place. Each part is
            // written as soon as it is known, and the waits stay within the 10 s that boot-check's run-until-ready.sh
            // allows between SIGTERM and SIGKILL.
            Files.writeString(diagnoseTo, vm.describe(Duration.ofSeconds(2)) + "\n" + vm.sampleVcpus(Duration.ofSeconds(3))
                    + "\n");
            Thread.sleep(1000);
            Files.writeString(diagnoseTo, "one second later:\n" + vm.sampleVcpus(Duration.ofSeconds(3)) + "\n",
                    StandardOpenOption.APPEND);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            err.println("paddock vmm boot: cannot write the VM's state to " + diagnoseTo + ": " + e);
        }
    }

    static int exitStatus(StopReason reason) {
        return switch (reason) {
            case GUEST_POWEROFF -> 0;
            case GUEST_RESET -> 2;
            case TRIPLE_FAULT -> 3;
            case INTERNAL_ERROR -> 4;
            case HOST_STOP, KILLED -> 5;
        };
    }

    /** Copies stdin to the UART, waiting (not dropping) while the guest has not read what it was sent. */
    private static void pumpInput(InputStream in, MicroVm vm) {
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                int off = 0;
                while (off < n) {
                    int sent = vm.sendConsoleInput(buf, off, n - off);
                    off += sent;
                    if (sent == 0) {
                        Thread.sleep(5);
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("paddock vmm boot: stdin is no longer forwarded to the console: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
