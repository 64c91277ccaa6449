package dev.relay.engine.outcomes;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.WatchedFile;
import dev.relay.protocol.EnhancedStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The bounce rules in force: the shipped file plus the user's ({@code bounces.rules}), re-read when the user's file
 * changes ({@link WatchedFile}: polled every {@code period} off the event loops; an invalid edit is logged, counted in
 * {@code relay_bounce_rules_reload_failures_total} and the previous table stays in force). {@link #classify} reads a
 * volatile field and runs on the caller's thread without blocking.
 */
public final class ReloadingBounceRules implements BounceClassifier, AutoCloseable {
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(2);

    private final BounceRules fixed;
    private final @Nullable WatchedFile<BounceRules> watched;
    private final AtomicLong abandonedBefore = new AtomicLong(); // by the tables replaced so far

    /**
     * Loads the shipped file and {@code file} (null: shipped only, nothing to watch) and starts watching.
     *
     * @throws ConfigException when the file is missing or invalid at start
     */
    public ReloadingBounceRules(@Nullable Path file, Duration period) {
        BounceRulesFile.Parsed shipped = BounceRulesFile.shipped();
        this.fixed = BounceRules.of(shipped, new BounceRulesFile.Parsed(List.of(), List.of()),
                BounceRulesFile.SHIPPED);
        this.watched = file == null ? null : new WatchedFile<>("bounce rules", file,
                text -> BounceRules.of(shipped, BounceRulesFile.parse(file.toString(), text), file.toString()),
                BounceRules::summary, period);
        if (watched != null) {
            watched.onReload((old, now) -> abandonedBefore.addAndGet(old.abandoned()));
        }
    }

    @Override
    public Classification classify(int code, @Nullable EnhancedStatus status, CharSequence text) {
        return current().classify(code, status, text);
    }

    /** The table in force now. */
    public BounceRules current() {
        return watched == null ? fixed : watched.current();
    }

    public long reloads() {
        return watched == null ? 0 : watched.reloads();
    }

    public long failures() {
        return watched == null ? 0 : watched.failures();
    }

    /**
     * Regex evaluations abandoned for exceeding the step budget, over every table in force so far (one racing a
     * reload may go uncounted).
     */
    public long abandoned() {
        return abandonedBefore.get() + current().abandoned();
    }

    /** One check now (the timer's job; tests call it to avoid waiting). */
    void poll() {
        Objects.requireNonNull(watched, "nothing to watch").poll();
    }

    /** Validates {@code f} as it would be loaded (for {@code relay bounces check}). */
    public static BounceRules check(Path f) {
        return BounceRules.of(BounceRulesFile.shipped(), BounceRulesFile.parse(f.toString(), WatchedFile.text(f)),
                f.toString());
    }

    @Override
    public void close() {
        if (watched != null) {
            watched.close();
        }
    }
}
