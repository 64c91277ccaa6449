package dev.relay.protocol.dkim;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The header fields of a message, found in its bytes without copying the body: each field as its raw bytes
 * (folded lines included, final CRLF included) and its lower-case name. The header section ends at the first empty
 * line; a message without one is all header. Lines that are not fields (no colon) are kept with an empty name, so
 * they are never signed.
 */
public final class HeaderSection {

    /** One field exactly as it is in the message. */
    public record Field(String lowerName, byte[] raw) {
    }

    private final List<Field> fields;
    private final int bodyOffset;

    private HeaderSection(List<Field> fields, int bodyOffset) {
        this.fields = fields;
        this.bodyOffset = bodyOffset;
    }

    /** Reads the header section of the readable bytes of {@code message}; does not move its indexes. */
    public static HeaderSection parse(ByteBuf message) {
        int start = message.readerIndex();
        int end = message.writerIndex();
        List<Field> fields = new ArrayList<>();
        int fieldStart = -1;
        int lineStart = start;
        while (lineStart < end) {
            int lf = message.indexOf(lineStart, end, (byte) '\n');
            int lineEnd = lf < 0 ? end : lf + 1;
            boolean empty = lineEnd - lineStart <= 2 && message.getByte(lineStart) == '\r' || lf == lineStart;
            if (empty) {
                if (fieldStart >= 0) {
                    fields.add(field(message, fieldStart, lineStart));
                }
                return new HeaderSection(List.copyOf(fields), lineEnd - start);
            }
            byte first = message.getByte(lineStart);
            boolean continuation = first == ' ' || first == '\t';
            if (!continuation) {
                if (fieldStart >= 0) {
                    fields.add(field(message, fieldStart, lineStart));
                }
                fieldStart = lineStart;
            } else if (fieldStart < 0) {
                fieldStart = lineStart;
            }
            lineStart = lineEnd;
        }
        if (fieldStart >= 0) {
            fields.add(field(message, fieldStart, end));
        }
        return new HeaderSection(List.copyOf(fields), end - start);
    }

    private static Field field(ByteBuf message, int from, int to) {
        byte[] raw = new byte[to - from];
        message.getBytes(from, raw);
        int colon = -1;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == ':') {
                colon = i;
                break;
            }
            if (raw[i] == '\r' || raw[i] == '\n') {
                break;
            }
        }
        String name = colon < 0 ? "" : new String(raw, 0, colon, StandardCharsets.ISO_8859_1).strip()
                .toLowerCase(Locale.ROOT);
        return new Field(name, raw);
    }

    public List<Field> fields() {
        return fields;
    }

    /** Where the body starts, counted from the reader index of the parsed buffer. */
    public int bodyOffset() {
        return bodyOffset;
    }

    /** Whether a field named {@code name} (any case) is present. */
    public boolean has(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (Field field : fields) {
            if (field.lowerName().equals(lower)) {
                return true;
            }
        }
        return false;
    }

    /** The value of the first field named {@code name}, unfolded, as ISO-8859-1 text (bytes kept), or null. */
    public @org.jspecify.annotations.Nullable String firstValue(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (Field field : fields) {
            if (field.lowerName().equals(lower)) {
                String text = new String(field.raw(), StandardCharsets.ISO_8859_1);
                return text.substring(text.indexOf(':') + 1).replace("\r\n", "").replace("\n", "").strip();
            }
        }
        return null;
    }

    /**
     * The field under "relaxed" header canonicalisation (RFC 6376 section 3.4.2): name in lower case, value
     * unfolded, whitespace runs as one SP, no whitespace around the colon or at the end, then CRLF.
     */
    static byte[] relaxed(byte[] raw) {
        byte[] out = new byte[raw.length + 2];
        int n = 0;
        int i = 0;
        while (i < raw.length && raw[i] != ':') {
            byte b = raw[i++];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                out[n++] = (byte) (b >= 'A' && b <= 'Z' ? b + 32 : b);
            }
        }
        out[n++] = ':';
        i++;
        boolean space = false;
        boolean started = false;
        for (; i < raw.length; i++) {
            byte b = raw[i];
            if (b == '\r' || b == '\n') {
                continue;
            }
            if (b == ' ' || b == '\t') {
                space = started;
                continue;
            }
            if (space) {
                out[n++] = ' ';
                space = false;
            }
            out[n++] = b;
            started = true;
        }
        out[n++] = '\r';
        out[n++] = '\n';
        return java.util.Arrays.copyOf(out, n);
    }
}
