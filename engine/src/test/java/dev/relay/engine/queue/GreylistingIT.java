package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Deferrals that say something about coming back, against a {@link TestMx} that greylists: the relay's retry comes
 * when the reply says, not when its schedule would (the schedule here is deliberately too early or too late to pass).
 */
class GreylistingIT {
    @Test
    void aStatedDelayIsWaitedOutAndTheRecipientDeliveredOnce() throws Exception {
        Duration delay = Duration.ofSeconds(5);
        try (TestMx mx = TestMx.builder().greylist(delay).start();
             // a schedule of 1 s would come back four times too early if the stated time were ignored
             TestRelay relay = TestRelay.startWithDatabase("greystated", "", DeliveryEndToEndIT.route(mx.address(),
                     "  retry: {schedule: [1s], jitter: 0}\n"))) {
            Submissions.submit(relay.smtp(), "app@shop.test", "<grey-stated@t>", "user@example.test");
            awaitTrue(Duration.ofSeconds(40), () -> mx.transactions().size() == 1);
            awaitTrue(Duration.ofSeconds(10), () -> relay.spool().countMessages().block() == 0L);
            Thread.sleep(500); // a duplicate would show now

            List<TestMx.Event> attempts = mx.attempts("user@example.test");
            assertThat(attempts).extracting(TestMx.Event::code).containsExactly(451, 250);
            Duration waited = Duration.ofNanos(attempts.get(1).nanos() - attempts.get(0).nanos());
            assertThat(waited).as("no earlier than the stated delay").isGreaterThanOrEqualTo(delay)
                    .as("and within 30 s after it").isLessThanOrEqualTo(delay.plusSeconds(30));
            assertThat(mx.transactions()).hasSize(1);
            assertThat(mx.transactions().get(0).recipients()).containsExactly("user@example.test");
        }
    }

    @Test
    void greylistingWithoutAStatedTimeIsRetriedEarly() throws Exception {
        try (TestMx mx = TestMx.builder().greylistWithoutStatedDelay(Duration.ofSeconds(2)).start();
             // the schedule alone would wait 60 s; greylist_retry says 3 s
             TestRelay relay = TestRelay.startWithDatabase("greyunstated", "", DeliveryEndToEndIT.route(mx.address(),
                     "  retry: {schedule: [60s], jitter: 0, greylist_retry: 3s}\n"))) {
            Submissions.submit(relay.smtp(), "app@shop.test", "<grey-unstated@t>", "user@example.test");
            awaitTrue(Duration.ofSeconds(30), () -> mx.transactions().size() == 1);

            List<TestMx.Event> attempts = mx.attempts("user@example.test");
            assertThat(attempts).extracting(TestMx.Event::code).containsExactly(450, 250);
            Duration waited = Duration.ofNanos(attempts.get(1).nanos() - attempts.get(0).nanos());
            assertThat(waited).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(20));
        }
    }

    @Test
    void aDeferralAboutOneRecipientDefersOnlyThatRecipient() throws Exception {
        AtomicInteger fullRefusals = new AtomicInteger();
        try (TestMx mx = TestMx.builder()
                .script(step -> step.is("RCPT") && step.argument().contains("full@") && fullRefusals.getAndIncrement() == 0
                        ? Action.reply(452, "4.2.2", "<full@example.test>: Mailbox full") : null)
                .start();
             TestRelay relay = TestRelay.startWithDatabase("onercpt", "", DeliveryEndToEndIT.route(mx.address(),
                     "  retry: {schedule: [1s], jitter: 0}\n"))) {
            Submissions.submit(relay.smtp(), "app@shop.test", "<one-rcpt@t>", "ok1@example.test",
                    "full@example.test", "ok2@example.test");
            awaitTrue(Duration.ofSeconds(30), () -> mx.transactions().size() == 2);
            awaitTrue(Duration.ofSeconds(10), () -> relay.spool().countMessages().block() == 0L);
            Thread.sleep(500);

            assertThat(mx.transactions()).hasSize(2);
            assertThat(mx.transactions().get(0).recipients()).as("the others in the same transaction")
                    .containsExactly("ok1@example.test", "ok2@example.test");
            assertThat(mx.transactions().get(1).recipients()).containsExactly("full@example.test");
            assertThat(mx.attempts("full@example.test")).extracting(TestMx.Event::code).containsExactly(452, 250);
            assertThat(mx.attempts("ok1@example.test")).extracting(TestMx.Event::code).containsExactly(250);
            assertThat(mx.attempts("ok2@example.test")).extracting(TestMx.Event::code).containsExactly(250);
        }
    }
}
