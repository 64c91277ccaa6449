package dev.relay.protocol.report;

import dev.relay.protocol.EnhancedStatus;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One per-recipient block of a DSN (RFC 3464 2.3). Addresses and MTA names are given without their type
 * ({@code rfc822;}, {@code dns;}); the diagnostic code keeps its type apart ({@code smtp}, {@code x-unix}, ...).
 *
 * @param status null when absent or not a valid RFC 3463 code
 * @param lastAttempt null when absent or not an RFC 5322 date
 */
public record DsnRecipient(@Nullable String finalRecipient, @Nullable String originalRecipient, DsnAction action,
        @Nullable EnhancedStatus status, @Nullable String diagnosticType, @Nullable String diagnosticText,
        @Nullable String remoteMta, @Nullable Instant lastAttempt) {
    public DsnRecipient {
        Objects.requireNonNull(action, "action");
    }
}
