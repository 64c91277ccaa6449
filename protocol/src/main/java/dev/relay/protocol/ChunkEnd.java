package dev.relay.protocol;

import java.util.Objects;

/**
 * A BDAT chunk was read completely; the decoder is back in command mode.
 *
 * @param chunkSize the size announced by this BDAT command
 * @param stats accumulated over all chunks of the message so far
 */
public record ChunkEnd(long chunkSize, ContentStats stats) implements SmtpInbound {
    public ChunkEnd {
        if (chunkSize < 0) {
            throw new IllegalArgumentException("chunkSize must be >= 0, was " + chunkSize);
        }
        Objects.requireNonNull(stats, "stats");
    }
}
