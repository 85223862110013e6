package dev.paddock.hypervisor.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestScanTest {
    private static final byte[] SECRET = bytes("s3cr3t-value");
    private static final byte[] SHORT = bytes("ab");

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void countsEveryNeedleInEveryRegionAndAcrossChunkBorders() {
        long chunk = GuestScan.CHUNK;
        try (HeapGuestMemory memory = HeapGuestMemory.of(new long[] {0, 3 * chunk}, new long[] {1L << 32, chunk})) {
            assertThat(GuestScan.countInMemory(memory, List.of(SECRET, SHORT))).containsExactly(0, 0);
            memory.write(0, SECRET, 0, SECRET.length);                       // the very first byte
            memory.write(chunk - 5, SECRET, 0, SECRET.length);               // across the first chunk border
            memory.write(2 * chunk + 100, SECRET, 0, SECRET.length);         // inside a chunk
            memory.write(3 * chunk - SECRET.length, SECRET, 0, SECRET.length); // the first region's last bytes
            memory.write((1L << 32) + chunk - SECRET.length, SECRET, 0, SECRET.length); // the second region's end
            memory.write(2 * chunk - 1, SHORT, 0, SHORT.length);             // the short needle across a border
            memory.write(2 * chunk + 500, SHORT, 0, SHORT.length);
            assertThat(GuestScan.countInMemory(memory, List.of(SECRET, SHORT))).containsExactly(5, 2);
            assertThat(GuestScan.countInMemory(memory, List.of(SHORT))).containsExactly(2);
        }
    }

    @Test
    void overlappingOccurrencesCountEach() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(4096)) {
            memory.write(10, bytes("aaaa"), 0, 4);
            assertThat(GuestScan.countInMemory(memory, List.of(bytes("aa")))).containsExactly(3);
        }
    }

    @Test
    void aNeedleWithZeroBytesIsFoundInZeroChunksToo() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(2L * GuestScan.CHUNK)) {
            memory.write(GuestScan.CHUNK - 1, bytes("x"), 0, 1);
            assertThat(GuestScan.countInMemory(memory, List.of(new byte[] {'x', 0, 0}))).containsExactly(1);
        }
    }

    @Test
    void emptyNeedlesAreRefused() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(4096)) {
            assertThatThrownBy(() -> GuestScan.countInMemory(memory, List.of(new byte[0])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not 0");
            assertThatThrownBy(() -> GuestScan.countInMemory(memory, List.of()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
        }
    }

    @Test
    void countsInADiskImageAcrossChunkBordersAndAtItsEnd(@TempDir Path dir) throws Exception {
        int chunk = GuestScan.CHUNK;
        byte[] image = new byte[3 * chunk + 7];
        System.arraycopy(SECRET, 0, image, chunk - 3, SECRET.length);
        System.arraycopy(SECRET, 0, image, image.length - SECRET.length, SECRET.length);
        Path file = Files.write(dir.resolve("disk.img"), image);
        assertThat(GuestScan.countInFile(file, List.of(SECRET, bytes("absent")))).containsExactly(2, 0);
        assertThat(GuestScan.countInFile(Files.write(dir.resolve("empty.img"), new byte[0]), List.of(SECRET)))
                .containsExactly(0);
    }
}
