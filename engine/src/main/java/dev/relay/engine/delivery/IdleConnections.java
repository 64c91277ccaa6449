package dev.relay.engine.delivery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The idle connections of one site pool, each with its idle timer, in the order they became idle: reuse takes the
 * most recent (so the others can expire), trimming the least recent; whatever leaves the set has its timer stopped.
 *
 * <p>Threads: not thread-safe; every call is made under the owning {@link SitePool}'s monitor.
 */
final class IdleConnections<C> {
    private record Idle<C>(C connection, ScheduledFuture<?> timer) {
    }

    private final ArrayDeque<Idle<C>> idle = new ArrayDeque<>();

    /** {@code connection} is idle from now; {@code timer} expires it. */
    void add(C connection, ScheduledFuture<?> timer) {
        idle.add(new Idle<>(connection, timer));
    }

    /** The most recently idle connection, for reuse; null when none. */
    @Nullable C takeNewest() {
        return stopped(idle.pollLast());
    }

    /** The least recently used connection, for trimming beyond a lowered limit; null when none. */
    @Nullable C takeOldest() {
        return stopped(idle.pollFirst());
    }

    /** Takes {@code connection} out (it expired or was closed); false when it was not idle (any more). */
    boolean remove(C connection) {
        for (Iterator<Idle<C>> it = idle.iterator(); it.hasNext(); ) {
            Idle<C> i = it.next();
            if (i.connection() == connection) {
                it.remove();
                i.timer().cancel(false);
                return true;
            }
        }
        return false;
    }

    /** Takes every idle connection out, oldest first. */
    List<C> drain() {
        List<C> all = new ArrayList<>(idle.size());
        C c;
        while ((c = takeOldest()) != null) {
            all.add(c);
        }
        return all;
    }

    int size() {
        return idle.size();
    }

    boolean isEmpty() {
        return idle.isEmpty();
    }

    private @Nullable C stopped(@Nullable Idle<C> i) {
        if (i == null) {
            return null;
        }
        i.timer().cancel(false);
        return i.connection();
    }
}
