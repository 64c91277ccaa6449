package dev.relay.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The DATA framing state machine and the content statistics shared by DATA and BDAT. Holds no
 * buffers between calls: all state is a few scalars, so nothing can leak when the channel dies
 * mid-message and no tail bytes need to be retained to find {@code CRLF.CRLF} across reads.
 *
 * <p>Only a real CRLF, then {@code .}, then a real CRLF ends DATA (RFC 5321 4.1.1.4); the start of
 * the content counts as following a CRLF. Bare CR and bare LF are written as CRLF and counted, so
 * downstream hops can never see a line ending this hop did not (SMTP smuggling defence). A dot at
 * the start of a line that follows a real CRLF is removed (RFC 5321 4.5.2).
 */
final class ContentScanner {
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private static final byte[] CRLF = {CR, LF};
    private static final byte[] LF_ONLY = {LF};

    // DATA states
    private static final int LINE_START = 0; // after a real CRLF (or at the start of the content)
    private static final int MID_LINE = 1;
    private static final int SAW_CR = 2;    // a CR whose partner may still arrive
    private static final int SAW_DOT = 3;   // a dot at LINE_START, dropped unless it is the end marker
    private static final int SAW_DOT_CR = 4;

    private final int maxTextLineLength;

    private int state = LINE_START;
    private long maxSize;
    private long size;
    private boolean sizeExceeded;
    private boolean lineTooLong;
    private long lineLength; // octets since the last line ending, excluding it
    private long bareLineEndings;
    private boolean rawCrPending;
    private boolean nulByte;
    private boolean eightBit;

    ContentScanner(int maxTextLineLength) {
        this.maxTextLineLength = maxTextLineLength;
    }

    /** Starts a new message: all statistics and framing state are reset. */
    void reset(long maxMessageSize) {
        state = LINE_START;
        maxSize = maxMessageSize;
        size = 0;
        sizeExceeded = false;
        lineTooLong = false;
        lineLength = 0;
        bareLineEndings = 0;
        rawCrPending = false;
        nulByte = false;
        eightBit = false;
    }

    /** Later BDAT chunks of one message keep the statistics but may carry a new limit. */
    void limit(long maxMessageSize) {
        maxSize = maxMessageSize;
    }

    ContentStats stats() {
        return new ContentStats(size, sizeExceeded, lineTooLong, nulByte, eightBit,
                bareLineEndings);
    }

    /**
     * Consumes DATA content from {@code in}, writing unstuffed, normalised content to {@code out}
     * (until the size limit is passed). Returns true, with {@code in}'s reader index just past the
     * end marker, once {@code CRLF.CRLF} was read; otherwise consumes everything.
     *
     * <p>Input that passes through unchanged (nearly all of it) accumulates as a span
     * {@code [span, i)} copied in one go; only a stuffed dot, a bare line ending or the end of the
     * input cuts the span. A CR is copied before its LF is seen; if it turns out bare, an LF is added.
     */
    boolean scanData(ByteBuf in, ByteBuf out) {
        int i = in.readerIndex();
        int span = i;
        final int end = in.writerIndex();
        while (i < end) {
            switch (state) {
                case LINE_START -> {
                    if (in.getByte(i) == '.') {
                        copy(in, span, i, out);
                        span = ++i; // the dot is dropped: stuffing, or the end marker's
                        state = SAW_DOT;
                    } else {
                        state = MID_LINE;
                    }
                }
                case MID_LINE -> {
                    // indexOf searches a word at a time; this loop runs once per line, not per octet.
                    int lf = in.indexOf(i, end, LF);
                    int cr = in.indexOf(i, lf < 0 ? end : lf, CR);
                    int stop = cr >= 0 ? cr : lf;
                    int runEnd = stop < 0 ? end : stop;
                    if (runEnd > i) {
                        noteOctets(in, i, runEnd);
                        noteLineLength(runEnd - i);
                        i = runEnd;
                    }
                    if (stop >= 0) {
                        if (in.getByte(stop) == CR) {
                            i++;
                            state = SAW_CR;
                        } else {
                            copy(in, span, i, out);
                            bareLineEnding(CRLF, out); // the next line is not after a real CRLF
                            span = ++i;
                        }
                    }
                }
                case SAW_CR -> {
                    byte b = in.getByte(i);
                    if (b == LF) {
                        i++;
                        lineLength = 0;
                        state = LINE_START;
                    } else {
                        copy(in, span, i, out);
                        bareLineEnding(LF_ONLY, out); // completes the CR already copied
                        span = i;
                        if (b == CR) {
                            i++; // this CR may still pair with an LF
                        } else {
                            state = MID_LINE;
                        }
                    }
                }
                case SAW_DOT -> {
                    if (in.getByte(i) == CR) {
                        span = ++i; // held back: it is part of the end marker if an LF follows
                        state = SAW_DOT_CR;
                    } else {
                        state = MID_LINE;
                    }
                }
                case SAW_DOT_CR -> {
                    if (in.getByte(i) == LF) {
                        in.readerIndex(i + 1);
                        state = LINE_START;
                        return true;
                    }
                    bareLineEnding(CRLF, out); // ".<CR>x": the held-back CR was bare
                    span = i;
                    state = MID_LINE;
                }
                default -> throw new IllegalStateException("state " + state);
            }
        }
        copy(in, span, end, out);
        in.readerIndex(end);
        return false;
    }

    /**
     * Consumes {@code length} octets of BDAT content from {@code in}, writing them to {@code out} with every bare CR
     * and bare LF written as CRLF, as for DATA: a chunk can then never carry {@code <LF>.<LF>} or {@code <CR>.<CR>}
     * to a next hop that would take it for the end of DATA (SMTP smuggling through CHUNKING). A CRLF split across
     * two chunks is one real line ending; a CR that ends the last chunk gets its LF here.
     */
    void scanChunk(ByteBuf in, int length, ByteBuf out, boolean lastChunk) {
        int i = in.readerIndex();
        int span = i;
        final int end = i + length;
        while (i < end) {
            if (rawCrPending) {
                rawCrPending = false;
                if (in.getByte(i) == LF) {
                    i++;
                    lineLength = 0;
                    continue;
                }
                copy(in, span, i, out);
                bareLineEnding(LF_ONLY, out); // completes the CR already copied
                span = i;
                continue; // the octet after the bare CR is read again as an ordinary one
            }
            int lf = in.indexOf(i, end, LF);
            int cr = in.indexOf(i, lf < 0 ? end : lf, CR);
            int stop = cr >= 0 ? cr : lf;
            int runEnd = stop < 0 ? end : stop;
            if (runEnd > i) {
                noteOctets(in, i, runEnd);
                noteLineLength(runEnd - i);
                i = runEnd;
            }
            if (stop >= 0) {
                if (in.getByte(stop) == CR) {
                    i++;
                    rawCrPending = true;
                } else {
                    copy(in, span, i, out);
                    bareLineEnding(CRLF, out);
                    span = ++i;
                }
            }
        }
        copy(in, span, end, out);
        in.readerIndex(end);
        if (lastChunk && rawCrPending) {
            rawCrPending = false;
            bareLineEnding(LF_ONLY, out);
        }
    }

    private void noteLineLength(int length) {
        lineLength += length;
        if (lineLength + 2 > maxTextLineLength) {
            lineTooLong = true;
        }
    }

    private void copy(ByteBuf in, int from, int to, ByteBuf out) {
        int fit = fit(to - from);
        if (fit > 0) {
            out.writeBytes(in, from, fit);
        }
    }

    private void bareLineEnding(byte[] ending, ByteBuf out) {
        bareLineEndings++;
        lineLength = 0;
        int fit = fit(ending.length);
        if (fit > 0) {
            out.writeBytes(ending, 0, fit);
        }
    }

    /**
     * Counts {@code length} octets and returns how many of them are still within the limit: content
     * is cut at exactly the limit (even inside a CRLF), so the output is the same prefix however
     * the input was chunked.
     */
    private int fit(int length) {
        long before = size;
        size += length;
        if (sizeExceeded) {
            return 0;
        }
        if (size > maxSize) {
            sizeExceeded = true;
            return (int) Math.max(0, maxSize - before);
        }
        return length;
    }

    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_BITS = 0x0101010101010101L;

    /** Notes NUL and 8-bit octets in {@code [from, to)}, eight at a time, until both were seen. */
    private void noteOctets(ByteBuf in, int from, int to) {
        int i = from;
        for (; i + 8 <= to && !(nulByte && eightBit); i += 8) {
            long word = in.getLong(i);
            if ((word & HIGH_BITS) != 0) {
                eightBit = true;
            }
            if (((word - LOW_BITS) & ~word & HIGH_BITS) != 0) { // exact "some octet is zero" test
                nulByte = true;
            }
        }
        for (; i < to && !(nulByte && eightBit); i++) {
            byte value = in.getByte(i);
            if (value == 0) {
                nulByte = true;
            } else if (value < 0) {
                eightBit = true;
            }
        }
    }
}
