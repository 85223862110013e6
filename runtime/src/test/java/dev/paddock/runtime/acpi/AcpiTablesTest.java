package dev.paddock.runtime.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tables as an OS sees them: written into guest memory for 2 vCPUs and 3 virtio devices, read back,
 * and decompiled by ACPICA's {@code iasl -d}, the same parser family Linux uses.
 */
class AcpiTablesTest {

    private static final AcpiConfig CONFIG = AcpiConfig.standard(2, 3);

    @TempDir
    Path dir;

    private GuestMemory memory;
    private WrittenAcpiTables written;

    @BeforeEach
    void writeTables() {
        memory = HeapGuestMemory.ofSize(2 << 20);
        written = AcpiTables.write(memory, CONFIG);
    }

    private byte[] read(TableRange range) {
        byte[] bytes = new byte[range.length()];
        memory.read(range.address(), bytes, 0, bytes.length);
        return bytes;
    }

    private Path dump(String signature) throws IOException {
        Path file = dir.resolve(signature.toLowerCase() + ".dat");
        Files.write(file, read(written.table(signature)));
        return file;
    }

    /** Disassembles one table and checks iasl found nothing wrong: no bad checksum, no error or warning. */
    private String disassembleCleanly(String signature) throws IOException {
        Path file = dump(signature);
        Iasl.Result result = Iasl.disassemble(file);
        assertThat(result.exitCode()).as("iasl -d exit code; output:\n%s", result.output()).isZero();
        assertThat(result.output()).as("iasl -d output for %s", signature)
                .contains("ACPI: " + signature)
                .doesNotContainIgnoringCase("Incorrect checksum")
                .doesNotContainIgnoringCase("error")
                .doesNotContainIgnoringCase("warning");
        String dsl = Iasl.dsl(file);
        assertThat(dsl).doesNotContainIgnoringCase("Incorrect checksum");
        return dsl;
    }

    @Test
    void tablesSitWhereTheLayoutSays() {
        assertThat(written.rsdpAddress()).isEqualTo(Layout.RSDP);
        assertThat(written.tables()).extracting(TableRange::signature).containsExactly("DSDT", "FACP", "APIC", "XSDT", "RSDP");
        assertThat(written.table("DSDT").address()).isEqualTo(Layout.ACPI_TABLES);
        for (TableRange range : written.tables()) {
            if (!range.signature().equals("RSDP")) {
                assertThat(range.end()).as(range.signature()).isLessThanOrEqualTo(Layout.RSDP);
                assertThat(range.address() % 8).as(range.signature() + " alignment").isZero();
            }
        }
        List<TableRange> sorted = written.tables();
        for (int i = 1; i < sorted.size(); i++) {
            assertThat(sorted.get(i).address()).isGreaterThanOrEqualTo(sorted.get(i - 1).end());
        }
    }

    @Test
    void rsdpHasBothChecksumsAndPointsToTheXsdt() {
        byte[] rsdp = new byte[36];
        memory.read(written.rsdpAddress(), rsdp, 0, rsdp.length);
        ByteBuffer le = ByteBuffer.wrap(rsdp).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(rsdp, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("RSD PTR ");
        assertThat(new String(rsdp, 9, 6, StandardCharsets.US_ASCII)).isEqualTo("PADDCK");
        assertThat(rsdp[15]).as("revision").isEqualTo((byte) 2);
        assertThat(le.getInt(16)).as("RsdtAddress").isZero();
        assertThat(le.getInt(20)).as("Length").isEqualTo(36);
        assertThat(le.getLong(24)).as("XsdtAddress").isEqualTo(written.table("XSDT").address());
        // ACPI 6.5 §5.2.5.3: bytes 0-19 sum to zero (checksum), and bytes 0-35 (extended checksum).
        assertThat(sum(rsdp, 0, 20)).isZero();
        assertThat(sum(rsdp, 0, 36)).isZero();
        assertThat(rsdp[8]).as("checksum is not trivially zero for this content").isNotZero();
    }

    @Test
    void xsdtListsFadtAndMadtAndFadtPointsToDsdt() throws IOException {
        byte[] xsdt = read(written.table("XSDT"));
        ByteBuffer le = ByteBuffer.wrap(xsdt).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(le.getInt(4)).isEqualTo(36 + 16);
        assertThat(le.getLong(36)).isEqualTo(written.table("FACP").address());
        assertThat(le.getLong(44)).isEqualTo(written.table("APIC").address());
        byte[] fadt = read(written.table("FACP"));
        assertThat(ByteBuffer.wrap(fadt).order(ByteOrder.LITTLE_ENDIAN).getLong(140)).as("X_DSDT").isEqualTo(written.table("DSDT").address());
        for (TableRange range : written.tables()) {
            if (!range.signature().equals("RSDP")) {
                byte[] table = read(range);
                assertThat(sum(table, 0, table.length)).as(range.signature() + " checksum").isZero();
                assertThat(ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN).getInt(4)).as(range.signature() + " length").isEqualTo(table.length);
            }
        }

        String dsl = disassembleCleanly("XSDT");
        assertThat(dsl).contains("Signature : \"XSDT\"")
                .containsPattern("ACPI Table Address   0 : 0*%X\\b".formatted(written.table("FACP").address()))
                .containsPattern("ACPI Table Address   1 : 0*%X\\b".formatted(written.table("APIC").address()));
    }

    @Test
    void fadtIsHardwareReducedRevisionSix() throws IOException {
        String dsl = disassembleCleanly("FACP");
        assertThat(dsl).contains("Signature : \"FACP\"")
                .containsPattern("Revision : 06")
                .containsPattern("Oem ID : \"PADDCK\"")
                .containsPattern("Oem Table ID : \"PADDOCK \"")
                .containsPattern("Asl Compiler ID : \"PDCK\"")
                .containsPattern("FADT Minor Revision : 05")
                .containsPattern("Flags \\(decoded below\\) : 00100430")
                .containsPattern("Control Method Power Button \\(V1\\) : 1")
                .containsPattern("Control Method Sleep Button \\(V1\\) : 1")
                .containsPattern("Hardware Reduced \\(V5\\) : 1")
                .containsPattern("8042 Present on ports 60/64 \\(V2\\) : 1")
                .containsPattern("VGA Not Present \\(V4\\) : 1")
                .containsPattern("CMOS RTC Not Present \\(V5\\) : 1")
                .containsPattern("\\] +DSDT Address : 0*A0000\\b")
                // "PADDOCK " read as a little-endian u64.
                .containsPattern("Hypervisor ID : 204B434F44444150");
    }

    @Test
    void fadtNamesThePowerControlPortAsSleepAndResetRegisters() throws IOException {
        String dsl = disassembleCleanly("FACP");
        assertThat(dsl).containsPattern("Reset Register Supported \\(V2\\) : 1")
                .containsPattern("Value to cause reset : 01");
        for (String register : List.of("Reset Register", "Sleep Control Register", "Sleep Status Register")) {
            assertThat(dsl).containsPattern((register + " : \\[Generic Address Structure\\]\\s+\\[[^]]+\\]\\s+Space ID : 01 \\[SystemIO\\]"
                    + "\\s+\\[[^]]+\\]\\s+Bit Width : 08\\s+\\[[^]]+\\]\\s+Bit Offset : 00\\s+\\[[^]]+\\]\\s+Encoded Access Width : 01 \\[Byte Access:8\\]"
                    + "\\s+\\[[^]]+\\]\\s+Address : 0000000000000600"));
        }
        assertThat(disassembleCleanly("DSDT")).containsPattern("Name \\(\\\\_S5, Package \\(0x04\\)\\s+// _S5_: S5 System State\\s+\\{\\s+0x05,\\s+Zero,\\s+Zero,\\s+Zero\\s+\\}\\)");
    }

    @Test
    void withoutPowerControlThereAreNoSleepRegistersAndNoS5() throws IOException {
        written = AcpiTables.write(memory, new AcpiConfig(2, CONFIG.virtioDevices(), true, true, false));
        String fadt = disassembleCleanly("FACP");
        assertThat(fadt).containsPattern("Flags \\(decoded below\\) : 00100030")
                .containsPattern("Reset Register Supported \\(V2\\) : 0")
                .containsPattern("Sleep Control Register : \\[Generic Address Structure\\]\\s+\\[[^]]+\\]\\s+Space ID : 00")
                .doesNotContain("Address : 0000000000000600");
        assertThat(disassembleCleanly("DSDT")).doesNotContain("_S5");
    }

    @Test
    void fadtLeaves8042BitClearWithoutAnI8042() throws IOException {
        written = AcpiTables.write(memory, new AcpiConfig(1, List.of(), true, false));
        assertThat(disassembleCleanly("FACP")).containsPattern("8042 Present on ports 60/64 \\(V2\\) : 0");
    }

    @Test
    void madtHasOneLocalApicPerVcpuAndTheIoApic() throws IOException {
        String dsl = disassembleCleanly("APIC");
        assertThat(dsl).contains("Signature : \"APIC\"")
                .containsPattern("Revision : 06")
                .containsPattern("Local Apic Address : FEE00000")
                .containsPattern("PC-AT Compatibility : 0");
        assertThat(count(dsl, "Subtable Type : 00 \\[Processor Local APIC\\]")).isEqualTo(2);
        assertThat(count(dsl, "Subtable Type : 01 \\[I/O APIC\\]")).isEqualTo(1);
        assertThat(count(dsl, "Subtable Type : 02")).as("no interrupt source override").isZero();
        for (int cpu = 0; cpu < 2; cpu++) {
            assertThat(dsl).containsPattern("Processor ID : 0%d\\s+\\[[^]]+\\]\\s+Local Apic ID : 0%d\\s+\\[[^]]+\\]\\s+Flags \\(decoded below\\) : 00000001\\s+Processor Enabled : 1"
                    .formatted(cpu, cpu));
        }
        assertThat(dsl).containsPattern("I/O Apic ID : 00\\s+\\[[^]]+\\]\\s+Reserved : 00\\s+\\[[^]]+\\]\\s+Address : FEC00000\\s+\\[[^]]+\\]\\s+Interrupt : 00000000");
    }

    @Test
    void madtScalesToTheLargestConfig() throws IOException {
        written = AcpiTables.write(memory, AcpiConfig.standard(AcpiConfig.MAX_VCPUS, 19));
        String dsl = disassembleCleanly("APIC");
        assertThat(count(dsl, "\\[Processor Local APIC\\]")).isEqualTo(254);
        assertThat(dsl).containsPattern("Local Apic ID : FD");
        assertThat(count(disassembleCleanly("DSDT"), "\"LNRO0005\"")).isEqualTo(19);
    }

    @Test
    void dsdtDescribesEachVirtioDeviceCom1AndTheKeyboard() throws IOException {
        String dsl = disassembleCleanly("DSDT");
        assertThat(dsl).contains("DefinitionBlock (\"\", \"DSDT\", 2, \"PADDCK\", \"PADDOCK \", 0x00000001)")
                .contains("Scope (\\_SB)");
        assertThat(count(dsl, "Name \\(_HID, \"LNRO0005\"\\)")).isEqualTo(3);
        for (int n = 0; n < 3; n++) {
            VirtioMmioSlot slot = CONFIG.virtioDevices().get(n);
            assertThat(deviceBlock(dsl, "V00" + n))
                    .contains("Name (_HID, \"LNRO0005\")")
                    .containsPattern("Name \\(_UID, (%s)\\)".formatted(n == 0 ? "Zero" : n == 1 ? "One" : "0x0" + n))
                    .contains("Name (_CCA, One)")
                    .containsPattern("Memory32Fixed \\(ReadWrite,\\s+0x%08X,\\s+// Address Base\\s+0x00001000,\\s+// Address Length".formatted(slot.base()))
                    .containsPattern("Interrupt \\(ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, \\)\\s+\\{\\s+0x%08X,\\s+\\}".formatted(slot.gsi()));
        }
        assertThat(deviceBlock(dsl, "COM1"))
                .contains("Name (_HID, EisaId (\"PNP0501\")")
                .containsPattern("IO \\(Decode16,\\s+0x03F8,\\s+// Range Minimum\\s+0x03F8,\\s+// Range Maximum\\s+0x01,\\s+// Alignment\\s+0x08,\\s+// Length")
                .containsPattern("IRQNoFlags \\(\\)\\s+\\{4\\}");
        assertThat(deviceBlock(dsl, "PS2K"))
                .contains("Name (_HID, EisaId (\"PNP0303\")")
                .containsPattern("IO \\(Decode16,\\s+0x0060,\\s+// Range Minimum\\s+0x0060,")
                .containsPattern("IO \\(Decode16,\\s+0x0064,\\s+// Range Minimum\\s+0x0064,")
                .containsPattern("IRQNoFlags \\(\\)\\s+\\{1\\}");
    }

    @Test
    void dsdtAloneRecompilesToTheSameAml() throws IOException {
        // The DSDT needs no other table to resolve (no External()), and iasl compiling its own
        // disassembly with optimizations off yields exactly our AML: the encoder agrees with ACPICA.
        Path dsdt = dump("DSDT");
        Iasl.Result disassembly = Iasl.disassemble(dsdt);
        assertThat(disassembly.output()).doesNotContainIgnoringCase("error").doesNotContainIgnoringCase("warning").doesNotContain("External");
        Iasl.Result compile = Iasl.compileUnoptimized(dsdt.resolveSibling("dsdt.dsl"), "recompiled");
        assertThat(compile.exitCode()).as("iasl output:\n%s", compile.output()).isZero();
        assertThat(compile.output()).contains("0 Errors, 0 Warnings");
        byte[] ours = read(written.table("DSDT"));
        byte[] theirs = Files.readAllBytes(dir.resolve("recompiled.aml"));
        assertThat(Arrays.copyOfRange(theirs, 36, theirs.length)).isEqualTo(Arrays.copyOfRange(ours, 36, ours.length));
    }

    @Test
    void aCorruptedChecksumIsCaught() throws IOException {
        // Proves the checksum assertions above can fail: iasl reports a table whose bytes do not sum to zero.
        TableRange madt = written.table("APIC");
        memory.writeByte(madt.address() + 9, (byte) (memory.readByte(madt.address() + 9) + 1));
        Path file = dump("APIC");
        Iasl.Result result = Iasl.disassemble(file);
        assertThat(result.output()).contains("Incorrect checksum");
        assertThat(Iasl.dsl(file)).contains("Incorrect checksum");
    }

    @Test
    void guestMemoryMustCoverTheAcpiArea() {
        GuestMemory small = HeapGuestMemory.ofSize(0x9F000);
        assertThatThrownBy(() -> AcpiTables.write(small, CONFIG))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ACPI table DSDT at [0xA0000")
                .hasMessageContaining("guest memory must cover [0, 0x100000)");
    }

    private static String deviceBlock(String dsl, String name) {
        int start = dsl.indexOf("Device (" + name + ")");
        assertThat(start).as("Device (%s) in the DSDT", name).isNotNegative();
        int end = dsl.indexOf("Device (", start + 1);
        return dsl.substring(start, end < 0 ? dsl.length() : end);
    }

    private static int count(String text, String regex) {
        return (int) Pattern.compile(regex).matcher(text).results().count();
    }

    private static int sum(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i];
        }
        return sum & 0xFF;
    }
}
