package dev.relay.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A server reply. With an enhanced status, every line carries it (RFC 2034 4), e.g.
 * {@code 250-2.0.0 first} ... {@code 250 2.0.0 last}.
 */
public record SmtpReply(int code, @Nullable EnhancedStatus status, List<String> lines) {
    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code must be 200..599, was " + code);
        }
        if (status != null && status.klass() != code / 100) {
            throw new IllegalArgumentException("enhanced status " + status + " does not match code " + code);
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply needs at least one line");
        }
        for (String line : lines) {
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("reply line contains CR or LF: " + line);
            }
        }
    }

    /** {@code SmtpReply.of(250, "2.1.0", "Ok")}; {@code status} may be null for replies without one. */
    public static SmtpReply of(int code, @Nullable String status, String... lines) {
        Objects.requireNonNull(lines, "lines");
        return new SmtpReply(code, status == null ? null : EnhancedStatus.parse(status), List.of(lines));
    }

    /**
     * A reply as read from a server (the client side): the code and the text of each line. An enhanced status
     * (RFC 2034) is recognised when the first line starts with one of the code's class followed by a space or the
     * end of the line, and it is then removed from every line that repeats it. Throws IllegalArgumentException for
     * a code outside 200..599, which no conforming server sends.
     */
    public static SmtpReply fromWire(int code, List<? extends CharSequence> texts) {
        List<String> lines = new java.util.ArrayList<>(Math.max(1, texts.size()));
        for (CharSequence text : texts) {
            lines.add(text.toString());
        }
        if (lines.isEmpty()) {
            lines.add("");
        }
        EnhancedStatus status = code >= 200 && code < 600 ? leadingStatus(lines.get(0), code / 100) : null;
        if (status != null) {
            String prefix = status.toString();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.startsWith(prefix) && (line.length() == prefix.length() || line.charAt(prefix.length()) == ' ')) {
                    lines.set(i, line.substring(Math.min(line.length(), prefix.length() + 1)));
                }
            }
        }
        return new SmtpReply(code, status, lines);
    }

    private static @Nullable EnhancedStatus leadingStatus(String line, int klass) {
        if (line.isEmpty() || line.charAt(0) != '0' + klass || (klass != 2 && klass != 4 && klass != 5)) {
            return null;
        }
        int space = line.indexOf(' ');
        String word = space < 0 ? line : line.substring(0, space);
        try {
            return EnhancedStatus.parse(word);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** 2xx and 3xx: the command was accepted or its continuation is expected. */
    public boolean isPositive() {
        return code < 400;
    }

    /** Writes the reply in wire format, ASCII digits written directly. Lines are UTF-8 (ASCII in practice). */
    public void encode(ByteBuf out) {
        int last = lines.size() - 1;
        for (int i = 0; i <= last; i++) {
            writeNumber(out, code);
            out.writeByte(i == last ? ' ' : '-');
            if (status != null) {
                out.writeByte('0' + status.klass());
                out.writeByte('.');
                writeNumber(out, status.subject());
                out.writeByte('.');
                writeNumber(out, status.detail());
                out.writeByte(' ');
            }
            ByteBufUtil.writeUtf8(out, lines.get(i));
            out.writeShort(0x0d0a);
        }
    }

    private static void writeNumber(ByteBuf out, int value) {
        if (value >= 100) {
            out.writeByte('0' + value / 100);
        }
        if (value >= 10) {
            out.writeByte('0' + value / 10 % 10);
        }
        out.writeByte('0' + value % 10);
    }

    @Override
    public String toString() {
        return code + (status == null ? "" : " " + status) + " " + String.join(" / ", lines);
    }
}
