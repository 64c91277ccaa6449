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
