package dev.relay.protocol.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The body of a {@code message/delivery-status} or {@code message/feedback-report} part: groups of
 * {@code Name: value} fields (folded like header fields) separated by blank lines (RFC 3464 2.1, RFC 5965 3.1).
 * This is not MIME (Mime4j has already decoded the part); grouping by blank lines is what Mime4j does not do.
 */
final class FieldBlocks {
    private static final int MAX_NAME = 100;
    private static final int MAX_FIELDS_PER_BLOCK = 100;

    private FieldBlocks() {
    }

    private record Entry(String name, StringBuilder value) {
    }

    /** At most {@code maxBlocks} blocks; {@link Limit#RECIPIENTS} or {@link Limit#LENGTH} added when cut. */
    static List<List<HeaderField>> parse(String text, int maxBlocks, int maxFieldChars, Set<Limit> limits) {
        List<List<HeaderField>> blocks = new ArrayList<>();
        List<Entry> block = new ArrayList<>();
        int rawMax = maxFieldChars * 2; // before cleaning collapses the folding whitespace
        @Nullable StringBuilder value = null;
        int from = 0;
        while (from < text.length()) {
            int nl = text.indexOf('\n', from);
            int to = nl < 0 ? text.length() : nl;
            String line = text.substring(from, to > from && text.charAt(to - 1) == '\r' ? to - 1 : to);
            from = to + 1;
            if (line.isBlank()) {
                if (!block.isEmpty()) {
                    if (blocks.size() >= maxBlocks) {
                        limits.add(Limit.RECIPIENTS);
                        return blocks;
                    }
                    blocks.add(finish(block, maxFieldChars, limits));
                    block = new ArrayList<>();
                }
                value = null;
            } else if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                if (value != null && value.length() < rawMax) {
                    value.append(' ').append(line, 0, Math.min(line.length(), rawMax));
                }
            } else {
                int colon = line.indexOf(':');
                String name = colon < 1 ? "" : line.substring(0, colon).strip();
                if (name.isEmpty() || name.length() > MAX_NAME || !isFieldName(name)
                        || block.size() >= MAX_FIELDS_PER_BLOCK) {
                    value = null; // not a field: skipped, with its continuation lines
                    continue;
                }
                value = new StringBuilder(line.substring(colon + 1, Math.min(line.length(), colon + 1 + rawMax)));
                block.add(new Entry(name, value));
            }
        }
        if (!block.isEmpty()) {
            if (blocks.size() >= maxBlocks) {
                limits.add(Limit.RECIPIENTS);
            } else {
                blocks.add(finish(block, maxFieldChars, limits));
            }
        }
        return blocks;
    }

    /** The first value of field {@code name} (any case) in {@code block}, or null. */
    static @Nullable String get(List<HeaderField> block, String name) {
        for (HeaderField field : block) {
            if (field.name().equalsIgnoreCase(name)) {
                return field.value().isEmpty() ? null : field.value();
            }
        }
        return null;
    }

    /** Every non-empty value of field {@code name}, at most {@code max} ({@link Limit#RECIPIENTS} beyond). */
    static List<String> all(List<HeaderField> block, String name, int max, Set<Limit> limits) {
        List<String> values = new ArrayList<>();
        for (HeaderField field : block) {
            if (field.name().equalsIgnoreCase(name) && !field.value().isEmpty()) {
                if (values.size() >= max) {
                    limits.add(Limit.RECIPIENTS);
                    break;
                }
                values.add(field.value());
            }
        }
        return values;
    }

    private static List<HeaderField> finish(List<Entry> block, int maxFieldChars, Set<Limit> limits) {
        List<HeaderField> fields = new ArrayList<>(block.size());
        boolean[] cut = new boolean[1];
        for (Entry e : block) {
            fields.add(new HeaderField(e.name,
                    Clean.text(e.value, maxFieldChars, cut)));
        }
        if (cut[0]) {
            limits.add(Limit.LENGTH);
        }
        return fields;
    }

    /** RFC 5322 ftext: printable ASCII except colon. */
    private static boolean isFieldName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 33 || c > 126) {
                return false;
            }
        }
        return true;
    }
}
