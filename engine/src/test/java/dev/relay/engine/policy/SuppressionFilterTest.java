package dev.relay.engine.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.PgSuppressions.AddressPage;
import dev.relay.storage.SuppressionRecords.Cursor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The RCPT membership filter of suppressed addresses and its refresher, on a fake clock and a list in memory. */
class SuppressionFilterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration MAX_AGE = Duration.ofSeconds(30);

    private final AtomicLong nanos = new AtomicLong(1_000);

    private static String address(SplittableRandom random, String tag) {
        return tag + Long.toHexString(random.nextLong()) + "@d" + random.nextInt(1000) + ".example";
    }

    @Test
    void noFalseNegativesAndAboutOnePercentFalsePositives() {
        SuppressionFilter filter = new SuppressionFilter(MAX_AGE, nanos::get, 100_000);
        SuppressionFilter.Rebuild r = filter.rebuild(50_000); // sized for 100k: the headroom is twice the entries
        SplittableRandom random = new SplittableRandom(42);
        List<String> listed = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            listed.add(address(random, "in"));
        }
        listed.forEach(r::put);
        r.complete(nanos.get());
        assertThat(filter.capacity()).isEqualTo(100_000);
        assertThat(filter.entries()).isBetween(99_000L, 100_000L);
        // about 1.2 bytes per entry of capacity
        assertThat(filter.bytes()).isBetween(110_000L, 130_000L);
        assertThat(listed).noneMatch(filter::certainlyAbsent);
        // also in another case: the list is lower case, RCPT addresses are lowered before they are asked
        int falsePositives = 0;
        for (int i = 0; i < 100_000; i++) {
            if (!filter.certainlyAbsent(address(random, "out"))) {
                falsePositives++;
            }
        }
        assertThat(falsePositives).as("false positives of 100000").isBetween(500, 1_500);
    }

    @Test
    void notReadyOrStaleNeverSaysCertainlyNot() {
        SuppressionFilter filter = new SuppressionFilter(MAX_AGE, nanos::get, 1000);
        assertThat(filter.certainlyAbsent("a@d.test")).isFalse();
        assertThat(filter.fresh()).isFalse();
        filter.add("early@d.test"); // before the first load: remembered by nothing, the load reads it
        SuppressionFilter.Rebuild r = filter.rebuild(0);
        long started = nanos.get();
        nanos.addAndGet(Duration.ofSeconds(5).toNanos()); // the load takes 5 s
        r.complete(started);
        assertThat(filter.certainlyAbsent("a@d.test")).isTrue();
        nanos.addAndGet(MAX_AGE.minusSeconds(5).toNanos());
        assertThat(filter.certainlyAbsent("a@d.test")).isTrue();
        nanos.incrementAndGet(); // max age after the load *began*
        assertThat(filter.certainlyAbsent("a@d.test")).isFalse();
        assertThat(filter.fresh()).isFalse();
        filter.refreshed(nanos.get());
        assertThat(filter.certainlyAbsent("a@d.test")).isTrue();
    }

    @Test
    void anAdditionDuringARebuildReachesTheNewFilter() {
        SuppressionFilter filter = new SuppressionFilter(MAX_AGE, nanos::get, 1000);
        filter.rebuild(0).complete(nanos.get());
        SuppressionFilter.Rebuild r = filter.rebuild(0);
        filter.add("Added@D.test"); // through this node while the rebuild reads the list
        assertThat(filter.certainlyAbsent("added@d.test")).isFalse();
        r.complete(nanos.get());
        assertThat(filter.certainlyAbsent("added@d.test")).isFalse();
        assertThat(filter.certainlyAbsent("other@d.test")).isTrue();
    }

    @Test
    void murmur3MatchesTheReference() {
        // MurmurHash3_x64_128("hello", seed 0) as two 64-bit values (Python's mmh3.hash64("hello"))
        long[] h = SuppressionFilter.murmur3("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(h[0]).isEqualTo(-3758069500696749310L);
        assertThat(h[1]).isEqualTo(6565844092913065241L);
    }

    /** A suppression list in memory, paged like the database's. */
    private static final class FakeList implements SuppressionFilterRefresher.Source {
        record Entry(Instant createdAt, String address) {}

        final List<Entry> entries = new CopyOnWriteArrayList<>();
        final AtomicBoolean down = new AtomicBoolean();
        final List<@Nullable Instant> reads = new CopyOnWriteArrayList<>();

        @Override
        public Mono<Long> count() {
            return down.get() ? Mono.error(new IllegalStateException("database down"))
                    : Mono.just((long) entries.size());
        }

        @Override
        public Flux<AddressPage> addresses(@Nullable Instant since) {
            if (down.get()) {
                return Flux.error(new IllegalStateException("database down"));
            }
            reads.add(since);
            List<Entry> selected = entries.stream()
                    .filter(e -> since == null || e.createdAt().isAfter(since)).toList();
            List<AddressPage> pages = new ArrayList<>();
            for (int i = 0; i < selected.size(); i += 100) {
                List<Entry> page = selected.subList(i, Math.min(selected.size(), i + 100));
                Entry last = page.get(page.size() - 1);
                pages.add(new AddressPage(page.stream().map(Entry::address).toList(),
                        new Cursor(last.createdAt(), "*", last.address())));
            }
            return Flux.fromIterable(pages);
        }
    }

    @Test
    void refresherLoadsReadsNewEntriesRebuildsOnGrowthAndOnFailureLetsTheFilterGoStale() {
        FakeList list = new FakeList();
        Instant t0 = Instant.parse("2026-12-05T00:00:00Z");
        for (int i = 0; i < 300; i++) {
            list.entries.add(new FakeList.Entry(t0.plusMillis(i), "old" + i + "@d.test"));
        }
        SuppressionFilter filter = new SuppressionFilter(MAX_AGE, nanos::get, 1000);
        SuppressionFilterRefresher refresher = new SuppressionFilterRefresher(filter, list,
                new SuppressionFilterRefresher.Settings(Duration.ofSeconds(10), Duration.ofHours(1),
                        Duration.ofMinutes(1)));
        refresher.tick().block(WAIT);
        assertThat(refresher.rebuilds()).isEqualTo(1);
        assertThat(filter.entries()).isEqualTo(300);
        assertThat(filter.capacity()).isEqualTo(1000);
        assertThat(filter.certainlyAbsent("old7@d.test")).isFalse();
        assertThat(filter.certainlyAbsent("new@d.test")).isTrue();

        // written by the database itself (another node, the write-back): read by the next tick, which asks only for
        // entries since the newest seen less the overlap
        list.entries.add(new FakeList.Entry(t0.plusSeconds(5), "new@d.test"));
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        refresher.tick().block(WAIT);
        assertThat(list.reads).last().isEqualTo(t0.plusMillis(299).minus(Duration.ofMinutes(1)));
        assertThat(filter.certainlyAbsent("new@d.test")).isFalse();
        assertThat(refresher.rebuilds()).isEqualTo(1);

        // grown past its capacity: the next tick rebuilds it bigger
        for (int i = 0; i < 1000; i++) {
            list.entries.add(new FakeList.Entry(t0.plusSeconds(6).plusMillis(i), "more" + i + "@d.test"));
        }
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        refresher.tick().block(WAIT);
        assertThat(filter.overfull()).isTrue();
        assertThat(refresher.rebuilds()).isEqualTo(1);
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        refresher.tick().block(WAIT);
        assertThat(refresher.rebuilds()).isEqualTo(2);
        assertThat(list.reads).last().isNull();
        assertThat(filter.capacity()).isEqualTo(2 * 1301);
        assertThat(filter.overfull()).isFalse();
        assertThat(list.entries).noneMatch(e -> filter.certainlyAbsent(e.address()));

        // the database fails: the filter is kept, and trusted until max age after the start of its last read
        list.down.set(true);
        long lastRead = nanos.get();
        for (int i = 0; i < 3; i++) {
            nanos.addAndGet(Duration.ofSeconds(10).toNanos());
            refresher.tick().block(WAIT); // never fails
        }
        assertThat(refresher.failures()).isEqualTo(3);
        assertThat(nanos.get() - lastRead).isEqualTo(MAX_AGE.toNanos());
        assertThat(filter.certainlyAbsent("clean@d.test")).isTrue();
        nanos.incrementAndGet();
        assertThat(filter.certainlyAbsent("clean@d.test")).isFalse();
        list.down.set(false);
        refresher.tick().block(WAIT);
        assertThat(filter.certainlyAbsent("clean@d.test")).isTrue();

        // an hour after the last full load: rebuilt, so entries deleted since stop being "maybe"
        list.entries.removeIf(e -> e.address().startsWith("more"));
        nanos.addAndGet(Duration.ofHours(1).toNanos());
        refresher.tick().block(WAIT);
        assertThat(refresher.rebuilds()).isEqualTo(3);
        assertThat(filter.entries()).isEqualTo(301);
    }
}
