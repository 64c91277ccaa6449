package dev.relay.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Client-side DATA transparency (RFC 5321 4.5.2) for content stored unstuffed with CRLF line ends: a line that
 * starts with '.' gets one more, and content that does not end with CRLF gets one, so that the terminating
 * {@code .CRLF} (written by codec-smtp's {@code LastSmtpContent}) starts a line of its own.
 *
 * <p>Zero copy: the result wraps the caller's array (slices of it, with one-byte "." pieces between them where
 * stuffing is needed), so the array must not change until the buffer is written. A '.' after a bare LF is stuffed
 * too: a receiver that treats bare LF as a line end must never see an end of data we did not mean (SMTP smuggling).
 */
public final class DotStuffing {
    private static final byte[] DOT = {'.'};
    private static final byte[] CRLF = {'\r', '\n'};

    private DotStuffing() {
    }

    /** The content as it goes on the wire between {@code DATA}'s 354 and the final {@code .CRLF}. */
    public static ByteBuf stuff(byte[] content) {
        boolean endsWithCrlf = content.length >= 2 && content[content.length - 2] == '\r'
                && content[content.length - 1] == '\n';
        int first = nextLineStartingWithDot(content, 0);
        if (first < 0) {
            if (endsWithCrlf || content.length == 0) {
                return Unpooled.wrappedBuffer(content);
            }
            return Unpooled.wrappedBuffer(content, CRLF);
        }
        CompositeByteBuf out = Unpooled.compositeBuffer(Integer.MAX_VALUE);
        int from = 0;
        for (int dot = first; dot >= 0; dot = nextLineStartingWithDot(content, dot + 1)) {
            if (dot > from) {
                out.addComponent(true, Unpooled.wrappedBuffer(content, from, dot - from));
            }
            out.addComponent(true, Unpooled.wrappedBuffer(DOT));
            from = dot; // the original dot stays, after the added one
        }
        out.addComponent(true, Unpooled.wrappedBuffer(content, from, content.length - from));
        if (!endsWithCrlf) {
            out.addComponent(true, Unpooled.wrappedBuffer(CRLF));
        }
        return out;
    }

    /** Index of the next '.' at or after {@code from} that starts a line, or -1. */
    static int nextLineStartingWithDot(byte[] content, int from) {
        for (int i = from; i < content.length; i++) {
            if (content[i] == '.' && (i == 0 || content[i - 1] == '\n')) {
                return i;
            }
        }
        return -1;
    }
}
