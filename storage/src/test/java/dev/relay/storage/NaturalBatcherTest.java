package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.R2dbcBadGrammarException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Isolation of a member that can never be written, and the pace's rest between batches on virtual time (always,
 * and only while resting gathers members), with a writer that answers from a script (no I/O).
 */
class NaturalBatcherTest {
    /** A member that records how it ended. */
    static final class Member implements NaturalBatcher.Pending {
        final String name;
        volatile String result = "pending";

        Member(String name) {
            this.name = name;
        }

        @Override
        public int weight() {
            return 1;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void discard() {}

        @Override
        public void succeed() {
            result = "ok";
        }

        @Override
        public void fail(Throwable error) {
            result = "failed: " + (StorageErrors.isTransient(error) ? "transient" : "permanent");
        }

        @Override
        public String describe() {
            return name;
        }
    }

    private final List<List<String>> writes = new CopyOnWriteArrayList<>();
    private final Sinks.One<Void> firstWrite = Sinks.one();

    /** The first write waits for the test; any batch with "poison" fails as a NUL in text does; "down" as an outage. */
    private Mono<?> write(List<Member> batch) {
        List<String> names = batch.stream().map(m -> m.name).toList();
        writes.add(names);
        if (writes.size() == 1) {
            return firstWrite.asMono();
        }
        if (names.contains("poison")) {
            return Mono.error(new R2dbcBadGrammarException("invalid byte sequence for encoding \"UTF8\": 0x00",
                    "22021", 0));
        }
        if (names.contains("down")) {
            return Mono.error(new R2dbcNonTransientResourceException("connection closed"));
        }
        return Mono.empty();
    }

    private NaturalBatcher<Member> batcher() {
        return batcher(100, NaturalBatcher.Pace.NONE);
    }

    private NaturalBatcher<Member> batcher(int maxWeight, NaturalBatcher.Pace pace) {
        return new NaturalBatcher<>(1, maxWeight, 100, new NaturalBatcher.Texts("test", "closed", "full", "failed: "),
                this::write, new NaturalBatcher.Observer<>() {
                    @Override
                    public void written(List<Member> batch, long nanos) {}

                    @Override
                    public void failed(List<Member> batch, Throwable cause) {}
                }, pace);
    }

    private static List<String> results(List<Member> members) {
        List<String> out = new ArrayList<>();
        members.forEach(m -> out.add(m.name + " " + m.result));
        return out;
    }

    @Test
    void aPermanentlyFailingMemberFailsAloneAndTheOthersOfItsBatchAreWritten() {
        NaturalBatcher<Member> batcher = batcher();
        Member first = new Member("first");
        batcher.offer(first, () -> { });
        List<Member> members = List.of(new Member("a"), new Member("poison"), new Member("b"));
        members.forEach(m -> batcher.offer(m, () -> { })); // queue up behind the first write
        firstWrite.tryEmitEmpty();

        assertThat(results(members)).containsExactly("a ok", "poison failed: permanent", "b ok");
        assertThat(writes).containsExactly(List.of("first"), List.of("a", "poison", "b"), List.of("a"),
                List.of("poison"), List.of("b"));
        // the committer slot is free again
        Member after = new Member("after");
        batcher.offer(after, () -> { });
        assertThat(after.result).isEqualTo("ok");
    }

    @Test
    void aTransientFailureFailsTheWholeBatchWithoutWritingMembersAlone() {
        NaturalBatcher<Member> batcher = batcher();
        batcher.offer(new Member("first"), () -> { });
        List<Member> members = List.of(new Member("a"), new Member("down"));
        members.forEach(m -> batcher.offer(m, () -> { }));
        firstWrite.tryEmitEmpty();

        assertThat(results(members)).containsExactly("a failed: transient", "down failed: transient");
        assertThat(writes).hasSize(2);
    }

    @Test
    void withAPaceMembersArrivingWithinTheIntervalWaitForItAndGoInOneBatch() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        NaturalBatcher<Member> batcher = batcher(100, new NaturalBatcher.Pace(Duration.ofMillis(20), time));
        Member first = new Member("first");
        batcher.offer(first, () -> { });
        firstWrite.tryEmitEmpty();
        assertThat(first.result).isEqualTo("ok"); // an idle batcher writes at once

        List<Member> members = List.of(new Member("a"), new Member("b"), new Member("c"));
        for (Member m : members) {
            time.advanceTimeBy(Duration.ofMillis(5));
            batcher.offer(m, () -> { });
        }
        time.advanceTimeBy(Duration.ofMillis(4)); // 19 ms since the first batch started
        assertThat(results(members)).containsOnly("a pending", "b pending", "c pending");
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(results(members)).containsExactly("a ok", "b ok", "c ok");
        assertThat(writes).containsExactly(List.of("first"), List.of("a", "b", "c"));

        // after an idle interval, a member is written at once again
        time.advanceTimeBy(Duration.ofMillis(100));
        Member later = new Member("later");
        batcher.offer(later, () -> { });
        assertThat(later.result).isEqualTo("ok");
    }

    @Test
    void aFullBatchDoesNotRest() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        NaturalBatcher<Member> batcher = batcher(2, new NaturalBatcher.Pace(Duration.ofMillis(20), time));
        batcher.offer(new Member("first"), () -> { });
        List<Member> members = List.of(new Member("a"), new Member("b"), new Member("c"));
        members.forEach(m -> batcher.offer(m, () -> { })); // queue up behind the first write
        firstWrite.tryEmitEmpty();
        assertThat(writes).hasSize(1); // "first" was alone, under the limit: its committer rests

        time.advanceTimeBy(Duration.ofMillis(20));
        // [a, b] is full, so [c] follows without waiting for another interval
        assertThat(writes).containsExactly(List.of("first"), List.of("a", "b"), List.of("c"));
        assertThat(results(members)).containsExactly("a ok", "b ok", "c ok");
    }

    @Test
    void closingDuringARestFailsTheWaitingMembersAndTheRestEndsQuietly() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        NaturalBatcher<Member> batcher = batcher(100, new NaturalBatcher.Pace(Duration.ofMillis(20), time));
        batcher.offer(new Member("first"), () -> { });
        firstWrite.tryEmitEmpty();
        Member waiting = new Member("waiting");
        batcher.offer(waiting, () -> { });

        batcher.close();
        assertThat(waiting.result).startsWith("failed");
        time.advanceTimeBy(Duration.ofMillis(20));
        assertThat(writes).containsExactly(List.of("first"));
        assertThat(batcher.queued()).isZero();
    }

    @Test
    void whileGatheringALoneClientWaitingForEachReplyIsNeverHeld() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        NaturalBatcher<Member> batcher = batcher(100, new NaturalBatcher.Pace(Duration.ofMillis(20), time, true));
        Member first = new Member("first");
        batcher.offer(first, () -> { });
        firstWrite.tryEmitEmpty();
        for (int i = 0; i < 3; i++) { // each sent after the reply to the one before, no time passing
            Member next = new Member("next" + i);
            batcher.offer(next, () -> { });
            assertThat(next.result).isEqualTo("ok");
        }
        assertThat(writes).hasSize(4);
    }

    @Test
    void whileGatheringMembersArrivingDuringAWriteMakeTheCommitterRestUntilTheRestGathersNoMore() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        NaturalBatcher<Member> batcher = batcher(100, new NaturalBatcher.Pace(Duration.ofMillis(20), time, true));
        batcher.offer(new Member("first"), () -> { });
        Member a = new Member("a");
        batcher.offer(a, () -> { }); // arrives while "first" is written: others are sending
        firstWrite.tryEmitEmpty();
        assertThat(a.result).isEqualTo("pending"); // the committer rests

        time.advanceTimeBy(Duration.ofMillis(5));
        Member b = new Member("b");
        batcher.offer(b, () -> { });
        time.advanceTimeBy(Duration.ofMillis(14));
        assertThat(results(List.of(a, b))).containsExactly("a pending", "b pending");
        time.advanceTimeBy(Duration.ofMillis(1)); // 20 ms after "first" started
        assertThat(writes).containsExactly(List.of("first"), List.of("a", "b"));

        // that rest gathered two: the next one rests too, although nothing arrived while [a, b] was written
        time.advanceTimeBy(Duration.ofMillis(5));
        Member c = new Member("c");
        batcher.offer(c, () -> { });
        time.advanceTimeBy(Duration.ofMillis(14));
        assertThat(c.result).isEqualTo("pending");
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(c.result).isEqualTo("ok");

        // a rest that ended with one member (a lone client's next message) ends the resting
        Member d = new Member("d");
        batcher.offer(d, () -> { });
        assertThat(d.result).isEqualTo("ok");
        assertThat(writes).containsExactly(List.of("first"), List.of("a", "b"), List.of("c"), List.of("d"));
    }
}
