package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.bounce.BounceSink;
import dev.relay.engine.config.RetryConfig;
import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.delivery.AttemptResult;
import dev.relay.engine.delivery.DeliveryClient;
import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.engine.delivery.Envelope;
import dev.relay.engine.routing.NextHop;
import dev.relay.engine.routing.Resolution;
import dev.relay.engine.shaping.Rate;
import dev.relay.engine.shaping.Shaping;
import dev.relay.engine.shaping.SiteShaping;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.RecipientUpdate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Routing (through {@link Routing}) to site queues, the site's share of the window, holds, wake-ups and eviction, on virtual time with a fake
 * store, router and client. Window 40 and share 0.25: a site may hold 10 recipients.
 */
class SiteDispatcherTest {
    private static final String SITE = "slow.example";
    private final FakeTime time = new FakeTime();
    private final FakeDeliveryStore store = new FakeDeliveryStore();
    private final Window window = new Window(40);
    private DeliveryScheduler.Settings settings = Jobs.settings(40, 0.25);
    private final List<Envelope> attempts = new CopyOnWriteArrayList<>();
    /** When set, attempts hang until the test completes them. */
    private boolean hang;
    private final List<Sinks.One<AttemptResult>> hanging = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> returnedForShare = new ConcurrentHashMap<>();
    private final AtomicInteger freed = new AtomicInteger();
    private SiteShaping shaping = shaping(10, null);
    private SiteSuspensions suspensions = SiteSuspensions.NONE;
    private Resolution resolution = new Resolution.Routed(SITE, List.of(new NextHop("mx." + SITE,
            new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 25), TlsMode.OPPORTUNISTIC, false)));

    private final DeliveryClient client = new DeliveryClient() {
        @Override
        public Mono<AttemptResult> deliver(String site, List<NextHop> hops, SiteLimits limits,
                                           dev.relay.engine.delivery.SitePacing pacing, Envelope envelope) {
            attempts.add(envelope);
            if (hang) {
                Sinks.One<AttemptResult> result = Sinks.one();
                hanging.add(result);
                return result.asMono();
            }
            return Mono.just(new AttemptResult(Collections.nCopies(envelope.recipients().size(),
                    new DeliveryOutcome.Delivered("mx." + site, SmtpReply.of(250, "2.0.0", "ok")))));
        }

        @Override
        public void close() {
        }
    };

    private final DeliveryObserver observer = new DeliveryObserver() {
        @Override
        public void attempted(String site, List<DeliveryOutcome> outcomes, Duration took) {
        }

        @Override
        public void expired(int recipients) {
        }

        @Override
        public void returnedForShare(String site, int recipients) {
            returnedForShare.merge(site, recipients, Integer::sum);
        }
    };

    private SiteDispatcher dispatcher;
    private Routing routing;
    private ContentCache contents;

    private static SiteShaping shaping(int connections, @Nullable Rate rate) {
        return new SiteShaping(SiteLimits.defaults().withConnectionLimit(connections), rate, null,
                List.of(Duration.ofMinutes(1)), List.of());
    }

    private SiteDispatcher dispatcher() {
        if (dispatcher == null) {
            contents = new ContentCache(store, 1 << 20, Duration.ofMinutes(5));
            OutcomeRecorder recorder = new OutcomeRecorder(settings.node(), store, new OutcomeUpdates(
                    new RetrySchedule(new RetryConfig(List.of(Duration.ofMinutes(1)), 0.2, Duration.ofDays(2)))),
                    BounceSink.NONE, contents, observer, window, time.time, time.timers, () -> false,
                    freed::incrementAndGet);
            AttemptRunner runner = new AttemptRunner(client, contents, recorder, observer, time.time);
            dispatcher = new SiteDispatcher(settings, store, Shaping.fixed(shaping),
                    site -> suspensions.holdOf(site), observer, window, recorder, runner, time.time, time.timers,
                    () -> true, () -> false, () -> 1, freed::incrementAndGet);
            routing = new Routing(domain -> Mono.just(resolution), dispatcher, recorder, window, () -> false);
        }
        return dispatcher;
    }

    /** A claimed message of {@code recipients} for the site, holding its window room as a claim would. */
    private ClaimedMessage claim(int recipients) {
        ClaimedMessage m = Jobs.message(SITE, recipients, FakeTime.WALL);
        store.contents.put(m.id(), "Subject: t\r\n\r\nbody\r\n".getBytes());
        assertThat(window.tryReserve(recipients)).isTrue();
        dispatcher();
        routing.accept(m);
        return m;
    }

    @Test
    void aMessageDeliveredInOneAttemptLeavesTheContentCache() {
        shaping = shaping(1, null);
        dispatcher();
        ClaimedMessage m = Jobs.message(SITE, 2, FakeTime.WALL);
        // as the scheduler's offer keeps a freshly accepted message's content (the store has none: only the cache)
        contents.put(m, "Subject: t\r\n\r\nbody\r\n".getBytes());
        assertThat(window.tryReserve(2)).isTrue();
        routing.accept(m);
        assertThat(attempts).as("delivered from the cache").hasSize(1);
        assertThat(contents.has(m.id())).as("no attempt of this node needs it any more").isFalse();
    }

    @Test
    void aMessageSplitIntoTwoTransactionsLeavesTheContentCacheAfterTheSecond() {
        SiteLimits d = SiteLimits.defaults();
        SiteLimits twoPerTransaction = new SiteLimits(1, d.maxDeliveriesPerConnection(), 2, d.idleTimeout(),
                d.connectTimeout(), d.greetingTimeout(), d.commandTimeout(), d.dataTimeout(), d.dataEndTimeout(),
                d.tls());
        shaping = new SiteShaping(twoPerTransaction, null, null, List.of(Duration.ofMinutes(1)), List.of());
        hang = true;
        dispatcher();
        ClaimedMessage m = Jobs.message(SITE, 3, FakeTime.WALL);
        contents.put(m, "Subject: t\r\n\r\nbody\r\n".getBytes());
        assertThat(window.tryReserve(3)).isTrue();
        routing.accept(m);
        assertThat(attempts).hasSize(1);
        hanging.get(0).tryEmitValue(new AttemptResult(Collections.nCopies(attempts.get(0).recipients().size(),
                new DeliveryOutcome.Delivered("mx", SmtpReply.of(250, "2.0.0", "ok")))));
        assertThat(attempts).as("the second transaction, from the cache").hasSize(2);
        assertThat(contents.has(m.id())).as("its second transaction still to end").isTrue();
        hanging.get(1).tryEmitValue(new AttemptResult(Collections.nCopies(attempts.get(1).recipients().size(),
                new DeliveryOutcome.Delivered("mx", SmtpReply.of(250, "2.0.0", "ok")))));
        assertThat(contents.has(m.id())).isFalse();
    }

    @Test
    void aJobPastTheSitesShareGoesBackToTheSpoolUnattempted() {
        shaping = shaping(1, null);
        hang = true;
        claim(6);
        ClaimedMessage second = claim(6);
        assertThat(attempts).hasSize(1);
        assertThat(store.unclaims).containsExactly(new FakeDeliveryStore.Unclaim(second.id(),
                List.of(0, 1, 2, 3, 4, 5), SITE));
        assertThat(returnedForShare).containsEntry(SITE, 6);
        assertThat(window.used()).as("the returned job's room is free again").isEqualTo(6);
        assertThat(dispatcher.fullSites()).as("6 held, above the skip mark max(10/2, 10-10)").containsExactly(SITE);
    }

    @Test
    void aJobTheDatabaseCannotTakeBackWaitsInItsSiteQueue() {
        shaping = shaping(1, null);
        hang = true;
        store.unclaimFailures.add(new IOException("database away"));
        claim(6);
        claim(6);
        assertThat(window.used()).isEqualTo(12);
        assertThat(dispatcher.snapshot()).containsEntry(SITE, new DeliveryScheduler.SiteSnapshot(1, 0, 1));
        hanging.get(0).tryEmitValue(new AttemptResult(Collections.nCopies(6,
                new DeliveryOutcome.Delivered("mx", SmtpReply.of(250, "2.0.0", "ok")))));
        assertThat(attempts).as("started once the first finished").hasSize(2);
    }

    @Test
    void aRateWaitComesBackOnTheTimerAtTheRightTime() {
        shaping = shaping(10, new Rate(1, Duration.ofSeconds(10)));
        claim(1);
        claim(1);
        claim(1);
        assertThat(attempts).hasSize(1);
        time.advance(Duration.ofSeconds(10).minusNanos(1));
        assertThat(attempts).as("not before the next token").hasSize(1);
        time.advance(Duration.ofNanos(1));
        assertThat(attempts).hasSize(2);
        time.advance(Duration.ofSeconds(10));
        assertThat(attempts).hasSize(3);
        assertThat(store.rows()).extracting(RecipientUpdate::kind).containsOnly(RecipientUpdate.Kind.DELIVERED)
                .hasSize(3);
        assertThat(window.used()).isZero();
    }

    @Test
    void aFinishedDeliveryFreesRoomAndStartsTheNextJob() {
        shaping = shaping(1, null);
        hang = true;
        claim(2);
        claim(2);
        assertThat(attempts).hasSize(1);
        hanging.get(0).tryEmitValue(new AttemptResult(Collections.nCopies(2,
                new DeliveryOutcome.Delivered("mx", SmtpReply.of(250, "2.0.0", "ok")))));
        assertThat(attempts).hasSize(2);
        assertThat(window.used()).isEqualTo(2);
        assertThat(freed).as("the claimer was woken").hasPositiveValue();
    }

    @Test
    void aSuspendedSiteHoldsItsJobsBackUntilTheSuspensionEnds() {
        SiteSuspensions.Hold hold = new SiteSuspensions.Hold(FakeTime.WALL.plus(Duration.ofHours(2)), "maintenance");
        suspensions = site -> SITE.equals(site) ? hold : null;
        claim(3);
        assertThat(attempts).isEmpty();
        assertThat(store.rows()).hasSize(3).allSatisfy(row -> {
            assertThat(row.kind()).isEqualTo(RecipientUpdate.Kind.HELD);
            assertThat(row.nextAttemptAt()).isEqualTo(hold.until());
            assertThat(row.reply()).isEqualTo("site slow.example suspended: maintenance");
        });
        assertThat(window.used()).isZero();
    }

    @Test
    void anUndeliverableDomainBouncesWithoutAnAttempt() {
        resolution = new Resolution.Undeliverable("5.1.10", "null MX");
        claim(2);
        assertThat(attempts).isEmpty();
        assertThat(store.rows()).extracting(RecipientUpdate::kind).containsOnly(RecipientUpdate.Kind.BOUNCED);
        assertThat(store.rows().get(0).reply()).isEqualTo("550 5.1.10 null MX");
        assertThat(window.used()).isZero();
    }

    @Test
    void anIdleSiteQueueIsEvictedAfterTheIdlePeriodOnly() {
        claim(1);
        assertThat(dispatcher.queue(SITE)).isNotNull();
        time.advance(Duration.ofMinutes(5).minusNanos(1));
        dispatcher.evictIdle();
        assertThat(dispatcher.queue(SITE)).isNotNull();
        time.advance(Duration.ofNanos(1));
        dispatcher.evictIdle();
        assertThat(dispatcher.queue(SITE)).isNull();
        claim(1);
        assertThat(attempts).as("a new queue after eviction").hasSize(2);
    }

    @Test
    void aSiteWithWorkIsNotEvicted() {
        shaping = shaping(1, null);
        hang = true;
        claim(1);
        time.advance(Duration.ofHours(1));
        dispatcher.evictIdle();
        assertThat(dispatcher.queue(SITE)).isNotNull();
    }

    @Test
    void droppingWhatWaitsReleasesItsRoomButNotTheRunningDeliveries() {
        shaping = shaping(1, null);
        hang = true;
        claim(2);
        claim(3);
        assertThat(dispatcher.dropWaiting()).isEqualTo(3);
        assertThat(window.used()).isEqualTo(2);
        assertThat(dispatcher.snapshot().get(SITE)).isEqualTo(new DeliveryScheduler.SiteSnapshot(0, 0, 1));
    }

    // --- the write-back runs on its own: a slot is free at the final reply ---

    @Test
    void aSlotCarriesTheNextMessageWhileTheOutcomesOfThePreviousOnesAreStillBeingWritten() {
        shaping = shaping(1, null);
        store.holdRecords = true;
        ClaimedMessage a = claim(1);
        ClaimedMessage b = claim(1);
        ClaimedMessage c = claim(1);
        assertThat(attempts).as("one connection, three transactions, no commit yet").hasSize(3);
        assertThat(store.openRecords).as("three write-backs waiting together: one batch for the store").hasSize(3);
        assertThat(store.requested).extracting(rows -> rows.get(0).messageId())
                .as("queued in the order the transactions ended").containsExactly(a.id(), b.id(), c.id());
        assertThat(window.used()).as("still claimed until written: no over-claiming").isEqualTo(3);
        assertThat(dispatcher.snapshot().get(SITE)).isEqualTo(new DeliveryScheduler.SiteSnapshot(0, 0, 0));
        assertThat(dispatcher.queue(SITE).holding()).as("the site's share counts them too").isEqualTo(3);
        int woken = freed.get();
        store.openRecords.forEach(Sinks.Empty::tryEmitEmpty);
        assertThat(store.rows()).hasSize(3);
        assertThat(window.used()).isZero();
        assertThat(dispatcher.queue(SITE).holding()).isZero();
        assertThat(dispatcher.unwritten()).isZero();
        assertThat(freed.get()).as("each write-back woke the claimer").isEqualTo(woken + 3);
    }

    @Test
    void aFailedWriteBackIsRetriedWithoutHoldingTheSlotAndWrittenExactlyOnce() {
        shaping = shaping(1, null);
        store.recordFailures.add(new IOException("connection reset by the database"));
        ClaimedMessage a = claim(1);
        ClaimedMessage b = claim(1);
        assertThat(attempts).as("the second delivery did not wait for the first one's retry").hasSize(2);
        assertThat(store.rows()).extracting(RecipientUpdate::messageId).containsExactly(b.id());
        assertThat(window.used()).as("the failed one stays claimed").isEqualTo(1);
        // the retry's backoff has jitter: the first one comes within 1.5 x FIRST_RETRY
        time.advance(OutcomeRecorder.FIRST_RETRY.multipliedBy(2));
        assertThat(store.rows()).extracting(RecipientUpdate::messageId).containsExactly(b.id(), a.id());
        assertThat(store.rows()).extracting(RecipientUpdate::kind).containsOnly(RecipientUpdate.Kind.DELIVERED);
        assertThat(window.used()).isZero();
        assertThat(dispatcher.unwritten()).isZero();
    }

    @Test
    void atTheWriteBackLimitNothingStartsUntilAWriteBackEnds() {
        settings = new DeliveryScheduler.Settings("n1", 40, 0.25, Duration.ofSeconds(1), Duration.ofSeconds(5),
                Duration.ofSeconds(20), Duration.ofMinutes(5), 2);
        shaping = shaping(10, null);
        store.holdRecords = true;
        for (int i = 0; i < 5; i++) {
            claim(1);
        }
        assertThat(attempts).as("two unwritten deliveries at most").hasSize(2);
        assertThat(dispatcher.unwritten()).isEqualTo(2);
        assertThat(dispatcher.snapshot().get(SITE)).isEqualTo(new DeliveryScheduler.SiteSnapshot(3, 0, 0));
        store.openRecords.get(0).tryEmitEmpty();
        assertThat(attempts).as("a written outcome lets one more start").hasSize(3);
        assertThat(dispatcher.unwritten()).isEqualTo(2);
        store.openRecords.get(1).tryEmitEmpty();
        store.openRecords.get(2).tryEmitEmpty();
        assertThat(attempts).hasSize(5);
        store.openRecords.forEach(Sinks.Empty::tryEmitEmpty);
        assertThat(store.rows()).hasSize(5);
        assertThat(window.used()).isZero();
        assertThat(dispatcher.unwritten()).isZero();
    }

    @Test
    void aMessageGoneFromTheSpoolGivesItsSlotAndPermitBack() {
        shaping = shaping(1, null);
        ClaimedMessage gone = claimWithoutContent(1);
        ClaimedMessage next = claim(1);
        assertThat(attempts).extracting(Envelope::id).containsExactly(next.id());
        assertThat(store.rows()).extracting(RecipientUpdate::messageId).containsExactly(next.id());
        assertThat(gone.id()).isNotEqualTo(next.id());
        assertThat(window.used()).isZero();
        assertThat(dispatcher.unwritten()).isZero();
        assertThat(dispatcher.queue(SITE).holding()).isZero();
    }

    private ClaimedMessage claimWithoutContent(int recipients) {
        ClaimedMessage m = Jobs.message(SITE, recipients, FakeTime.WALL);
        assertThat(window.tryReserve(recipients)).isTrue();
        dispatcher();
        routing.accept(m);
        return m;
    }
}
