package dev.relay.storage;

import org.jspecify.annotations.Nullable;

/** The spool cannot durably take a message now (database down, pool exhausted, queue full): reply 451 4.3.0. */
public final class SpoolUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SpoolUnavailableException(String message) {
        super(message);
    }

    public SpoolUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
