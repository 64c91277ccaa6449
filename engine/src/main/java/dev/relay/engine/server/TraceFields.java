package dev.relay.engine.server;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

/**
 * Counts the {@code Received:} trace fields (RFC 5321 4.4) of a message's header section, the way Postfix's
 * {@code hopcount_limit} does, to refuse a message that has been around a mail loop.
 *
 * <p>The header section ends at the first empty line or at the first line that is neither a field nor a
 * continuation, as in {@link PriorityHeader}. One pass, no copy; it stops as soon as the limit is passed.
 */
final class TraceFields {
    private static final byte[] NAME = {'r', 'e', 'c', 'e', 'i', 'v', 'e', 'd'};

    private TraceFields() {
    }

    /** Whether the header section of {@code content} holds more than {@code limit} Received fields. */
    static boolean tooMany(ByteBuf content, int limit) {
        Counter counter = new Counter(limit);
        content.forEachByte(content.readerIndex(), content.readableBytes(), counter);
        return counter.count > limit;
    }

    /** A state machine over octets: at a line start, does the line read {@code Received} [WSP] {@code :}? */
    private static final class Counter implements ByteProcessor {
        private static final int LINE_START = -1;
        private static final int OTHER_FIELD = -2; // a field or continuation line that is not Received
        private static final int AFTER_NAME = -3;  // "Received" read, optional whitespace before the colon

        private final int limit;
        private int count;
        private int state = LINE_START; // >= 0: octets of "received" matched so far on this line
        private boolean sawColon;
        private boolean lineEmpty = true;

        Counter(int limit) {
            this.limit = limit;
        }

        @Override
        public boolean process(byte b) {
            if (b == '\n') {
                if (lineEmpty || !sawColon) {
                    return false; // the empty line, or a line that is no field: the body starts here
                }
                state = LINE_START;
                sawColon = false;
                lineEmpty = true;
                return true;
            }
            if (b == '\r') {
                return true;
            }
            boolean first = lineEmpty;
            lineEmpty = false;
            if (first) {
                if (b == ' ' || b == '\t') {
                    state = OTHER_FIELD; // a continuation line
                    sawColon = true;
                    return true;
                }
                state = 0;
            }
            if (b == ':') {
                sawColon = true;
                if (state == AFTER_NAME) {
                    count++;
                    state = OTHER_FIELD;
                    return count <= limit;
                }
                state = OTHER_FIELD;
                return true;
            }
            if (state >= 0) {
                if (state < NAME.length && (b | 0x20) == NAME[state]) {
                    state++;
                    if (state == NAME.length) {
                        state = AFTER_NAME;
                    }
                } else {
                    state = OTHER_FIELD;
                }
            } else if (state == AFTER_NAME && b != ' ' && b != '\t') {
                state = OTHER_FIELD;
            }
            return true;
        }
    }
}
