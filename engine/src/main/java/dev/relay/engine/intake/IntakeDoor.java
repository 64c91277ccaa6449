package dev.relay.engine.intake;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the SMTP listener needs of the bounce domain: the RCPT decision, the intake that takes a report at the end
 * of DATA, and how many bytes of a report it reads ({@code bounces.verp.max_report_size}; the rest of a longer one is
 * read and dropped). {@link #NONE} when VERP is off: the bounce domain is then an ordinary domain.
 */
public record IntakeDoor(BounceAddresses addresses, @Nullable BounceIntake intake, long maxReportSize) {
    public static final IntakeDoor NONE = new IntakeDoor(BounceAddresses.NONE, null, 1);

    public IntakeDoor {
        Objects.requireNonNull(addresses, "addresses");
        if (addresses.enabled() && intake == null) {
            throw new IllegalArgumentException("a bounce domain needs its intake");
        }
        if (maxReportSize < 1) {
            throw new IllegalArgumentException("maxReportSize must be >= 1, was " + maxReportSize);
        }
    }
}
