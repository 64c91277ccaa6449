package dev.relay.engine.server;

/**
 * Client-controlled strings (a decoded AUTH user name, an envelope address) made safe for a text log line: control
 * characters, DEL and backslash are written as escapes ({@code \r}, {@code \n}, {@code \x1b}, {@code \\}), so a
 * client can neither forge a log line nor send terminal escapes to whoever reads the log; at most 256 characters.
 */
final class LogText {
    static final int MAX_LENGTH = 256;

    private LogText() {
    }

    static String escape(String value) {
        int length = Math.min(value.length(), MAX_LENGTH);
        StringBuilder out = new StringBuilder(length + 8);
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\x%02x", (int) c & 0xff));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (value.length() > MAX_LENGTH) {
            out.append("...");
        }
        return out.toString();
    }
}
