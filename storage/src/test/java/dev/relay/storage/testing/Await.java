package dev.relay.storage.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The one way tests wait for something asynchronous: poll the observed condition until it holds, within a stated
 * limit, never a fixed sleep. Polls start at 10 ms and back off to 200 ms, so a quick condition is seen at once and
 * a slow one (a database query, an HTTP scrape) is not hammered. Every loop is bounded by the limit.
 */
public final class Await {
    private static final long FIRST_POLL_MILLIS = 10;
    private static final long MAX_POLL_MILLIS = 200;

    private Await() {
    }

    /** Something to poll that may throw (an HTTP request); a lambda that throws nothing checked needs no catch. */
    @FunctionalInterface
    public interface Probe<T, E extends Exception> {
        T get() throws E;
    }

    /** Returns as soon as {@code condition} holds; fails with an {@link AssertionError} after {@code limit}. */
    public static void awaitTrue(Duration limit, BooleanSupplier condition) {
        awaitTrue("condition", limit, condition);
    }

    /** As {@link #awaitTrue(Duration, BooleanSupplier)}, naming {@code what} in the failure. */
    public static void awaitTrue(String what, Duration limit, BooleanSupplier condition) {
        if (!until(limit, condition)) {
            throw new AssertionError(what + " not met within " + limit);
        }
    }

    /**
     * Returns true as soon as {@code condition} holds, false once {@code limit} has passed without it; for a caller
     * that asserts afterwards on what it observed (a more telling failure than a timeout).
     */
    public static boolean until(Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        long pause = FIRST_POLL_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            pause = pause(pause);
        }
        return true;
    }

    /**
     * Polls {@code probe} until {@code done} holds for its value and returns that value; after {@code limit} returns
     * the last value, for the caller to assert on (so the failure shows what was seen, not just a timeout).
     */
    public static <T, E extends Exception> T awaitValue(Duration limit, Probe<T, E> probe, Predicate<? super T> done)
            throws E {
        long deadline = System.nanoTime() + limit.toNanos();
        long pause = FIRST_POLL_MILLIS;
        T value = probe.get();
        while (!done.test(value) && System.nanoTime() - deadline < 0) {
            pause = pause(pause);
            value = probe.get();
        }
        return value;
    }

    private static long pause(long millis) {
        try {
            Thread.sleep(millis); // the poll interval between two observations, not a wait for an outcome
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
        return Math.min(MAX_POLL_MILLIS, millis * 2);
    }
}
