package dev.relay.protocol;

import java.util.Objects;

/** {@code <CRLF>.<CRLF>} was read; the decoder is back in command mode. */
public record DataEnd(ContentStats stats) implements SmtpInbound {
    public DataEnd {
        Objects.requireNonNull(stats, "stats");
    }
}
