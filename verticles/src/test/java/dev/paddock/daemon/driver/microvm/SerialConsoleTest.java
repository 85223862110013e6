package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.driver.BootListener;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SerialConsoleTest {
    private final List<String> lines = new ArrayList<>();
    private final SerialConsole console = new SerialConsole(new BootListener() {
        @Override
        public void progress(String step, String detail) { }

        @Override
        public void console(String line) {
            lines.add(line);
        }
    });

    private void write(String s) {
        console.output(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void linesSplitAcrossWritesAndCarriageReturnsDropped() {
        write("[    0.000000] Linux ver");
        write("sion 6.1\r\nPADDOCK-AGENT-READY version=1\r");
        write("\n");
        assertThat(lines).containsExactly("[    0.000000] Linux version 6.1", "PADDOCK-AGENT-READY version=1");
        assertThat(console.lastLine()).isEqualTo("PADDOCK-AGENT-READY version=1");
        assertThat(console.panicked()).isFalse();
    }

    @Test
    void anEndlessLineIsCutAtTheBound() {
        write("x".repeat(SerialConsole.MAX_LINE_BYTES * 2 + 5));
        assertThat(lines).hasSize(2).allSatisfy(l -> assertThat(l).hasSize(SerialConsole.MAX_LINE_BYTES));
    }

    @Test
    void theTailKeepsTheLastLinesOnly() {
        assertThat(console.tail()).contains("printed nothing");
        for (int i = 0; i < SerialConsole.TAIL_LINES + 10; i++) {
            write("line " + i + "\n");
        }
        String tail = console.tail();
        assertThat(tail.lines()).hasSize(SerialConsole.TAIL_LINES);
        assertThat(tail).startsWith("line 10\n").endsWith("line " + (SerialConsole.TAIL_LINES + 9));
    }

    @Test
    void aKernelPanicIsNoticed() {
        write("Kernel panic - not syncing: Attempted to kill init!\n");
        assertThat(console.panicked()).isTrue();
    }
}
