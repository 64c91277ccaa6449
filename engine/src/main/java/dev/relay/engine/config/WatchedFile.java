package dev.relay.engine.config;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A data file the relay re-reads while it runs (shaping, bounce rules), as the value parsed from it. A timer on a
 * thread of its own (file reads block: bounded elastic, never an event loop or a parallel thread) compares the file's
 * modification time and size every {@code period}, and on a change reads it and compares a SHA-256 of the content; a
 * changed, valid file replaces the value at once; an invalid one is logged with its key and reason, counted, and the
 * previous value stays in force until the next change. {@link #current} is a volatile read, safe from any thread;
 * the stamp and digest belong to the timer thread (and {@link #poll}'s monitor).
 *
 * @param <T> what the file parses into
 */
public final class WatchedFile<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WatchedFile.class);

    private record Stamp(long modifiedNanos, long size) {
    }

    private final String what;
    private final Path file;
    private final Function<String, T> parse;
    private final Function<T, String> summary;
    private final List<BiConsumer<T, T>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final Scheduler thread;
    private final Disposable timer;
    private volatile T current;
    private Stamp stamp;
    private byte[] digest;

    /**
     * Reads and parses {@code file} now, then watches it.
     *
     * @param what  how logs name the file's kind ("shaping", "bounce rules")
     * @param parse the file's text to its value; throws {@link ConfigException} naming key, value and reason
     * @param summary what the log line of a reload says about the new value
     * @throws ConfigException when the file is missing or invalid at start
     */
    public WatchedFile(String what, Path file, Function<String, T> parse, Function<T, String> summary,
                       Duration period) {
        this.what = Objects.requireNonNull(what, "what");
        this.file = Objects.requireNonNull(file, "file");
        this.parse = Objects.requireNonNull(parse, "parse");
        this.summary = Objects.requireNonNull(summary, "summary");
        this.stamp = stampOf(file);
        byte[] content = read(file);
        this.current = parse.apply(new String(content, StandardCharsets.UTF_8));
        this.digest = sha256(content);
        this.thread = Schedulers.newBoundedElastic(1, 1, "relay-" + what.replace(' ', '-') + "-reload", 60, true);
        this.timer = Flux.interval(period, period, thread).onBackpressureDrop().subscribe(tick -> poll());
    }

    /** The value in force now. */
    public T current() {
        return current;
    }

    public Path file() {
        return file;
    }

    /** Runs {@code listener} with the old and the new value after each successful reload (on the reload thread). */
    public void onReload(BiConsumer<T, T> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public long reloads() {
        return reloads.get();
    }

    public long failures() {
        return failures.get();
    }

    /** One check now (the timer's job; tests call it to avoid waiting). */
    public synchronized void poll() {
        try {
            Stamp now = stampOf(file);
            if (now.equals(stamp)) {
                return;
            }
            stamp = now;
            byte[] content = read(file);
            byte[] hash = sha256(content);
            if (Arrays.equals(hash, digest)) {
                return; // touched, not changed
            }
            digest = hash;
            T value = parse.apply(new String(content, StandardCharsets.UTF_8));
            T old = current;
            current = value;
            reloads.incrementAndGet();
            log.info("{}: reloaded {}: {}", what, file, summary.apply(value));
            listeners.forEach(l -> l.accept(old, value));
        } catch (ConfigException e) {
            failures.incrementAndGet();
            log.warn("{}: {} not reloaded, the previous version stays in force: {}", what, file, e.getMessage());
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            log.warn("{}: {} not reloaded, the previous version stays in force: {}", what, file, e.toString());
        }
    }

    /** The file's text, or a {@link ConfigException} naming the file. */
    public static String text(Path f) {
        return new String(read(f), StandardCharsets.UTF_8);
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
        timer.dispose();
        thread.dispose();
    }
}
