package dev.relay.engine.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.engine.testing.WebhookReceiver;
import dev.relay.engine.testing.WebhookReceiver.Mode;
import dev.relay.storage.testing.Await;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Webhooks end to end: a real relay (in this JVM, its own PostgreSQL schema) delivering to a {@link TestMx}, and
 * real HTTP receivers ({@link WebhookReceiver}) that check every signature with their own HMAC code. The run size is
 * {@code -Dwebhooks.it.messages} (default 300 to keep the build short; the 10,000 runs the same code).
 */
class WebhooksIT {
    static final int MESSAGES = Integer.getInteger("webhooks.it.messages", 300);
    private static final Duration BOUND = Duration.ofSeconds(Math.max(60, MESSAGES / 50));

    private static String sections(int mxPort, String webhooks) {
        return "delivery:\n  node_name: hooks-it\n  poll_interval: 200ms\n"
                + "  routes: {\"*\": \"127.0.0.1:" + mxPort + " tls=disabled\"}\n"
                + "webhooks:\n  poll_interval: 100ms\n  batch_size: 50\n" + webhooks;
    }

    @Test
    void everyEventArrivesSignedWhileAnotherEndpointFailsAndAThirdHangsAndTheFailedOneCatchesUp() throws Exception {
        try (TestMx mx = TestMx.builder().start();
             WebhookReceiver ok = new WebhookReceiver();
             WebhookReceiver failing = new WebhookReceiver().mode(Mode.FAIL);
             WebhookReceiver hanging = new WebhookReceiver().mode(Mode.HANG);
             TestRelay relay = TestRelay.startWithAdmin("webhooks_it", sections(mx.address().getPort(),
                     "  timeout: 5s\n  backoff_base: 200ms\n  backoff_cap: 1s\n"))) {
            ok.secret(Hooks.add(relay.http(), "*", ok.url()).secret());
            Hooks.Added failed = Hooks.add(relay.http(), "*", failing.url());
            failing.secret(failed.secret());
            Hooks.Added hung = Hooks.add(relay.http(), "*", hanging.url());
            hanging.secret(hung.secret());

            long start = System.nanoTime();
            Hooks.send(relay.smtp(), "ok", MESSAGES, 8);
            double sent = (System.nanoTime() - start) / 1e9;
            Await.awaitTrue("all delivered", BOUND, () -> mx.transactions().size() >= MESSAGES);
            double delivered = (System.nanoTime() - start) / 1e9;
            // every message delivered and every event (accepted + delivered) at the healthy endpoint, in a bounded
            // time although one endpoint fails every POST and another holds every POST until its timeout
            Await.awaitTrue("all delivered and posted", BOUND, () -> mx.transactions().size() >= MESSAGES
                    && ok.eventIds().containsAll(expected(relay)) && expected(relay).size() == 2 * MESSAGES);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("webhooks: %d messages accepted in %.1f s, delivered in %.1f s, %d events posted in"
                    + " %.1f s%n", MESSAGES, sent, delivered, 2 * MESSAGES, seconds);
            assertThat(mx.transactions()).hasSize(MESSAGES);
            assertThat(hanging.hanging()).as("the hanging endpoint really held requests").isPositive();
            assertThat(failing.posts()).as("the failing endpoint was tried").isPositive();
            assertThat(failing.eventIds()).isEmpty();
            assertThat(ok.badSignatures()).isZero();
            assertThat(ok.largestBatch()).isBetween(1, 50);
            JsonNode some = ok.events().values().iterator().next();
            assertThat(some.fieldNames()).toIterable().contains("id", "time", "kind", "message", "recipient",
                    "attempt", "remote_host", "reply", "sender");

            // the failing endpoint recovers: everything arrives (retries back off to 1s at most)
            failing.mode(Mode.OK);
            Set<Long> all = expected(relay);
            Await.awaitTrue("the recovered endpoint caught up", BOUND, () -> failing.eventIds().containsAll(all));
            assertThat(failing.badSignatures()).isZero();

            String scrape = Hooks.metrics(relay.http());
            assertThat(Hooks.series(scrape, "relay_webhook_events_retried_total{endpoint=\"" + failed.id() + "\""))
                    .isPositive();
            assertThat(Hooks.series(scrape, "relay_webhook_events_delivered_total{endpoint=\"" + failed.id() + "\""))
                    .isGreaterThanOrEqualTo(all.size());
            JsonNode list = Hooks.admin(relay.http(), "GET", "webhooks", null, 200);
            assertThat(list.get("endpoints")).hasSize(3);
            assertThat(list.get("endpoints").toString()).doesNotContain(failed.secret());
        }
    }

    @Test
    void eventsFailingPastMaxAgeAreDeadLetteredShownAndReplayed() throws Exception {
        try (TestMx mx = TestMx.builder().start();
             WebhookReceiver receiver = new WebhookReceiver().mode(Mode.FAIL);
             TestRelay relay = TestRelay.startWithAdmin("webhooks_dead", sections(mx.address().getPort(),
                     "  backoff_base: 100ms\n  backoff_cap: 300ms\n  max_age: 2s\n"))) {
            Hooks.Added e = Hooks.add(relay.http(), "*", receiver.url());
            receiver.secret(e.secret());
            Hooks.send(relay.smtp(), "dead", 20, 2);
            Await.awaitTrue("dead-lettered", BOUND, () -> {
                try {
                    return Hooks.admin(relay.http(), "GET", "webhooks/dead?endpoint=" + e.id(), null, 200)
                            .get("dead_letters").size() == 40;
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            });
            JsonNode dead = Hooks.admin(relay.http(), "GET", "webhooks/dead", null, 200).get("dead_letters");
            assertThat(dead.get(0).get("last_error").asText()).isEqualTo("HTTP 500");
            assertThat(dead.get(0).get("attempts").asInt()).isGreaterThan(1);
            Await.awaitTrue("dead letters counted", Duration.ofSeconds(30), () -> {
                try {
                    String scrape = Hooks.metrics(relay.http());
                    return Hooks.series(scrape, "relay_webhook_events_dead_lettered_total{endpoint=\"" + e.id()
                            + "\"") == 40 && Hooks.series(scrape, "relay_webhook_dead_letters{endpoint=\"" + e.id()
                            + "\"") == 40;
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            });

            // the command line against the same API
            assertThat(cli(relay, "dead", String.valueOf(e.id()))).contains("HTTP 500");
            assertThat(cli(relay, "list")).containsPattern(e.id() + " +\\* +" + receiver.url()
                    + " +accepted,delivered,deferred,bounced,expired +4 +0 +40 ");

            receiver.mode(Mode.OK);
            assertThat(cli(relay, "replay", String.valueOf(e.id()))).isEqualTo("endpoint " + e.id()
                    + ": 40 dead letters back to pending\n");
            Set<Long> all = expected(relay);
            Await.awaitTrue("replayed events arrive", BOUND, () -> receiver.eventIds().containsAll(all));
            assertThat(all).hasSize(40);
            assertThat(Hooks.admin(relay.http(), "GET", "webhooks/dead", null, 200).get("dead_letters")).isEmpty();
            assertThat(Hooks.admin(relay.http(), "DELETE", "webhooks/" + e.id(), null, 200).get("removed").asLong())
                    .isEqualTo(e.id());
            Hooks.admin(relay.http(), "DELETE", "webhooks/" + e.id(), null, 404);
        }
    }

    /** {@code relay webhook ARGS} against the relay's admin API; its standard output (exit code 0 expected). */
    private static String cli(TestRelay relay, String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(args));
        all.addAll(java.util.List.of("--url", "http://127.0.0.1:" + relay.http().getPort(), "--token-file",
                relay.directory().resolve("admin.token").toString()));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = dev.relay.engine.admin.WebhookCommand.run(all.toArray(String[]::new),
                dev.relay.engine.config.RelayConfig.defaults(), java.util.Map.of(), new java.io.PrintStream(out, true,
                        java.nio.charset.StandardCharsets.UTF_8), new java.io.PrintStream(err, true,
                        java.nio.charset.StandardCharsets.UTF_8));
        assertThat(code).as("relay webhook %s: %s", all, err.toString(java.nio.charset.StandardCharsets.UTF_8))
                .isZero();
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static Set<Long> expected(TestRelay relay) {
        return Hooks.expected(relay.database().rows("SELECT id FROM event WHERE kind IN " + Hooks.DEFAULT_KINDS));
    }
}
