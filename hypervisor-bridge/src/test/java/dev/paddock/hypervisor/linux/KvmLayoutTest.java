package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every number in {@link KvmAbi} and {@link KvmCapability} against the system's
 * {@code <linux/kvm.h>}: a generated C program prints {@code sizeof}, {@code offsetof} and the
 * {@code KVM_*} macros, and each must equal the Java constant. Needs gcc and linux-libc-dev, not /dev/kvm.
 */
class KvmLayoutTest {

    /** Java constant (Class.FIELD, or FIELD for top-level KvmAbi) → the C expression it mirrors. */
    private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

    private static void c(String javaName, String cExpr) {
        EXPECTED.put(javaName, cExpr);
    }

    private static void off(String javaName, String struct, String member) {
        c(javaName, "offsetof(struct " + struct + ", " + member + ")");
    }

    static {
        c("KVMIO", "KVMIO");
        c("KVM_API_VERSION", "KVM_API_VERSION");
        for (String s : List.of("kvm_regs", "kvm_sregs", "kvm_fpu", "kvm_msrs", "kvm_msr_entry", "kvm_msr_list",
                "kvm_cpuid2", "kvm_cpuid_entry2", "kvm_lapic_state", "kvm_mp_state", "kvm_vcpu_events", "kvm_xsave",
                "kvm_xcrs", "kvm_xcr", "kvm_userspace_memory_region", "kvm_irqfd", "kvm_ioeventfd", "kvm_pit_config",
                "kvm_clock_data", "kvm_dirty_log", "kvm_irq_level", "kvm_segment", "kvm_dtable")) {
            c("SIZEOF_" + s.toUpperCase(), "sizeof(struct " + s + ")");
        }
        for (String ioctl : List.of("KVM_GET_API_VERSION", "KVM_CREATE_VM", "KVM_GET_MSR_INDEX_LIST",
                "KVM_CHECK_EXTENSION", "KVM_GET_VCPU_MMAP_SIZE", "KVM_GET_SUPPORTED_CPUID", "KVM_CREATE_VCPU",
                "KVM_GET_DIRTY_LOG", "KVM_SET_USER_MEMORY_REGION", "KVM_SET_TSS_ADDR", "KVM_SET_IDENTITY_MAP_ADDR",
                "KVM_CREATE_IRQCHIP", "KVM_IRQ_LINE", "KVM_IRQFD", "KVM_CREATE_PIT2", "KVM_IOEVENTFD", "KVM_SET_CLOCK",
                "KVM_GET_CLOCK", "KVM_RUN", "KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS", "KVM_SET_SREGS",
                "KVM_GET_MSRS", "KVM_SET_MSRS", "KVM_GET_FPU", "KVM_SET_FPU", "KVM_GET_LAPIC", "KVM_SET_LAPIC",
                "KVM_SET_CPUID2", "KVM_GET_CPUID2", "KVM_GET_MP_STATE", "KVM_SET_MP_STATE", "KVM_GET_VCPU_EVENTS",
                "KVM_SET_VCPU_EVENTS", "KVM_GET_XSAVE", "KVM_SET_XSAVE", "KVM_GET_XCRS", "KVM_SET_XCRS",
                "KVM_EXIT_UNKNOWN", "KVM_EXIT_EXCEPTION", "KVM_EXIT_IO", "KVM_EXIT_HYPERCALL", "KVM_EXIT_DEBUG",
                "KVM_EXIT_HLT", "KVM_EXIT_MMIO", "KVM_EXIT_IRQ_WINDOW_OPEN", "KVM_EXIT_SHUTDOWN",
                "KVM_EXIT_FAIL_ENTRY", "KVM_EXIT_INTR", "KVM_EXIT_INTERNAL_ERROR", "KVM_EXIT_SYSTEM_EVENT",
                "KVM_EXIT_IO_IN", "KVM_EXIT_IO_OUT", "KVM_MEM_LOG_DIRTY_PAGES", "KVM_MEM_READONLY",
                "KVM_IRQFD_FLAG_DEASSIGN", "KVM_IOEVENTFD_FLAG_DATAMATCH", "KVM_IOEVENTFD_FLAG_PIO",
                "KVM_IOEVENTFD_FLAG_DEASSIGN")) {
            c(ioctl, ioctl);
        }
        off("Run.REQUEST_INTERRUPT_WINDOW", "kvm_run", "request_interrupt_window");
        off("Run.IMMEDIATE_EXIT", "kvm_run", "immediate_exit");
        off("Run.EXIT_REASON", "kvm_run", "exit_reason");
        off("Run.READY_FOR_INTERRUPT_INJECTION", "kvm_run", "ready_for_interrupt_injection");
        off("Run.IF_FLAG", "kvm_run", "if_flag");
        off("Run.FLAGS", "kvm_run", "flags");
        off("Run.CR8", "kvm_run", "cr8");
        off("Run.APIC_BASE", "kvm_run", "apic_base");
        off("Run.HW_HARDWARE_EXIT_REASON", "kvm_run", "hw.hardware_exit_reason");
        off("Run.FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON", "kvm_run", "fail_entry.hardware_entry_failure_reason");
        off("Run.FAIL_ENTRY_CPU", "kvm_run", "fail_entry.cpu");
        off("Run.IO_DIRECTION", "kvm_run", "io.direction");
        off("Run.IO_SIZE", "kvm_run", "io.size");
        off("Run.IO_PORT", "kvm_run", "io.port");
        off("Run.IO_COUNT", "kvm_run", "io.count");
        off("Run.IO_DATA_OFFSET", "kvm_run", "io.data_offset");
        off("Run.MMIO_PHYS_ADDR", "kvm_run", "mmio.phys_addr");
        off("Run.MMIO_DATA", "kvm_run", "mmio.data");
        off("Run.MMIO_LEN", "kvm_run", "mmio.len");
        off("Run.MMIO_IS_WRITE", "kvm_run", "mmio.is_write");
        off("Run.INTERNAL_SUBERROR", "kvm_run", "internal.suberror");
        off("Run.INTERNAL_NDATA", "kvm_run", "internal.ndata");
        off("Run.INTERNAL_DATA", "kvm_run", "internal.data");
        off("Run.SYSTEM_EVENT_TYPE", "kvm_run", "system_event.type");
        off("Run.SYSTEM_EVENT_NDATA", "kvm_run", "system_event.ndata");
        off("Run.SYSTEM_EVENT_DATA", "kvm_run", "system_event.data");
        c("Run.MAX_EXIT_DATA", "sizeof(((struct kvm_run *) 0)->internal.data) / 8");
        off("Regs.RAX", "kvm_regs", "rax");
        off("Regs.RIP", "kvm_regs", "rip");
        off("Regs.RFLAGS", "kvm_regs", "rflags");
        for (String m : List.of("base", "limit", "selector", "type", "present", "dpl", "db", "s", "l", "g", "avl",
                "unusable")) {
            off("Segment." + m.toUpperCase(), "kvm_segment", m);
        }
        off("Segment.DTABLE_BASE", "kvm_dtable", "base");
        off("Segment.DTABLE_LIMIT", "kvm_dtable", "limit");
        for (String m : List.of("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt", "gdt", "idt", "cr0", "cr2", "cr3",
                "cr4", "cr8", "efer", "apic_base", "interrupt_bitmap")) {
            off("Sregs." + m.toUpperCase(), "kvm_sregs", m);
        }
        c("Sregs.INTERRUPT_BITMAP_WORDS", "sizeof(((struct kvm_sregs *) 0)->interrupt_bitmap) / 8");
        for (String m : List.of("fpr", "fcw", "fsw", "ftwx", "last_opcode", "last_ip", "last_dp", "xmm", "mxcsr")) {
            off("Fpu." + m.toUpperCase(), "kvm_fpu", m);
        }
        off("Msrs.NMSRS", "kvm_msrs", "nmsrs");
        off("Msrs.ENTRIES", "kvm_msrs", "entries");
        off("Msrs.ENTRY_INDEX", "kvm_msr_entry", "index");
        off("Msrs.ENTRY_DATA", "kvm_msr_entry", "data");
        off("Cpuid2.NENT", "kvm_cpuid2", "nent");
        off("Cpuid2.ENTRIES", "kvm_cpuid2", "entries");
        for (String m : List.of("function", "index", "flags", "eax", "ebx", "ecx", "edx")) {
            off("Cpuid2.ENTRY_" + m.toUpperCase(), "kvm_cpuid_entry2", m);
        }
        c("Cpuid2.FLAG_SIGNIFICANT_INDEX", "KVM_CPUID_FLAG_SIGNIFCANT_INDEX");
        off("VcpuEvents.EXCEPTION_INJECTED", "kvm_vcpu_events", "exception.injected");
        off("VcpuEvents.EXCEPTION_NR", "kvm_vcpu_events", "exception.nr");
        off("VcpuEvents.EXCEPTION_HAS_ERROR_CODE", "kvm_vcpu_events", "exception.has_error_code");
        off("VcpuEvents.EXCEPTION_PENDING", "kvm_vcpu_events", "exception.pending");
        off("VcpuEvents.EXCEPTION_ERROR_CODE", "kvm_vcpu_events", "exception.error_code");
        off("VcpuEvents.INTERRUPT_INJECTED", "kvm_vcpu_events", "interrupt.injected");
        off("VcpuEvents.INTERRUPT_NR", "kvm_vcpu_events", "interrupt.nr");
        off("VcpuEvents.INTERRUPT_SOFT", "kvm_vcpu_events", "interrupt.soft");
        off("VcpuEvents.INTERRUPT_SHADOW", "kvm_vcpu_events", "interrupt.shadow");
        off("VcpuEvents.NMI_INJECTED", "kvm_vcpu_events", "nmi.injected");
        off("VcpuEvents.NMI_PENDING", "kvm_vcpu_events", "nmi.pending");
        off("VcpuEvents.NMI_MASKED", "kvm_vcpu_events", "nmi.masked");
        off("VcpuEvents.SIPI_VECTOR", "kvm_vcpu_events", "sipi_vector");
        off("VcpuEvents.FLAGS", "kvm_vcpu_events", "flags");
        off("VcpuEvents.SMI_SMM", "kvm_vcpu_events", "smi.smm");
        off("VcpuEvents.TRIPLE_FAULT_PENDING", "kvm_vcpu_events", "triple_fault.pending");
        off("VcpuEvents.EXCEPTION_HAS_PAYLOAD", "kvm_vcpu_events", "exception_has_payload");
        off("VcpuEvents.EXCEPTION_PAYLOAD", "kvm_vcpu_events", "exception_payload");
        off("Xcrs.NR_XCRS", "kvm_xcrs", "nr_xcrs");
        off("Xcrs.FLAGS", "kvm_xcrs", "flags");
        off("Xcrs.XCRS", "kvm_xcrs", "xcrs");
        off("Xcrs.XCR_XCR", "kvm_xcr", "xcr");
        off("Xcrs.XCR_VALUE", "kvm_xcr", "value");
        c("Xcrs.MAX_XCRS", "KVM_MAX_XCRS");
        off("MemoryRegion.SLOT", "kvm_userspace_memory_region", "slot");
        off("MemoryRegion.FLAGS", "kvm_userspace_memory_region", "flags");
        off("MemoryRegion.GUEST_PHYS_ADDR", "kvm_userspace_memory_region", "guest_phys_addr");
        off("MemoryRegion.MEMORY_SIZE", "kvm_userspace_memory_region", "memory_size");
        off("MemoryRegion.USERSPACE_ADDR", "kvm_userspace_memory_region", "userspace_addr");
        off("Irqfd.FD", "kvm_irqfd", "fd");
        off("Irqfd.GSI", "kvm_irqfd", "gsi");
        off("Irqfd.FLAGS", "kvm_irqfd", "flags");
        off("Irqfd.RESAMPLEFD", "kvm_irqfd", "resamplefd");
        off("Ioeventfd.DATAMATCH", "kvm_ioeventfd", "datamatch");
        off("Ioeventfd.ADDR", "kvm_ioeventfd", "addr");
        off("Ioeventfd.LEN", "kvm_ioeventfd", "len");
        off("Ioeventfd.FD", "kvm_ioeventfd", "fd");
        off("Ioeventfd.FLAGS", "kvm_ioeventfd", "flags");
        off("PitConfig.FLAGS", "kvm_pit_config", "flags");
        c("PitConfig.SPEAKER_DUMMY", "KVM_PIT_SPEAKER_DUMMY");
        off("ClockData.CLOCK", "kvm_clock_data", "clock");
        off("ClockData.FLAGS", "kvm_clock_data", "flags");
        off("ClockData.REALTIME", "kvm_clock_data", "realtime");
        off("ClockData.HOST_TSC", "kvm_clock_data", "host_tsc");
        off("DirtyLog.SLOT", "kvm_dirty_log", "slot");
        off("DirtyLog.DIRTY_BITMAP", "kvm_dirty_log", "dirty_bitmap");
        off("IrqLevel.IRQ", "kvm_irq_level", "irq");
        off("IrqLevel.LEVEL", "kvm_irq_level", "level");
        for (KvmCapability cap : KvmCapability.values()) {
            c("KvmCapability." + cap.name(), cap.cName());
        }
    }

    @Test
    void everyConstantMatchesTheSystemHeaders(@TempDir Path dir) throws Exception {
        Map<String, Long> java = javaValues();
        assertThat(EXPECTED.keySet())
                .as("every constant of KvmAbi and KvmCapability must be checked against <linux/kvm.h>")
                .containsExactlyInAnyOrderElementsOf(java.keySet());

        Map<String, Long> fromC = runCProgram(dir);
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, String> e : EXPECTED.entrySet()) {
            long j = java.get(e.getKey());
            long c = fromC.get(e.getKey());
            if (j != c) {
                mismatches.add("%s = %d (0x%x) but C %s = %d (0x%x)".formatted(e.getKey(), j, j, e.getValue(), c, c));
            }
        }
        assertThat(mismatches).as("Java constants that differ from <linux/kvm.h>").isEmpty();
    }

    @Test
    void ioctlNumbersFollowAsmGenericIoctlEncoding() {
        // Two values quoted in the kernel's Documentation/virt/kvm/api.rst examples and every VMM's source.
        assertThat(KvmAbi.KVM_RUN).isEqualTo(0xAE80L);
        assertThat(KvmAbi.KVM_SET_USER_MEMORY_REGION).isEqualTo(0x4020AE46L);
    }

    private static Map<String, Long> javaValues() throws IllegalAccessException {
        Map<String, Long> values = new HashMap<>();
        collect(KvmAbi.class, "", values);
        for (Class<?> nested : KvmAbi.class.getDeclaredClasses()) {
            collect(nested, nested.getSimpleName() + ".", values);
        }
        for (KvmCapability cap : KvmCapability.values()) {
            values.put("KvmCapability." + cap.name(), (long) cap.number());
        }
        return values;
    }

    private static void collect(Class<?> type, String prefix, Map<String, Long> into) throws IllegalAccessException {
        for (Field f : type.getDeclaredFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || Modifier.isPrivate(m)) {
                continue;
            }
            f.setAccessible(true);
            if (f.getType() == int.class) {
                into.put(prefix + f.getName(), (long) f.getInt(null));
            } else if (f.getType() == long.class) {
                into.put(prefix + f.getName(), f.getLong(null));
            }
        }
    }

    private static Map<String, Long> runCProgram(Path dir) throws IOException, InterruptedException {
        StringBuilder src = new StringBuilder("""
                #include <stddef.h>
                #include <stdio.h>
                #include <linux/kvm.h>
                int main(void) {
                """);
        for (Map.Entry<String, String> e : EXPECTED.entrySet()) {
            src.append("    printf(\"%s %lld\\n\", \"").append(e.getKey()).append("\", (long long) (")
                    .append(e.getValue()).append("));\n");
        }
        src.append("    return 0;\n}\n");
        Path c = dir.resolve("kvm_layout.c");
        Path exe = dir.resolve("kvm_layout");
        Files.writeString(c, src);

        String gccOut = exec(List.of("gcc", "-O0", "-o", exe.toString(), c.toString()), dir,
                "gcc is required for KvmLayoutTest (apt-get install gcc linux-libc-dev)");
        if (!Files.isExecutable(exe)) {
            fail("gcc did not build the layout program:\n" + gccOut);
        }
        String out = exec(List.of(exe.toString()), dir, "the layout program did not run");
        Map<String, Long> values = new HashMap<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                String[] parts = line.trim().split(" ");
                values.put(parts[0], Long.parseLong(parts[1]));
            }
        }
        assertThat(values.keySet()).containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
        return values;
    }

    private static String exec(List<String> cmd, Path dir, String whatIfMissing)
            throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(whatIfMissing + ": " + e.getMessage(), e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + text);
        }
        return text;
    }
}
