package dev.relay.engine.outcomes;

import dev.relay.engine.config.ConfigException;
import dev.relay.protocol.EnhancedStatus;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The bounce rules in force: the shipped file plus the user's ({@code bounces.rules}), re-read when the user's file
 * changes, like {@code ReloadingShaping}. A timer on a thread of its own (file reads block; never an event loop)
 * compares the file's modification time and size every {@code period}, and on a change reads it and compares a
 * SHA-256 of the content; a changed, valid file replaces the table at once; an invalid one is logged with its key and
 * reason, counted ({@code relay_bounce_rules_reload_failures_total}), and the previous table stays in force.
 * {@link #classify} reads a volatile field and runs on the caller's thread without blocking.
 */
public final class ReloadingBounceRules implements BounceClassifier, AutoCloseable {
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(ReloadingBounceRules.class);

    private record Stamp(long modifiedNanos, long size) {
    }

    private final @Nullable Path file;
    private final BounceRulesFile.Parsed shipped;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong abandonedBefore = new AtomicLong(); // by the tables replaced so far
    private final @Nullable Scheduler thread;
    private final @Nullable Disposable timer;
    private volatile BounceRules current;
    private @Nullable Stamp stamp; // timer thread only (and the constructor)
    private byte[] digest = new byte[0];

    /**
     * Loads the shipped file and {@code file} (null: shipped only, nothing to watch) and starts watching.
     *
     * @throws ConfigException when the file is missing or invalid at start
     */
    public ReloadingBounceRules(@Nullable Path file, Duration period) {
        this.file = file;
        this.shipped = BounceRulesFile.shipped();
        if (file == null) {
            this.current = BounceRules.of(shipped, new BounceRulesFile.Parsed(List.of(), List.of()),
                    BounceRulesFile.SHIPPED);
            this.thread = null;
            this.timer = null;
            return;
        }
        Stamp s = stampOf(file);
        byte[] content = read(file);
        this.current = load(file, content);
        this.stamp = s;
        this.digest = sha256(content);
        // a thread that may block (file reads): bounded elastic, not single/parallel, which BlockHound guards
        this.thread = Schedulers.newBoundedElastic(1, 1, "relay-bounce-rules-reload", 60, true);
        this.timer = Flux.interval(period, period, thread).onBackpressureDrop().subscribe(tick -> poll());
    }

    @Override
    public Classification classify(int code, @Nullable EnhancedStatus status, CharSequence text) {
        return current.classify(code, status, text);
    }

    /** The table in force now. */
    public BounceRules current() {
        return current;
    }

    public long reloads() {
        return reloads.get();
    }

    public long failures() {
        return failures.get();
    }

    /**
     * Regex evaluations abandoned for exceeding the step budget, over every table in force so far (one racing a
     * reload may go uncounted).
     */
    public long abandoned() {
        return abandonedBefore.get() + current.abandoned();
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
            BounceRules table = load(f, content);
            BounceRules old = current;
            current = table;
            abandonedBefore.addAndGet(old.abandoned());
            reloads.incrementAndGet();
            log.info("bounce rules: reloaded {}: {}", f, table.summary());
        } catch (ConfigException e) {
            failures.incrementAndGet();
            log.warn("bounce rules: {} not reloaded, the previous version stays in force: {}", f, e.getMessage());
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            log.warn("bounce rules: {} not reloaded, the previous version stays in force: {}", f, e.toString());
        }
    }

    private BounceRules load(Path f, byte[] content) {
        String source = f.toString();
        return BounceRules.of(shipped, BounceRulesFile.parse(source, new String(content, StandardCharsets.UTF_8)),
                source);
    }

    /** Validates {@code f} as it would be loaded (for {@code relay bounces check}). */
    public static BounceRules check(Path f) {
        return BounceRules.of(BounceRulesFile.shipped(), BounceRulesFile.parse(f.toString(),
                new String(read(f), StandardCharsets.UTF_8)), f.toString());
    }

    private static Stamp stampOf(Path f) {
        try {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
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
