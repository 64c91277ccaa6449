package dev.relay.engine.server;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads fields of a message's header section in place (no copy of the message): the unfolded values of every field
 * of one name, and the domains of the addresses in a From field. The header section ends where
 * {@link PriorityHeader} says it does: at the first empty line or the first line that is neither a field nor a
 * continuation. Values are decoded as UTF-8 (RFC 6532 allows it in header fields with SMTPUTF8).
 */
final class HeaderSection {
    /** No more than this many bytes of one field are read: a hostile header cannot make us build a huge string. */
    static final int MAX_FIELD = 16 * 1024;

    private HeaderSection() {
    }

    /** The unfolded values of every field named {@code name} (case-insensitive), in order. */
    static List<String> values(ByteBuf content, String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        List<String> values = new ArrayList<>(1);
        int end = content.writerIndex();
        int line = content.readerIndex();
        StringBuilder current = null;
        while (line < end) {
            int lf = content.forEachByte(line, end - line, ByteProcessor.FIND_LF);
            int next = lf < 0 ? end : lf + 1;
            byte first = content.getByte(line);
            if (first == ' ' || first == '\t') {
                if (current != null) {
                    append(current, content, line, next);
                }
                line = next;
                continue;
            }
            if (current != null) {
                values.add(current.toString().strip());
                current = null;
            }
            int colon = colon(content, line, next);
            if (colon < 0) {
                break;
            }
            String field = content.toString(line, colon - line, StandardCharsets.US_ASCII).strip()
                    .toLowerCase(Locale.ROOT);
            if (field.equals(wanted)) {
                current = new StringBuilder();
                append(current, content, colon + 1, next);
            }
            line = next;
        }
        if (current != null) {
            values.add(current.toString().strip());
        }
        return values;
    }

    /**
     * The domains (lower case) of the addresses in a From field's value (RFC 5322 3.6.2, a mailbox list): display
     * names, quoted strings and comments are skipped. Empty when the value holds no address.
     */
    static List<String> addressDomains(String value) {
        String plain = withoutQuotesAndComments(value);
        List<String> domains = new ArrayList<>(1);
        for (String part : plain.split(",")) {
            String address = part;
            int open = part.lastIndexOf('<');
            if (open >= 0) {
                int close = part.indexOf('>', open);
                address = close < 0 ? part.substring(open + 1) : part.substring(open + 1, close);
            }
            address = address.strip();
            int at = address.lastIndexOf('@');
            if (at > 0 && at < address.length() - 1) {
                domains.add(address.substring(at + 1).strip().toLowerCase(Locale.ROOT));
            }
        }
        return domains;
    }

    private static String withoutQuotesAndComments(String value) {
        StringBuilder out = new StringBuilder(value.length());
        boolean quoted = false;
        int comment = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && (quoted || comment > 0)) {
                i++;
            } else if (quoted) {
                quoted = c != '"';
            } else if (c == '(') {
                comment++;
            } else if (c == ')' && comment > 0) {
                comment--;
            } else if (comment == 0) {
                if (c == '"') {
                    quoted = true;
                } else {
                    out.append(c);
                }
            }
        }
        return out.toString();
    }

    private static void append(StringBuilder to, ByteBuf content, int from, int next) {
        int end = next;
        while (end > from && (content.getByte(end - 1) == '\n' || content.getByte(end - 1) == '\r')) {
            end--;
        }
        int room = MAX_FIELD - to.length();
        if (room > 0) {
            to.append(content.toString(from, Math.min(end - from, room), StandardCharsets.UTF_8));
        }
    }

    /** The colon ending a field name on this line (RFC 5322 ftext, optional WSP before it), or -1. */
    private static int colon(ByteBuf content, int line, int next) {
        int i = line;
        while (i < next) {
            byte b = content.getByte(i);
            if (b == ':' || b < 33 || b > 126) {
                break;
            }
            i++;
        }
        if (i == line) {
            return -1;
        }
        while (i < next && (content.getByte(i) == ' ' || content.getByte(i) == '\t')) {
            i++;
        }
        return i < next && content.getByte(i) == ':' ? i : -1;
    }
}
