package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestMx.Event;
import dev.relay.engine.testing.TestRelay;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Site-level shaping end to end: a relay delivers to a {@link TestMx} on loopback through a static route (its site
 * is "127.0.0.1:PORT", which a shaping entry names under {@code mx:}), and every assertion is about what the MX
 * itself observed: connections open at once, transactions per connection, when transactions arrived.
 */
class ShapingIT {
    private static final Duration SLOW_DATA_END = Duration.ofMillis(100);

    private static String delivery(TestMx mx, Path shaping) {
        return DeliveryEndToEndIT.route(mx.address(), "  retry: {schedule: [1m], jitter: 0}\n  shaping: \""
                + shaping + "\"\n");
    }

    private static String site(TestMx mx) {
        return "\"127.0.0.1:" + mx.address().getPort() + "\"";
    }

    /** A final dot answered after a pause, so deliveries overlap and a connection limit is actually reached. */
    private static TestMx slowMx() {
        return TestMx.builder()
                .script(step -> step.is("DATA_END") ? Action.delayed(SLOW_DATA_END, null) : null)
                .start();
    }

    @Test
    void connectionsAndTransactionsPerConnectionStayWithinTheSiteLimitsAcrossDomains() throws Exception {
        try (TestMx mx = slowMx()) {
            Path shaping = ShapingFiles.write("test-site:\n  mx: [" + site(mx) + "]\n  connection_limit: 3\n"
                    + "  max_deliveries_per_connection: 4\n");
            try (TestRelay relay = TestRelay.startWithDatabase("shaping-limits", "", delivery(mx, shaping))) {
                // two recipient domains, one site: the limits hold for the site as a whole
                submit(relay, 40, n -> "user" + n + (n % 2 == 0 ? "@a.example" : "@b.example"));
                awaitTrue(Duration.ofSeconds(25), () -> mx.transactions().size() == 40);
                assertThat(mx.maxConcurrentConnections()).isEqualTo(3);
                Map<Integer, Long> perConnection = mx.transactions().stream()
                        .collect(Collectors.groupingBy(TestMx.Transaction::connection, Collectors.counting()));
                assertThat(perConnection.values()).allMatch(n -> n <= 4);
                assertThat(mx.connectionsOpened()).isGreaterThanOrEqualTo(10);
            }
        }
    }

    @Test
    void messageRateStaysWithinTheLimitOverAnyWindow() throws Exception {
        try (TestMx mx = TestMx.builder().start()) {
            Path shaping = ShapingFiles.write("test-site:\n  mx: [" + site(mx) + "]\n  max_message_rate: 5/s\n");
            try (TestRelay relay = TestRelay.startWithDatabase("shaping-rate", "", delivery(mx, shaping))) {
                submit(relay, 20, n -> "user" + n + "@rate.example");
                awaitTrue(Duration.ofSeconds(20), () -> mx.transactions().size() == 20);
                List<Instant> times = mx.transactions().stream().map(TestMx.Transaction::time).sorted().toList();
                // the bucket allows 1 at once (burst) + 5 per second; +1 for jitter between the relay's start of a
                // transaction and the MX's record of its end
                assertWithinRate(times, 5.0, 1 + 1);
                assertThat(Duration.between(times.get(0), times.get(19))).isGreaterThan(Duration.ofMillis(3200));
            }
        }
    }

    @Test
    void connectionRateSpacesNewConnections() throws Exception {
        try (TestMx mx = TestMx.builder().start()) {
            Path shaping = ShapingFiles.write("test-site:\n  mx: [" + site(mx) + "]\n  max_connection_rate: 4/s\n"
                    + "  max_deliveries_per_connection: 1\n");
            try (TestRelay relay = TestRelay.startWithDatabase("shaping-connrate", "", delivery(mx, shaping))) {
                submit(relay, 12, n -> "user" + n + "@conn.example");
                awaitTrue(Duration.ofSeconds(20), () -> mx.transactions().size() == 12);
                assertThat(mx.connectionsOpened()).isEqualTo(12);
                // one transaction per connection: their times follow the connections' (+1 for jitter)
                List<Instant> times = mx.transactions().stream().map(TestMx.Transaction::time).sorted().toList();
                assertWithinRate(times, 4.0, 1 + 1);
            }
        }
    }

    @Test
    void aMatchingRuleSuspendsTheSiteAndItResumesAfterTheDuration() throws Exception {
        AtomicReference<Instant> refused = new AtomicReference<>();
        try (TestMx mx = TestMx.builder().script(step -> {
            if (step.is("GREETING") && step.attempt() == 1) {
                refused.set(Instant.now());
                return Action.reply(421, "4.7.0", "[TSS04] Messages from 127.0.0.1 temporarily deferred due to"
                        + " unexpected volume or user complaints");
            }
            return null;
        }).start()) {
            // the site's own retry schedule (1 s) replaces the global one (1 min), else nothing would arrive in time
            Path shaping = ShapingFiles.write("test-site:\n  mx: [" + site(mx) + "]\n  retry: [1s]\n  rules:\n"
                    + "    - {name: test-tss04, match: '^421 4\\.7\\.0 \\[TSS04\\]', action: suspend, duration: 4s}\n");
            try (TestRelay relay = TestRelay.startWithDatabase("shaping-suspend", "", delivery(mx, shaping))) {
                submit(relay, 1, n -> "first@suspend.example");
                awaitTrue(Duration.ofSeconds(10), () -> refused.get() != null);
                Instant t0 = refused.get();
                // the gauge exists as soon as the site does; the hit is counted right after the rule acts
                awaitTrue(Duration.ofSeconds(5), () -> metric(scrape(relay), "relay_shaping_rule_hits_total",
                        "rule=\"test-tss04\"") >= 1.0);
                assertThat(metric(scrape(relay), "relay_shaping_rule_hits_total", "rule=\"test-tss04\""))
                        .isEqualTo(1.0);
                assertThat(metric(scrape(relay), "relay_shaping_suspended", "site=" + site(mx))).isEqualTo(1.0);
                // mail queued meanwhile waits too
                submit(relay, 1, n -> "second@suspend.example");
                awaitTrue(Duration.ofSeconds(12), () -> mx.transactions().size() == 2);
                assertThat(mx.events().stream().filter(e -> e.is("OPENED")
                        && e.time().isBefore(t0.plus(Duration.ofMillis(3500)))).count())
                        .as("no connection while suspended: %s", mx.events()).isEqualTo(1);
                for (TestMx.Transaction t : mx.transactions()) {
                    assertThat(t.time()).isAfterOrEqualTo(t0.plus(Duration.ofSeconds(4)));
                    assertThat(t.time()).isBefore(t0.plus(Duration.ofSeconds(10)));
                }
                assertThat(metric(scrape(relay), "relay_shaping_suspended", "site=" + site(mx))).isEqualTo(0.0);
            }
        }
    }

    @Test
    void anEditedLimitIsFollowedWithinSecondsAndAnInvalidEditKeepsTheOldOne() throws Exception {
        try (TestMx mx = slowMx()) {
            Path shaping = ShapingFiles.write(limitFile(mx, 1));
            try (TestRelay relay = TestRelay.startWithDatabase("shaping-reload", "", delivery(mx, shaping))) {
                List<Throwable> errors = new CopyOnWriteArrayList<>();
                Thread traffic = new Thread(() -> {
                    try {
                        submit(relay, 700, n -> "user" + n + "@reload.example", Duration.ofMillis(16));
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                long start = System.nanoTime();
                traffic.start();
                try {
                    // every phase lasts until the MX has seen enough deliveries under it, the backlog growing
                    // meanwhile (700 messages at 60/s against 10/s per connection)
                    awaitDeliveries(mx, start, 20);
                    long raised = System.nanoTime();
                    assertThat(maxOpen(mx, Event::nanos, start, raised)).as("limit 1").isEqualTo(1);

                    ShapingFiles.replace(shaping, limitFile(mx, 4));
                    awaitTrue(Duration.ofSeconds(5), () -> mx.connectionsOpen() >= 4);
                    awaitDeliveries(mx, System.nanoTime(), 10);
                    long invalid = System.nanoTime();
                    ShapingFiles.replace(shaping, limitFile(mx, 4).replace("connection_limit: 4",
                            "connection_limit: 0"));
                    awaitTrue(Duration.ofSeconds(5), () -> metric(scrape(relay),
                            "relay_shaping_reload_failures_total", "") == 1.0);
                    awaitDeliveries(mx, System.nanoTime(), 15);
                    long lowered = System.nanoTime();
                    // the invalid edit changed nothing: still up to 4, and more than 1
                    assertThat(maxOpen(mx, Event::nanos, invalid, lowered)).isEqualTo(4);

                    ShapingFiles.replace(shaping, limitFile(mx, 2));
                    awaitTrue(Duration.ofSeconds(5), () -> metric(scrape(relay), "relay_shaping_reloads_total", "")
                            == 2.0);
                    // the 4 deliveries running at the reload finish first (then 2 connections close); the window
                    // runs from the 10th delivery after the reload to the 30th
                    long reloaded = System.nanoTime();
                    long from = awaitDeliveries(mx, reloaded, 10);
                    long end = awaitDeliveries(mx, reloaded, 30);
                    assertThat(maxOpen(mx, Event::nanos, from, end)).as("limit 2").isEqualTo(2);
                    assertThat(metric(scrape(relay), "relay_shaping_reloads_total", "")).isEqualTo(2.0);
                    assertThat(mx.maxConcurrentConnections()).isEqualTo(4);
                    assertThat(errors).isEmpty();
                } finally {
                    traffic.interrupt();
                    traffic.join(10_000);
                }
            }
        }
    }

    @Test
    void slowBannersLowerConcurrencyAndFastOnesRestoreItGradually() throws Exception {
        Map<Integer, Instant> greeted = new java.util.concurrent.ConcurrentHashMap<>();
        // the first 8 connections get their banner after 800 ms (a tarpit), later ones at once; every final dot
        // takes 100 ms so that deliveries overlap
        try (TestMx mx = TestMx.builder().script(step -> {
            if (step.is("GREETING")) {
                greeted.put(step.connection(), Instant.now());
                return step.connection() <= 8 ? Action.delayed(Duration.ofMillis(800), null) : null;
            }
            return step.is("DATA_END") ? Action.delayed(SLOW_DATA_END, null) : null;
        }).start()) {
            Path shaping = ShapingFiles.write("test-site:\n  mx: [" + site(mx) + "]\n  connection_limit: 4\n"
                    + "  max_deliveries_per_connection: 1\n  tarpit_threshold: 500ms\n  tarpit_recovery: 1s\n");
            try (TestRelay relay = TestRelay.startWithDatabase("shaping-tarpit", "", delivery(mx, shaping))) {
                submit(relay, 150, n -> "user" + n + "@tarpit.example");
                awaitTrue(Duration.ofSeconds(15), () -> greeted.containsKey(9));
                long firstSlowReply = greeted.get(1).toEpochMilli() + 800;
                long fastAgain = greeted.get(9).toEpochMilli();
                // the first slow banner halved the site's 4 connections: once the 4 running deliveries are done,
                // at most 2 are open (1 after the next slow banners)
                long t0 = greeted.get(1).toEpochMilli();
                ToLongFunction<Event> millis = e -> e.time().toEpochMilli();
                assertThat(maxOpen(mx, millis, firstSlowReply + 1000, fastAgain))
                        .as("open connections after the cut; greetings at %s; open %s", relative(greeted, t0),
                                relative(openOverTime(mx.events(), millis), t0)).isLessThanOrEqualTo(2);
                // fast banners again: one connection back per second, so 3 or more within 5 s
                awaitTrue(Duration.ofSeconds(8), () -> mx.connectionsOpen() >= 3);
                assertThat(mx.maxConcurrentConnections()).isLessThanOrEqualTo(4);
            }
        }
    }

    private static String relative(Map<Integer, Instant> greeted, long t0) {
        return new java.util.TreeMap<>(greeted).entrySet().stream().map(e -> e.getKey() + "@"
                + (e.getValue().toEpochMilli() - t0)).collect(Collectors.joining(" "));
    }

    private static String relative(List<long[]> samples, long t0) {
        StringBuilder out = new StringBuilder();
        long last = -1;
        for (long[] s : samples) {
            if (s[1] != last) {
                out.append(s[0] - t0).append(':').append(s[1]).append(' ');
                last = s[1];
            }
        }
        return out.toString();
    }

    private static String limitFile(TestMx mx, int limit) {
        return "test-site:\n  mx: [" + site(mx) + "]\n  connection_limit: " + limit + "\n";
    }

    /**
     * {time, connections open} after each connection the MX opened (and served) or saw closed, in log order, with
     * {@code time} read from the event by {@code clock}.
     */
    private static List<long[]> openOverTime(List<Event> events, ToLongFunction<Event> clock) {
        Set<Integer> served = new HashSet<>();
        List<long[]> out = new ArrayList<>();
        int open = 0;
        for (Event e : events) {
            if (e.is("OPENED") && e.code() == 0) {
                served.add(e.connection());
                out.add(new long[] {clock.applyAsLong(e), ++open});
            } else if (e.is("CLOSED") && served.remove(e.connection())) {
                out.add(new long[] {clock.applyAsLong(e), --open});
            }
        }
        return out;
    }

    /** The most connections open at once at the MX between {@code from} and {@code to}, both included. */
    private static long maxOpen(TestMx mx, ToLongFunction<Event> clock, long from, long to) {
        long atStart = 0;
        long max = -1;
        for (long[] change : openOverTime(mx.events(), clock)) {
            if (change[0] - from < 0) {
                atStart = change[1];
            } else if (to - change[0] >= 0) {
                max = Math.max(max, change[1]);
            }
        }
        return Math.max(max, atStart);
    }

    /**
     * Waits until the MX has answered {@code count} final dots with 2xx since {@code sinceNanos}; returns the
     * System.nanoTime() of the last of them.
     */
    private static long awaitDeliveries(TestMx mx, long sinceNanos, int count) throws InterruptedException {
        awaitTrue(Duration.ofSeconds(20), () -> deliveredSince(mx, sinceNanos).size() >= count);
        return deliveredSince(mx, sinceNanos).get(count - 1);
    }

    private static List<Long> deliveredSince(TestMx mx, long sinceNanos) {
        return mx.events().stream().filter(e -> e.is("DATA_END") && e.code() / 100 == 2
                && e.nanos() - sinceNanos >= 0).map(Event::nanos).toList();
    }

    /** For every i < j: the j - i + 1 events between times[i] and times[j] fit burst + rate × span + tolerance. */
    private static void assertWithinRate(List<Instant> times, double perSecond, int allowance) {
        List<Instant> sorted = new ArrayList<>(times);
        sorted.sort(Comparator.naturalOrder());
        for (int i = 0; i < sorted.size(); i++) {
            for (int j = i + 1; j < sorted.size(); j++) {
                double span = Duration.between(sorted.get(i), sorted.get(j)).toNanos() / 1e9;
                assertThat((double) (j - i + 1)).as("events %d..%d within %.3f s", i, j, span)
                        .isLessThanOrEqualTo(allowance + perSecond * span);
            }
        }
    }

    private static void submit(TestRelay relay, int count, Function<Integer, String> recipient) throws IOException {
        submit(relay, count, recipient, Duration.ZERO);
    }

    /** {@code count} messages over one session, {@code pause} apart. */
    private static void submit(TestRelay relay, int count, Function<Integer, String> recipient, Duration pause)
            throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            assertThat(client.reply().code()).isEqualTo(220);
            assertThat(client.command("EHLO app.test").code()).isEqualTo(250);
            for (int n = 0; n < count; n++) {
                assertThat(client.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
                assertThat(client.command("RCPT TO:<" + recipient.apply(n) + ">").code()).isEqualTo(250);
                assertThat(client.command("DATA").code()).isEqualTo(354);
                assertThat(client.command("Subject: " + n + "\r\n\r\nbody\r\n.").code()).isEqualTo(250);
                if (!pause.isZero()) {
                    try {
                        Thread.sleep(pause.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            client.command("QUIT");
        }
    }

    private static String scrape(TestRelay relay) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + relay.http().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of the first series of {@code name} whose labels contain {@code label}; -1 when none. */
    private static double metric(String scrape, String name, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$").matcher(scrape);
        while (m.find()) {
            if (m.group(1).contains(label)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }
}
