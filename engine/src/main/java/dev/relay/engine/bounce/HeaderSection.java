package dev.relay.engine.bounce;

import java.io.ByteArrayOutputStream;

/**
 * The original's header section as returned in a DSN (RFC 3462 text/rfc822-headers): every line up to the first
 * empty one, with CRLF line ends, lines of at most 998 octets, and at most {@link #MAX_BYTES} in all, cut at a line
 * end. The spool holds CRLF content of short lines, so normally this is a plain copy; the rest guards against
 * content that did not come through our SMTP door.
 */
final class HeaderSection {
    static final int MAX_BYTES = 64 * 1024;
    static final int MAX_LINE = 998;

    private HeaderSection() {
    }

    static byte[] extract(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(content.length, 4096));
        int start = 0;
        while (start < content.length) {
            int end = start;
            while (end < content.length && content[end] != '\r' && content[end] != '\n') {
                end++;
            }
            if (end == start && end < content.length) {
                break; // the empty line: the body starts after it
            }
            if (!appendLine(out, content, start, end)) {
                break;
            }
            start = skipLineEnd(content, end);
        }
        return out.toByteArray();
    }

    /** Appends one line, split into continuation lines when too long; false once the size cap is reached. */
    private static boolean appendLine(ByteArrayOutputStream out, byte[] content, int from, int to) {
        int chunk = Math.min(to - from, MAX_LINE);
        if (out.size() + chunk + 2 > MAX_BYTES) {
            return false;
        }
        out.write(content, from, chunk);
        out.write('\r');
        out.write('\n');
        for (int at = from + chunk; at < to; at += chunk) {
            chunk = Math.min(to - at, MAX_LINE - 1);
            if (out.size() + chunk + 3 > MAX_BYTES) {
                return false;
            }
            out.write(' ');
            out.write(content, at, chunk);
            out.write('\r');
            out.write('\n');
        }
        return true;
    }

    private static int skipLineEnd(byte[] content, int at) {
        if (at < content.length && content[at] == '\r') {
            at++;
        }
        if (at < content.length && content[at] == '\n') {
            at++;
        }
        return at;
    }
}
