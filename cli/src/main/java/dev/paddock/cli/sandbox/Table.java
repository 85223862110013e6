package dev.paddock.cli.sandbox;

import java.io.PrintStream;
import java.util.List;

/** Left-aligned columns, two spaces apart, the last one unpadded: what `ls` and `ports` print. */
public final class Table {
    private Table() {
    }

    public static void print(PrintStream out, List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                width[i] = Math.max(width[i], String.valueOf(r[i]).length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                String cell = String.valueOf(r[i]);
                line.append(cell);
                if (i < cols - 1) {
                    line.append(" ".repeat(width[i] - cell.length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
