package dev.relay.engine.server;

/**
 * What the session is reading: commands, DATA content, or a BDAT chunk that is kept or read only to be thrown away
 * (RFC 3030: a refused BDAT's bytes still arrive). One value instead of separate flags, so no impossible mix exists.
 */
sealed interface ContentMode {
    ContentMode COMMANDS = new Commands();
    ContentMode DATA = new Data();

    /** Whether message content (not a command) is expected: {@code data_timeout} applies, a drain waits. */
    default boolean receiving() {
        return true;
    }

    /** Whether the end of this content ends the message (DATA, BDAT LAST). */
    default boolean last() {
        return true;
    }

    /** Command lines. */
    record Commands() implements ContentMode {
        @Override
        public boolean receiving() {
            return false;
        }
    }

    /** DATA content, up to CRLF.CRLF. */
    record Data() implements ContentMode {
    }

    /** A BDAT chunk whose bytes join the message. */
    record KeptChunk(boolean last) implements ContentMode {
    }

    /** A BDAT chunk read only to keep the connection in sync, then refused. */
    record DiscardedChunk(boolean last) implements ContentMode {
    }
}
