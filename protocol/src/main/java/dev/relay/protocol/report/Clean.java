package dev.relay.protocol.report;

/** Bounds and cleans strings from a report: control and format characters become spaces, runs of space collapse. */
final class Clean {
    private Clean() {
    }

    /** At most {@code max} chars of {@code raw}, cleaned, or with {@code cut[0]} set when something was cut. */
    static String text(CharSequence raw, int max, boolean[] cut) {
        StringBuilder out = new StringBuilder(Math.min(raw.length(), max));
        boolean space = true; // drops leading space
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            boolean blank = Character.isWhitespace(c) || Character.isISOControl(c)
                    || Character.getType(c) == Character.FORMAT || c == '\u2028' || c == '\u2029' || c == '\uFFFD';
            if (blank) {
                if (!space) {
                    out.append(' ');
                    space = true;
                }
                continue;
            }
            if (out.length() >= max) {
                cut[0] = true;
                break;
            }
            out.append(c);
            space = false;
        }
        int end = out.length();
        while (end > 0 && out.charAt(end - 1) == ' ') {
            end--;
        }
        if (end > max) {
            end = max;
        }
        if (end > 0 && Character.isHighSurrogate(out.charAt(end - 1))) {
            end--;
        }
        out.setLength(end);
        return out.toString();
    }
}
