package dev.relay.engine.shaping;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.WatchedFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The shaping in force: the shipped file plus the user's file, re-read when the user's file changes
 * ({@link WatchedFile}: polled every {@code period} off the event loops; an invalid edit is logged, counted and the
 * previous table stays in force). Callers resolve again at their next start or acquire, so running deliveries keep
 * going.
 */
public final class ReloadingShaping implements Shaping, AutoCloseable {
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(2);

    private final ShapingTable fixed;
    private final @Nullable WatchedFile<ShapingTable> watched;

    /**
     * Loads the shipped file and {@code file} (null: shipped only, nothing to watch) and starts watching.
     *
     * @throws ConfigException when the file is missing or invalid at start
     */
    public ReloadingShaping(@Nullable Path file, List<Duration> globalRetry, Duration period) {
        List<Duration> retry = List.copyOf(globalRetry);
        List<ShapingEntry> shipped = ShapingFile.shipped();
        this.fixed = ShapingTable.of(shipped, List.of(), ShapingFile.SHIPPED, retry);
        this.watched = file == null ? null : new WatchedFile<>("shaping", file,
                text -> ShapingTable.of(shipped, ShapingFile.parse(file.toString(), text), file.toString(), retry),
                ShapingTable::summary, period);
    }

    @Override
    public SiteShaping resolve(String site, String domain) {
        return current().resolve(site, domain);
    }

    /** The table in force now. */
    public ShapingTable current() {
        return watched == null ? fixed : watched.current();
    }

    /** Runs {@code listener} after each successful reload (on the reload thread; keep it short). */
    public void onReload(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        if (watched != null) {
            watched.onReload((old, now) -> listener.run());
        }
    }

    public long reloads() {
        return watched == null ? 0 : watched.reloads();
    }

    public long failures() {
        return watched == null ? 0 : watched.failures();
    }

    /** One check now (the timer's job; tests call it to avoid waiting). */
    void poll() {
        Objects.requireNonNull(watched, "nothing to watch").poll();
    }

    /** Validates {@code f} as it would be loaded (for {@code relay shaping check}). */
    public static ShapingTable check(Path f, List<Duration> globalRetry) {
        return ShapingTable.of(ShapingFile.shipped(), ShapingFile.parse(f.toString(), WatchedFile.text(f)),
                f.toString(), globalRetry);
    }

    @Override
    public void close() {
        if (watched != null) {
            watched.close();
        }
    }
}
