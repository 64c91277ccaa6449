package dev.relay.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Frames the client side of an SMTP session into {@link SmtpInbound} values. It only frames and
 * parses; the session handler decides and switches the mode ({@link #expectData}, {@link
 * #expectChunk}, {@link #expectAuthResponse}) synchronously while handling the command that asked
 * for it, on the event loop.
 *
 * <p>That switch is safe with pipelining because in command mode each {@code decode} call emits at
 * most one value, and {@link ByteToMessageDecoder} fires each decoded value down the pipeline
 * before it calls {@code decode} again on the remaining bytes.
 *
 * <p>Content (DATA, BDAT) is emitted as it arrives, never accumulated. Bytes of an incomplete line
 * are kept in the cumulation, bounded by the line limit; longer lines are discarded as they arrive.
 */
public final class SmtpServerDecoder extends ByteToMessageDecoder {
    /** RFC 5321 4.5.3.1.4, CRLF included. */
    public static final int DEFAULT_MAX_COMMAND_LENGTH = 512;
    /** RFC 5321 4.5.3.1.6, CRLF included. */
    public static final int DEFAULT_MAX_TEXT_LINE_LENGTH = 1000;
    /** RFC 4954 4: a 12288-octet AUTH line limit, plus CRLF. */
    static final int MAX_AUTH_RESPONSE_LENGTH = 12288 + 2;

    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private enum Mode { COMMAND, AUTH_RESPONSE, DATA, CHUNK }

    private final int maxCommandLength;
    private final ContentScanner content;
    private final LineScanner lineScanner = new LineScanner();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    private Mode mode = Mode.COMMAND;
    private boolean paused;
    private boolean discardingLongLine;
    private long chunkSize;
    private long chunkRemaining;
    private boolean lastChunk;

    public SmtpServerDecoder() {
        this(DEFAULT_MAX_COMMAND_LENGTH, DEFAULT_MAX_TEXT_LINE_LENGTH);
    }

    public SmtpServerDecoder(int maxCommandLength, int maxTextLineLength) {
        if (maxCommandLength < 3) {
            throw new IllegalArgumentException("maxCommandLength must be >= 3, was " + maxCommandLength);
        }
        if (maxTextLineLength < 3) {
            throw new IllegalArgumentException("maxTextLineLength must be >= 3, was " + maxTextLineLength);
        }
        this.maxCommandLength = maxCommandLength;
        this.content = new ContentScanner(maxTextLineLength);
    }

    /** The next bytes are DATA content; call after writing 354. Ends with {@link DataEnd}. */
    public void expectData(long maxMessageSize) {
        requireNonNegative(maxMessageSize);
        content.reset(maxMessageSize);
        mode = Mode.DATA;
    }

    /**
     * The next {@code chunkSize} bytes are a BDAT chunk, ending with {@link ChunkEnd}. Statistics
     * accumulate across the chunks of one message; {@code firstChunk} starts a new message.
     * A zero-size chunk ({@code BDAT 0 LAST}) has nothing to read, so it is rejected here: the
     * session completes it itself, using {@link #contentStats()}.
     */
    public void expectChunk(long chunkSize, long maxMessageSize, boolean firstChunk) {
        expectChunk(chunkSize, maxMessageSize, firstChunk, false);
    }

    /**
     * Like {@link #expectChunk(long, long, boolean)}; {@code lastChunk} ({@code BDAT n LAST}) completes a bare CR
     * that ends the content with its LF.
     */
    public void expectChunk(long chunkSize, long maxMessageSize, boolean firstChunk, boolean lastChunk) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1, was " + chunkSize);
        }
        requireNonNegative(maxMessageSize);
        if (firstChunk) {
            content.reset(maxMessageSize);
        } else {
            content.limit(maxMessageSize);
        }
        this.chunkSize = chunkSize;
        this.chunkRemaining = chunkSize;
        this.lastChunk = lastChunk;
        mode = Mode.CHUNK;
    }

    /** The next line is an AUTH continuation, emitted as {@link AuthResponse}; then command mode again. */
    public void expectAuthResponse() {
        mode = Mode.AUTH_RESPONSE;
    }

    /**
     * Drops every byte already received but not yet decoded. Called after STARTTLS is accepted so
     * that plaintext pipelined behind it is never executed inside the TLS session (CVE-2011-0411).
     */
    public void discardBufferedInput() {
        // internalBuffer() is the very cumulation callDecode() is looping over: emptying it ends the loop.
        internalBuffer().clear();
        discardingLongLine = false;
        if (mode == Mode.AUTH_RESPONSE) {
            mode = Mode.COMMAND;
        }
    }

    /**
     * Stops decoding: bytes that arrive stay buffered, undecoded, until {@link #resume}. The session pauses while
     * it waits for something asynchronous (a COMMIT, a password check) so that pipelined input keeps its order
     * and is read in the mode the pending reply will set (a BDAT chunk, say, must never be parsed as commands).
     */
    public void pause() {
        paused = true;
    }

    /** Resumes decoding and decodes at once whatever was buffered meanwhile. {@code ctx} is this decoder's. */
    public void resume(ChannelHandlerContext ctx) {
        paused = false;
        if (internalBuffer().isReadable()) {
            try {
                channelRead(ctx, Unpooled.EMPTY_BUFFER);
            } catch (Exception e) {
                ctx.fireExceptionCaught(e);
            }
        }
    }

    /** Statistics of the current (or last) message's content. */
    public ContentStats contentStats() {
        return content.stats();
    }

    /** For tests: bytes received but not yet decoded. */
    int bufferedBytes() {
        return internalBuffer().readableBytes();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (paused || !in.isReadable()) {
            return; // after discardBufferedInput() callDecode() still calls us once
        }
        switch (mode) {
            case COMMAND -> decodeLine(in, out, maxCommandLength);
            case AUTH_RESPONSE -> decodeLine(in, out, MAX_AUTH_RESPONSE_LENGTH);
            case DATA -> decodeData(ctx, in, out);
            case CHUNK -> decodeChunk(ctx, in, out);
            default -> throw new IllegalStateException("mode " + mode);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        // The peer went away: an unterminated command must not run, partial content is worthless.
        in.skipBytes(in.readableBytes());
    }

    private void decodeLine(ByteBuf in, List<Object> out, int maxLength) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (discardingLongLine) {
            int lf = in.indexOf(start, start + readable, LF);
            if (lf < 0) {
                in.skipBytes(readable);
                return;
            }
            in.readerIndex(lf + 1);
            discardingLongLine = false;
            lineDone(out, new CommandLineError(CommandLineError.Kind.TOO_LONG,
                    "line longer than " + maxLength + " octets"));
            return;
        }
        int lf = in.indexOf(start, start + Math.min(readable, maxLength), LF);
        if (lf < 0) {
            if (readable >= maxLength) {
                // Consume what we have; the error is emitted once the line's end arrives, in order.
                discardingLongLine = true;
                in.skipBytes(maxLength); // the line's end, if already here, is found by the next call
            }
            return;
        }
        in.readerIndex(lf + 1);
        if (lf == start || in.getByte(lf - 1) != CR) {
            lineDone(out, new CommandLineError(CommandLineError.Kind.BARE_LINE_ENDING, "line ended by bare LF"));
            return;
        }
        lineDone(out, toValue(in, start, lf - 1 - start));
    }

    private SmtpInbound toValue(ByteBuf in, int index, int length) {
        lineScanner.reset();
        in.forEachByte(index, length, lineScanner);
        if (lineScanner.nul) {
            return new CommandLineError(CommandLineError.Kind.NUL_BYTE, "line contains NUL");
        }
        if (lineScanner.cr) {
            return new CommandLineError(CommandLineError.Kind.BARE_LINE_ENDING, "line contains bare CR");
        }
        String line;
        if (lineScanner.eightBit) {
            try {
                ByteBuffer bytes = in.nioBuffer(index, length);
                line = utf8.reset().decode(bytes).toString();
            } catch (CharacterCodingException e) {
                return new CommandLineError(CommandLineError.Kind.INVALID_UTF8, "line is not valid UTF-8");
            }
        } else {
            line = in.toString(index, length, StandardCharsets.US_ASCII);
        }
        return mode == Mode.AUTH_RESPONSE ? new AuthResponse(line) : SmtpCommand.parse(line);
    }

    private void lineDone(List<Object> out, SmtpInbound value) {
        // An AUTH continuation is exactly one line, whatever became of it.
        mode = Mode.COMMAND;
        out.add(value);
    }

    private void decodeData(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        ByteBuf buffer = ctx.alloc().buffer(in.readableBytes() + 16);
        boolean ended;
        try {
            ended = content.scanData(in, buffer);
        } catch (RuntimeException e) {
            buffer.release();
            throw e;
        }
        emit(buffer, out);
        if (ended) {
            mode = Mode.COMMAND;
            out.add(new DataEnd(content.stats()));
        }
    }

    private void decodeChunk(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int length = (int) Math.min(in.readableBytes(), chunkRemaining);
        chunkRemaining -= length;
        boolean ended = chunkRemaining == 0;
        // Copied, not sliced: bare line endings are rewritten (see ContentScanner#scanChunk).
        ByteBuf buffer = ctx.alloc().buffer(length + 16);
        try {
            content.scanChunk(in, length, buffer, ended && lastChunk);
        } catch (RuntimeException e) {
            buffer.release();
            throw e;
        }
        emit(buffer, out);
        if (ended) {
            mode = Mode.COMMAND;
            out.add(new ChunkEnd(chunkSize, content.stats()));
        }
    }

    /** Passes on the scanned content, if any; an empty buffer is released here. */
    private static void emit(ByteBuf buffer, List<Object> out) {
        if (buffer.isReadable()) {
            out.add(new DataContent(buffer));
        } else {
            buffer.release();
        }
    }

    private static void requireNonNegative(long maxMessageSize) {
        if (maxMessageSize < 0) {
            throw new IllegalArgumentException("maxMessageSize must be >= 0, was " + maxMessageSize);
        }
    }

    /** One pass over a command line for the octets that make it unusable or need UTF-8 decoding. */
    private static final class LineScanner implements ByteProcessor {
        boolean nul;
        boolean cr;
        boolean eightBit;

        void reset() {
            nul = false;
            cr = false;
            eightBit = false;
        }

        @Override
        public boolean process(byte value) {
            if (value == 0) {
                nul = true;
            } else if (value == CR) {
                cr = true;
            } else if (value < 0) {
                eightBit = true;
            }
            return true;
        }
    }
}
