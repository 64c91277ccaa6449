package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.testing.CuttableProxy;
import dev.relay.storage.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two relay nodes on one database; node A reaches it through a proxy the test stalls (a partition: its requests
 * hang, they do not fail) while A delivers, past the stale period, so node B takes A's claims over; then the
 * proxy lets A's held-back requests through, late.
 */
class SharedDatabaseIT {
    private static final Logger log = LoggerFactory.getLogger(SharedDatabaseIT.class);
    private static final int MESSAGES = 30;

    @Test
    void aStalledNodesClaimsAreTakenOverNothingIsDeliveredTwiceAfterwardsAndItsLateWriteBackChangesNothing()
            throws Exception {
        try (TestDatabase db = TestDatabase.create("twonodes");
             CuttableProxy proxy = CuttableProxy.inFrontOf(db.url());
             TestMx mx = TestMx.builder()
                     .script(step -> step.is("DATA_END") ? Action.delayed(Duration.ofMillis(200), null) : null)
                     .start()) {
            String site = "\"127.0.0.1:" + mx.address().getPort() + "\"";
            String common = "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                    + "  poll_interval: 200ms\n  heartbeat: 500ms\n  stale_after: 3s\n"
                    + ShapingFiles.key("one-at-a-time:\n  mx: [" + site + "]\n  connection_limit: 1\n");
            try (TestRelay a = TestRelay.start(proxy.rewrite(db.url()), "",
                    "delivery:\n  node_name: node-a\n  helo_name: node-a.test\n" + common)) {
                for (int i = 0; i < MESSAGES; i++) {
                    Submissions.submit(a.smtp(), "app@shop.test", "<m" + i + "@t>", "user" + i + "@example.test");
                }
                try (TestRelay b = TestRelay.start(db.url(), "",
                        "delivery:\n  node_name: node-b\n  helo_name: node-b.test\n" + common)) {
                    awaitTrue(Duration.ofSeconds(30), () -> mx.transactions().size() >= 5);
                    proxy.stall();
                    Instant stalled = Instant.now();
                    log.info("stalled node A's database connections after {} deliveries", mx.transactions().size());

                    awaitTrue(Duration.ofSeconds(60), () -> delivered(mx).keySet().size() == MESSAGES);
                    Map<String, List<Delivery>> byRecipient = delivered(mx);
                    Instant firstOfB = byRecipient.values().stream().flatMap(List::stream)
                            .filter(d -> d.node().equals("node-b")).map(Delivery::at).min(Instant::compareTo)
                            .orElseThrow();
                    Duration takeover = Duration.between(stalled, firstOfB);
                    log.info("node B's first delivery {} ms after the stall", takeover.toMillis());
                    assertThat(takeover).isLessThan(Duration.ofSeconds(60));
                    for (Map.Entry<String, List<Delivery>> e : byRecipient.entrySet()) {
                        List<Delivery> ds = e.getValue();
                        // B never delivers one twice; A starts nothing once B took over
                        assertThat(ds.stream().filter(d -> d.node().equals("node-b"))).as(e.getKey()).hasSizeLessThan(2);
                        assertThat(ds.stream().filter(d -> d.node().equals("node-a") && !d.at().isBefore(firstOfB)))
                                .as(e.getKey()).isEmpty();
                    }

                    // B finishes everything it took over: only the DSN-free spool is left empty
                    SpoolReader spool = new SpoolReader(db.pool(1));
                    awaitTrue(Duration.ofSeconds(30), () -> spool.countMessages().block() == 0L);

                    proxy.restore();
                    // A's held-back write-backs arrive now and change nothing
                    awaitTrue(Duration.ofSeconds(60), () -> metric(a, "relay_writeback_fenced_total") > 0);
                    assertThat(rows(db, "SELECT count(*) FROM recipient")).containsExactly("0");
                    assertThat(rows(db, "SELECT recipient FROM event WHERE kind = " + EventKind.DELIVERED.code()
                            + " GROUP BY recipient HAVING count(*) > 1")).isEmpty();
                    assertThat(rows(db, "SELECT count(DISTINCT recipient) FROM event WHERE kind = "
                            + EventKind.DELIVERED.code()))
                            .containsExactly(String.valueOf(MESSAGES));
                    assertThat(metric(b, "relay_claims_taken_over_total")).isPositive();
                }
            }
        }
    }

    @Test
    void aSecondNodeUnderALiveNodesNameRefusesToStartAndACleanStopFreesTheName() throws Exception {
        String delivery = "delivery:\n  node_name: same-name\n  routes: {\"*\": \"127.0.0.1:9 tls=disabled\"}\n"
                + "  heartbeat: 500ms\n  stale_after: 3s\n";
        try (TestDatabase db = TestDatabase.create("samename")) {
            try (TestRelay first = TestRelay.start(db.url(), "", delivery)) {
                long started = System.nanoTime();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestRelay.start(db.url(), "", delivery))
                        .hasStackTraceContaining("delivery.node_name same-name is in use");
                // told as soon as the live node's heartbeat advances, not after the stale period
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
            }
            long started = System.nanoTime();
            try (TestRelay again = TestRelay.start(db.url(), "", delivery)) {
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
            }
        }
    }

    record Delivery(String node, Instant at) {}

    /** Per recipient, which node delivered it when (the node by its EHLO name). */
    private static Map<String, List<Delivery>> delivered(TestMx mx) {
        Map<Integer, String> nodes = new HashMap<>();
        for (TestMx.Command c : mx.commands()) {
            if (c.line().toUpperCase(java.util.Locale.ROOT).startsWith("EHLO ")) {
                nodes.put(c.connection(), c.line().contains("node-a") ? "node-a" : "node-b");
            }
        }
        Map<String, List<Delivery>> out = new HashMap<>();
        for (TestMx.Transaction t : mx.transactions()) {
            for (String r : t.recipients()) {
                out.computeIfAbsent(r, k -> new ArrayList<>()).add(new Delivery(nodes.get(t.connection()), t.time()));
            }
        }
        return out;
    }

    static double metric(TestRelay relay, String name) {
        HttpResponse<String> response;
        try {
            response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + relay.http().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        for (String line : response.body().split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static List<String> rows(TestDatabase db, String sql) {
        return db.rows(sql);
    }

}
