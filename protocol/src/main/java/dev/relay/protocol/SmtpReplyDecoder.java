package dev.relay.protocol;

import org.jspecify.annotations.Nullable;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.smtp.DefaultSmtpResponse;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client side's reply decoder, in place of codec-smtp's {@code SmtpResponseDecoder}, which keeps every
 * continuation line of a reply: a server sending an endless {@code 220-} greeting fills the heap long before any
 * timeout. Emits codec-smtp's {@link DefaultSmtpResponse} (code of the last line, text of every line) and bounds
 * everything a server sends:
 * <ul>
 *   <li>a line (without CRLF) longer than {@code maxLineLength} fails as soon as that many octets are buffered
 *       without a line end, so a megabyte without CRLF costs at most {@code maxLineLength};</li>
 *   <li>a reply of more than {@code maxLines} lines or {@code maxBytes} octets (CRLFs included) fails at the line
 *       that crosses the limit;</li>
 *   <li>a line that is not three digits followed by a space, a hyphen or its end fails.</li>
 * </ul>
 * Failures are {@link TooLongFrameException} or {@link CorruptedFrameException}; after one, every further input is
 * discarded, since the conversation cannot be trusted any more (the connection's owner closes it).
 *
 * <p>Text is decoded as UTF-8 (RFC 6531 servers may send it; malformed sequences become U+FFFD) and every control
 * character (C0, DEL, C1; NUL included, TAB as well) becomes {@code '?'}, so what leaves this decoder is safe to log,
 * to tag and to store. A bare LF ends a line too, as it does for codec-smtp. Owned by one channel's event loop.
 */
public final class SmtpReplyDecoder extends ByteToMessageDecoder {
    private final int maxLineLength;
    private final int maxLines;
    private final int maxBytes;
    private List<CharSequence> lines = new ArrayList<>(4);
    private int replyBytes;
    private boolean failed;

    /**
     * @param maxLineLength octets per line without its CRLF
     * @param maxLines lines per reply
     * @param maxBytes octets per reply, CRLFs included
     */
    public SmtpReplyDecoder(int maxLineLength, int maxLines, int maxBytes) {
        if (maxLineLength < 3) {
            throw new IllegalArgumentException("maxLineLength must be >= 3, was " + maxLineLength);
        }
        if (maxLines < 1) {
            throw new IllegalArgumentException("maxLines must be >= 1, was " + maxLines);
        }
        if (maxBytes < 5) {
            throw new IllegalArgumentException("maxBytes must be >= 5, was " + maxBytes);
        }
        this.maxLineLength = maxLineLength;
        this.maxLines = maxLines;
        this.maxBytes = maxBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!failed && in.isReadable()) {
            int lf = in.forEachByte(ByteProcessor.FIND_LF);
            if (lf < 0) {
                int pending = in.readableBytes();
                if (pending > maxLineLength + 1 || replyBytes + pending > maxBytes) { // +1: a CR before the LF
                    throw fail(in, new TooLongFrameException("reply line longer than " + maxLineLength
                            + " octets without a line end"));
                }
                return;
            }
            int wire = lf - in.readerIndex() + 1;
            int length = wire - 1;
            if (length > 0 && in.getByte(lf - 1) == '\r') {
                length--;
            }
            if (length > maxLineLength) {
                throw fail(in, new TooLongFrameException("reply line of " + length + " octets, more than "
                        + maxLineLength));
            }
            replyBytes += wire;
            if (lines.size() + 1 > maxLines || replyBytes > maxBytes) {
                throw fail(in, new TooLongFrameException("reply longer than " + maxLines + " lines or "
                        + maxBytes + " octets"));
            }
            int start = in.readerIndex();
            in.skipBytes(wire);
            DefaultSmtpResponse reply = line(in, start, length);
            if (reply != null) {
                out.add(reply);
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    /** One line at {@code start}: null while the reply goes on, the reply after its last line. */
    private @Nullable DefaultSmtpResponse line(ByteBuf in, int start, int length) {
        int code = length < 3 ? -1 : digit(in, start) * 100 + digit(in, start + 1) * 10 + digit(in, start + 2);
        int separator = length > 3 ? in.getByte(start + 3) : ' ';
        if (code < 0 || (separator != ' ' && separator != '-')) {
            throw fail(in, new CorruptedFrameException("malformed reply line: "
                    + sanitise(in, start, Math.min(length, 64))));
        }
        if (length > 4) {
            lines.add(sanitise(in, start + 4, length - 4));
        }
        if (separator == '-') {
            return null;
        }
        List<CharSequence> details = lines;
        lines = new ArrayList<>(4);
        replyBytes = 0;
        return new DefaultSmtpResponse(code, details.toArray(CharSequence[]::new));
    }

    private static int digit(ByteBuf in, int index) {
        int d = in.getByte(index) - '0';
        return d >= 0 && d <= 9 ? d : -1000;
    }

    private RuntimeException fail(ByteBuf in, RuntimeException error) {
        failed = true;
        lines = new ArrayList<>(0);
        in.skipBytes(in.readableBytes());
        return error;
    }

    /** The text at {@code start}, UTF-8, with every control character (NUL, C0, DEL, C1) as '?'. */
    static String sanitise(ByteBuf in, int start, int length) {
        String text = in.toString(start, length, StandardCharsets.UTF_8);
        StringBuilder clean = null;
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                if (clean == null) {
                    clean = new StringBuilder(text);
                }
                clean.setCharAt(i, '?');
            }
        }
        return clean == null ? text : clean.toString();
    }
}
