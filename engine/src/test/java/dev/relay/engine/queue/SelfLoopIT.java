package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static dev.relay.engine.queue.DeliveryEndToEndIT.eventCounts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestDnsServer;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import io.netty.handler.codec.dns.DnsRecordType;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A domain whose MX is this relay (here: loopback) bounces at once with 5.4.6 "loops back to myself" and one DSN,
 * without a delivery attempt; the same loopback host reached through a static route still receives mail.
 */
class SelfLoopIT {
    @Test
    void mxOnLoopbackBouncesOnceWhileAStaticRouteToLoopbackDelivers() throws Exception {
        try (TestDnsServer dns = new TestDnsServer().mx("loop.test", 300, 10, "mx.loop.test")
                .a("mx.loop.test", 300, "127.0.0.1");
             TestMx senderMx = TestMx.builder().start();
             TestMx routedMx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithDatabase("selfloop", "", "delivery:\n"
                     + "  routes: {shop.test: \"127.0.0.1:" + senderMx.address().getPort() + " tls=disabled\","
                     + " routed.test: \"mx.loop.test:" + routedMx.address().getPort() + " tls=disabled\"}\n"
                     + "  dns: {servers: [\"127.0.0.1:" + dns.port() + "\"]}\n"
                     + "  poll_interval: 200ms\n"
                     + "  retry: {schedule: [1s], jitter: 0, greylist_retry: 1s}\n"
                     + ShapingFiles.key("default: {greeting_timeout: 1s, command_timeout: 2s,"
                     + " connect_timeout: 1s}\n"))) {
            Submissions.submit(relay.smtp(), "app@shop.test", "<loop@t>", "user@loop.test", "friend@routed.test");

            awaitTrue(Duration.ofSeconds(20), () -> senderMx.transactions().size() == 1
                    && routedMx.transactions().size() == 1);
            awaitTrue(Duration.ofSeconds(10), () -> relay.spool().countMessages().block() == 0L);
            assertThat(routedMx.transactions()).singleElement()
                    .satisfies(t -> assertThat(t.recipients()).containsExactly("friend@routed.test"));
            TestMx.Transaction dsn = senderMx.transactions().get(0);
            assertThat(dsn.mailFrom()).isIn("", "<>");
            assertThat(new String(dsn.data(), StandardCharsets.UTF_8)).contains("Final-Recipient: rfc822; user@loop.test",
                    "Action: failed", "Status: 5.4.6", "mail for loop.test loops back to myself")
                    .doesNotContain("friend@routed.test\r\nAction");
            assertThat(dns.queries("loop.test", DnsRecordType.MX)).isGreaterThanOrEqualTo(1);
            Map<Short, Long> events = events(relay);
            assertThat(events).as("no deferral: no attempt was made").doesNotContainKey(EventKind.DEFERRED.code());
            assertThat(events).containsEntry(EventKind.BOUNCED.code(), 1L); // bounced: user@loop.test only
        }
    }

    private static Map<Short, Long> events(TestRelay relay) {
        ConnectionPool pool = relay.database().pool(1);
        try {
            return eventCounts(pool);
        } finally {
            pool.dispose();
        }
    }
}
