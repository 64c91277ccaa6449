package dev.relay.engine.admin;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with aligned columns (two spaces apart), numbers right-aligned, for {@code relay queue}. Cells
 * are cleaned of control characters and cut at {@link #MAX_CELL} so one long remote reply cannot wreck the layout.
 */
final class Table {
    static final int MAX_CELL = 80;

    private final List<String> headers;
    private final boolean[] numeric;
    private final List<List<String>> rows = new ArrayList<>();

    /** A header ending in {@code >} (dropped when shown) marks a right-aligned column. */
    Table(String... headers) {
        this.headers = new ArrayList<>();
        this.numeric = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            numeric[i] = headers[i].endsWith(">");
            this.headers.add(numeric[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i]);
        }
    }

    Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.size() + " columns");
        }
        List<String> row = new ArrayList<>(cells.length);
        for (Object c : cells) {
            row.add(clean(c == null ? "-" : c.toString()));
        }
        rows.add(row);
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    String render() {
        int[] width = new int[headers.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, headers, width);
        for (List<String> r : rows) {
            line(out, r, width);
        }
        return out.toString();
    }

    private void line(StringBuilder out, List<String> cells, int[] width) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            String pad = " ".repeat(width[i] - c.length());
            line.append(i == 0 ? "" : "  ").append(numeric[i] ? pad + c : c + pad);
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    static String clean(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_CELL));
        for (int i = 0; i < s.length() && b.length() < MAX_CELL; i++) {
            char c = s.charAt(i);
            b.append(c < ' ' || c == 127 ? ' ' : c);
        }
        if (s.length() > MAX_CELL) {
            b.setLength(MAX_CELL - 1);
            b.append('…');
        }
        return b.toString();
    }
}
