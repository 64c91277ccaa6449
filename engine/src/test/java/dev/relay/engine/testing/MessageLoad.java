package dev.relay.engine.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client load for the durability tests: sessions that submit uniquely numbered messages until a deadline or
 * until stopped, recording which numbers got a 250 and which got another reply or none.
 */
public final class MessageLoad {
    private static final java.util.regex.Pattern MESSAGE_ID = java.util.regex.Pattern.compile("Message-ID: (<[^>]+>)");
    private final InetSocketAddress target;
    private final String runId;
    private final AtomicLong next = new AtomicLong();
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final AtomicInteger tempFailures = new AtomicInteger();
    private final AtomicInteger connectionErrors = new AtomicInteger();
    private volatile boolean stopped;

    public MessageLoad(InetSocketAddress target, String runId) {
        this.target = target;
        this.runId = runId;
    }

    /** Runs {@code sessions} threads until {@code deadlineNanos} (System.nanoTime) or {@link #stop()}. */
    public Thread[] start(int sessions, long deadlineNanos) {
        Thread[] threads = new Thread[sessions];
        for (int i = 0; i < sessions; i++) {
            threads[i] = new Thread(() -> session(deadlineNanos), "load-" + i);
            threads[i].start();
        }
        return threads;
    }

    public void stop() {
        stopped = true;
    }

    public static void join(Thread[] threads) throws InterruptedException {
        for (Thread thread : threads) {
            thread.join(60_000);
        }
    }

    public Set<String> acknowledged() {
        return acknowledged;
    }

    public int tempFailures() {
        return tempFailures.get();
    }

    public int connectionErrors() {
        return connectionErrors.get();
    }

    public static String messageId(String runId, long n) {
        return "<" + n + "." + runId + "@load.test>";
    }

    /** The Message-ID a load message carries, read back from stored content ("" when there is none). */
    public static String messageIdIn(byte[] content) {
        java.util.regex.Matcher matcher = MESSAGE_ID.matcher(new String(content, StandardCharsets.US_ASCII));
        return matcher.find() ? matcher.group(1) : "";
    }

    private void session(long deadlineNanos) {
        while (!stopped && System.nanoTime() < deadlineNanos) {
            try (SmtpTestClient client = SmtpTestClient.connect(target)) {
                if (client.reply().code() != 220 || client.command("EHLO load.test").code() != 250) {
                    connectionErrors.incrementAndGet();
                    pause();
                    continue;
                }
                for (int i = 0; i < 20 && !stopped && System.nanoTime() < deadlineNanos; i++) {
                    String id = messageId(runId, next.incrementAndGet());
                    client.command("MAIL FROM:<load@shop.test>");
                    client.command("RCPT TO:<sink@example.test>");
                    if (client.command("DATA").code() != 354) {
                        client.command("RSET");
                        continue;
                    }
                    int code = client.command("Message-ID: " + id + "\r\nSubject: load\r\n\r\n"
                            + "x".repeat(70) + "\r\n.").code();
                    if (code == 250) {
                        acknowledged.add(id);
                    } else if (code / 100 == 4) {
                        tempFailures.incrementAndGet();
                    }
                }
                client.command("QUIT");
            } catch (IOException e) {
                connectionErrors.incrementAndGet();
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
