package dev.relay.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** RateLoad against a small blocking SMTP server on loopback that records what it received. */
class RateLoadIT {
    private static final Pattern MESSAGE_ID = Pattern.compile("Message-ID: <(\\d+)\\.(\\w+)@bench.load>");

    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private final Map<String, String> recipients = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private ServerSocket server;

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    @Test
    void sendsEveryScheduledMessageOnceOnReusedConnections() throws Exception {
        start(null);

        Map<String, String> f = LoadResultsTest.fields(RateLoad.run(options(200, 1, 0.5, 5)));

        // 0.5 s warm-up and 1 s measured at 200/s: 300 messages sent, the last 200 counted
        assertThat(f).containsEntry("scheduled", "200").containsEntry("sent", "200")
                .containsEntry("accepted", "200").containsEntry("tempfail", "0").containsEntry("errors", "0")
                .containsEntry("unfinished", "0").containsEntry("label", "t");
        assertThat(f.get("service_p999_ms")).isNotEqualTo("-");
        assertThat(ids).hasSize(300).contains("0.rid", "299.rid");
        assertThat(recipients).containsEntry("17", "user17@example.test");
        // 5 messages per connection: at least 60 connections, each opened for a due message
        assertThat(connections.get()).isGreaterThanOrEqualTo(60);
        assertThat(Integer.parseInt(f.get("sessions_max"))).isBetween(1, 20);
    }

    @Test
    void countsTempfailsAndEndsWhenTheServerStopsAnswering() throws Exception {
        // RCPT for user3, user13, ... is deferred; from message 50 on the server goes silent after DATA
        start(k -> k % 10 == 3 ? "451 4.7.1 later" : null);

        long began = System.nanoTime();
        Map<String, String> f = LoadResultsTest.fields(RateLoad.run(
                new RateLoadOptions("127.0.0.1", server.getLocalPort(), 100, Duration.ofSeconds(1), Duration.ZERO,
                        1024, 20, 100, Duration.ofMillis(500), Duration.ofSeconds(1), "rid", "")));

        assertThat(f).containsEntry("scheduled", "100");
        assertThat(Integer.parseInt(f.get("tempfail"))).isGreaterThanOrEqualTo(5);
        assertThat(Integer.parseInt(f.get("accepted"))).isLessThanOrEqualTo(50);
        int failed = Integer.parseInt(f.get("errors")) + Integer.parseInt(f.get("unfinished"));
        assertThat(failed).isGreaterThan(0);
        assertThat(Integer.parseInt(f.get("accepted")) + Integer.parseInt(f.get("tempfail")) + failed)
                .isEqualTo(100);
        // bounded by duration + drain timeout + the 5 s grace after the sessions are cut off
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
    }

    private RateLoadOptions options(double rate, int seconds, double warmupSeconds, int perConn) {
        return new RateLoadOptions("127.0.0.1", server.getLocalPort(), rate, Duration.ofSeconds(seconds),
                Duration.ofMillis((long) (warmupSeconds * 1000)), 2048, 200, perConn, Duration.ofSeconds(5),
                Duration.ofSeconds(5), "rid", "t");
    }

    /** Minimal SMTP server: a thread per connection; rcptReply(k) overrides RCPT's reply; silent from message 50. */
    private void start(java.util.function.IntFunction<String> rcptReply) throws IOException {
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread t = new Thread(() -> serve(s, rcptReply));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void serve(Socket s, java.util.function.IntFunction<String> rcptReply) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                StandardCharsets.US_ASCII)); OutputStream out = s.getOutputStream()) {
            reply(out, "220 test");
            String rcpt = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("EHLO")) {
                    reply(out, "250-test\r\n250 PIPELINING");
                } else if (line.startsWith("MAIL")) {
                    reply(out, "250 ok");
                } else if (line.startsWith("RCPT")) {
                    rcpt = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                    int k = Integer.parseInt(rcpt.substring(4, rcpt.indexOf('@')));
                    String r = rcptReply == null ? null : rcptReply.apply(k);
                    reply(out, r == null ? "250 ok" : r);
                } else if (line.equals("DATA")) {
                    reply(out, "354 go");
                    String id = null;
                    for (String d = in.readLine(); d != null && !d.equals("."); d = in.readLine()) {
                        Matcher m = MESSAGE_ID.matcher(d);
                        if (m.matches()) {
                            id = Long.parseLong(m.group(1)) + "." + m.group(2);
                        }
                    }
                    ids.add(id);
                    recipients.put(id.substring(0, id.indexOf('.')), rcpt);
                    if (rcptReply != null && Integer.parseInt(id.substring(0, id.indexOf('.'))) >= 50) {
                        continue; // silent: the client's read times out
                    }
                    reply(out, "250 queued");
                } else if (line.equals("QUIT")) {
                    reply(out, "221 bye");
                    return;
                } else {
                    reply(out, "500 what");
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away
        }
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
