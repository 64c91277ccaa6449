package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.ClaimedMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** The claim loop's refill rules on virtual time: window 40 (claims of at most 10), poll every second. */
class ClaimerTest {
    private final FakeTime time = new FakeTime();
    private final FakeDeliveryStore store = new FakeDeliveryStore();
    private final Window window = new Window(40);
    private final List<ClaimedMessage> claimed = new CopyOnWriteArrayList<>();
    private final Set<String> fullSites = new HashSet<>();
    private volatile boolean mayClaim = true;
    private final Claimer claimer = new Claimer(Jobs.settings(40, 0.5), store, window,
            new ContentCache(store, 1 << 20, Duration.ofMinutes(5)), () -> Set.copyOf(fullSites), claimed::add,
            () -> mayClaim, time.timers);
    private Disposable loop;

    private void due(int messages) {
        for (int i = 0; i < messages; i++) {
            store.due.add(Jobs.message("example.com", 1, FakeTime.WALL));
        }
    }

    private void start() {
        loop = claimer.start();
        time.runDue();
    }

    private List<Integer> limits() {
        return store.claims.stream().map(FakeDeliveryStore.Claim::limit).toList();
    }

    @AfterEach
    void stop() {
        if (loop != null) {
            loop.dispose();
        }
    }

    @Test
    void theFirstClaimAtStartAsksForAQuarterOfTheWindow() {
        due(3);
        start();
        assertThat(limits()).containsExactly(10);
        assertThat(claimed).hasSize(3);
        assertThat(window.used()).as("claimed recipients hold their room, the rest is given back").isEqualTo(3);
        assertThat(claimer.claimRoom()).isZero();
    }

    @Test
    void aClaimAsksForNoMoreThanTheRoomLeftAndNoneWhenTheWindowIsFull() {
        window.tryReserve(35);
        due(3);
        start();
        assertThat(limits()).containsExactly(5);
        window.tryReserve(2);
        time.advance(Duration.ofSeconds(1));
        assertThat(limits()).as("window full: no query").containsExactly(5);
    }

    @Test
    void aShortClaimMeansNothingMoreIsDueUntilTheNextTick() {
        due(3);
        start();
        due(3);
        claimer.wake();
        time.runDue();
        assertThat(limits()).as("the last claim came back short: a wake-up does not query").hasSize(1);
        time.advance(Duration.ofMillis(999));
        assertThat(limits()).hasSize(1);
        time.advance(Duration.ofMillis(1));
        assertThat(limits()).as("the timer always claims").hasSize(2);
        assertThat(claimed).hasSize(6);
    }

    @Test
    void aFullClaimIsFollowedAtOnceByTheNext() {
        due(25);
        start();
        assertThat(limits()).as("10 and 10 came back full, the third short").containsExactly(10, 10, 10);
        assertThat(claimed).hasSize(25);
        assertThat(window.used()).isEqualTo(25);
    }

    @Test
    void whileMoreIsDueFreedRoomIsRefilledOnAWakeUp() {
        window.tryReserve(30);
        due(15);
        start();
        assertThat(limits()).as("full claim, then no room for the next").containsExactly(10);
        window.release(10); // deliveries written back
        claimer.wake();
        time.runDue();
        assertThat(limits()).containsExactly(10, 10);
        assertThat(claimed).hasSize(15);
    }

    @Test
    void sitesHoldingTheirSharePassedToTheClaim() {
        fullSites.add("slow.example");
        due(1);
        start();
        assertThat(store.claims).extracting(FakeDeliveryStore.Claim::skipSites)
                .containsExactly(Set.of("slow.example"));
    }

    @Test
    void oneClaimAtATimeAndAWakeUpDuringItIsKeptForItsEnd() {
        store.holdClaims = true;
        due(10);
        start();
        assertThat(claimer.claimRoom()).as("reserved, not yet filled").isEqualTo(10);
        claimer.wake();
        time.advance(Duration.ofSeconds(3));
        assertThat(limits()).as("no second query while one is open").hasSize(1);
        store.openClaims.get(0).tryEmitEmpty();
        time.runDue();
        assertThat(claimed).hasSize(10);
        assertThat(limits()).as("came back full: the next follows").hasSize(2);
    }

    @Test
    void noClaimWhileTheNodeMayNotStart() {
        mayClaim = false;
        due(1);
        start();
        time.advance(Duration.ofSeconds(5));
        assertThat(store.claims).isEmpty();
        mayClaim = true;
        time.advance(Duration.ofSeconds(1));
        assertThat(claimed).hasSize(1);
    }

    @Test
    void aFailedClaimGivesItsRoomBackAndTheTimerTriesAgain() {
        store.claimFailures.add(new IOException("database away"));
        due(2);
        start();
        assertThat(window.used()).isZero();
        assertThat(claimer.claimRoom()).isZero();
        time.advance(Duration.ofSeconds(1));
        assertThat(claimed).hasSize(2);
    }

    @Test
    void stoppingDuringAClaimGivesItsRoomBack() {
        store.holdClaims = true;
        due(5);
        start();
        assertThat(window.used()).isEqualTo(10);
        loop.dispose();
        assertThat(window.used()).isZero();
        assertThat(claimer.claimRoom()).isZero();
    }

    @Test
    void stoppingAfterAClaimEndedGivesNothingBackTwice() {
        due(2);
        start();
        assertThat(window.used()).isEqualTo(2);
        loop.dispose();
        assertThat(window.used()).as("the claimed recipients still hold their room").isEqualTo(2);
    }

    @Test
    void stoppingAfterAnAsynchronousClaimEndedGivesNothingBackTwice() {
        store.holdClaims = true;
        due(2);
        start();
        store.openClaims.get(0).tryEmitEmpty();
        assertThat(window.used()).isEqualTo(2);
        loop.dispose();
        assertThat(window.used()).as("the claimed recipients still hold their room").isEqualTo(2);
    }
}
