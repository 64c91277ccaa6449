package dev.relay.engine.shaping;

import dev.relay.engine.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The shaping in force: the shipped file plus the user's file, re-read when the user's file changes. A timer on a
 * thread of its own (file reads block; never an event loop) compares the file's modification time and size every
 * {@code period}, and on a change reads it and compares a SHA-256 of the content; a changed, valid file replaces the
 * table at once (callers resolve again at their next start or acquire, so running deliveries keep going); an
 * invalid one is logged with its key and reason, counted, and the previous table stays in force until the next
 * change.
 */
public final class ReloadingShaping implements Shaping, AutoCloseable {
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(ReloadingShaping.class);

    private record Stamp(long modifiedNanos, long size) {
    }

    private final @Nullable Path file;
    private final List<Duration> globalRetry;
    private final List<ShapingEntry> shipped;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final @Nullable Scheduler thread;
    private final @Nullable Disposable timer;
    private volatile ShapingTable current;
    private @Nullable Stamp stamp; // timer thread only (and the constructor)
    private byte[] digest = new byte[0];

    /**
     * Loads the shipped file and {@code file} (null: shipped only, nothing to watch) and starts watching.
     *
     * @throws ConfigException when the file is missing or invalid at start
     */
    public ReloadingShaping(@Nullable Path file, List<Duration> globalRetry, Duration period) {
        this.file = file;
        this.globalRetry = List.copyOf(globalRetry);
        this.shipped = ShapingFile.shipped();
        if (file == null) {
            this.current = ShapingTable.of(shipped, List.of(), ShapingFile.SHIPPED, this.globalRetry);
            this.thread = null;
            this.timer = null;
            return;
        }
        Stamp s = stampOf(file);
        byte[] content = read(file);
        this.current = load(file, content);
        this.stamp = s;
        this.digest = sha256(content);
        this.thread = Schedulers.newSingle("relay-shaping-reload", true);
        this.timer = Flux.interval(period, period, thread).onBackpressureDrop().subscribe(tick -> poll());
    }

    @Override
    public SiteShaping resolve(String site, String domain) {
        return current.resolve(site, domain);
    }

    /** The table in force now. */
    public ShapingTable current() {
        return current;
    }

    /** Runs {@code listener} after each successful reload (on the reload thread; keep it short). */
    public void onReload(Runnable listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public long reloads() {
        return reloads.get();
    }

    public long failures() {
        return failures.get();
    }

    /** One check now (the timer's job; tests call it to avoid waiting). */
    synchronized void poll() {
        Path f = Objects.requireNonNull(file, "nothing to watch");
        try {
            Stamp now = stampOf(f);
            if (now.equals(stamp)) {
                return;
            }
            stamp = now;
            byte[] content = read(f);
            byte[] hash = sha256(content);
            if (Arrays.equals(hash, digest)) {
                return; // touched, not changed
            }
            digest = hash;
            ShapingTable table = load(f, content);
            current = table;
            reloads.incrementAndGet();
            log.info("shaping: reloaded {}: {}", f, table.summary());
            listeners.forEach(Runnable::run);
        } catch (ConfigException e) {
            failures.incrementAndGet();
            log.warn("shaping: {} not reloaded, the previous version stays in force: {}", f, e.getMessage());
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            log.warn("shaping: {} not reloaded, the previous version stays in force: {}", f, e.toString());
        }
    }

    private ShapingTable load(Path f, byte[] content) {
        String source = f.toString();
        return ShapingTable.of(shipped, ShapingFile.parse(source, new String(content, StandardCharsets.UTF_8)),
                source, globalRetry);
    }

    /** Validates {@code f} as it would be loaded (for {@code relay shaping check}). */
    public static ShapingTable check(Path f, List<Duration> globalRetry) {
        return ShapingTable.of(ShapingFile.shipped(), ShapingFile.parse(f.toString(),
                new String(read(f), StandardCharsets.UTF_8)), f.toString(), globalRetry);
    }

    private static Stamp stampOf(Path f) {
        try {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.size());
        } catch (NoSuchFileException e) {
            throw ConfigException.file(f, "no such file", e);
        } catch (IOException e) {
            throw ConfigException.file(f, "cannot read: " + e, e);
        }
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            throw ConfigException.file(f, "no such file", e);
        } catch (IOException e) {
            throw ConfigException.file(f, "cannot read: " + e, e);
        }
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.dispose();
        }
        if (thread != null) {
            thread.dispose();
        }
    }
}
