package dev.relay.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver for tests: a real HTTP server (the JDK's) on a loopback port that checks every request's
 * {@code Relay-Signature} with its own HMAC code (not the relay's) and a 5-minute replay window, and records the
 * event ids it got (at least once: counted, de-duplicated). It answers 200, 500 or not at all ({@link Mode#HANG},
 * until closed or switched) as the test sets it, optionally after a delay.
 */
public final class WebhookReceiver implements AutoCloseable {
    public enum Mode { OK, FAIL, HANG }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<Long, Integer> received = new ConcurrentHashMap<>();
    private final Map<Long, JsonNode> events = new ConcurrentHashMap<>();
    private final AtomicInteger posts = new AtomicInteger();
    private final AtomicInteger badSignatures = new AtomicInteger();
    private final AtomicInteger hanging = new AtomicInteger();
    private final AtomicInteger largestBatch = new AtomicInteger();
    private volatile CountDownLatch release = new CountDownLatch(1);
    private volatile Mode mode = Mode.OK;
    private volatile long delayMillis;
    private volatile String secret = "";

    public WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(threads);
        server.createContext("/hook", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    public WebhookReceiver secret(String s) {
        this.secret = s;
        return this;
    }

    public WebhookReceiver mode(Mode m) {
        Mode before = this.mode;
        this.mode = m;
        if (before == Mode.HANG && m != Mode.HANG) {
            release.countDown();
            release = new CountDownLatch(1);
        }
        return this;
    }

    public WebhookReceiver delay(long millis) {
        this.delayMillis = millis;
        return this;
    }

    /** Distinct event ids accepted with a valid signature (answered 200). */
    public Set<Long> eventIds() {
        return Set.copyOf(received.keySet());
    }

    public Map<Long, JsonNode> events() {
        return Map.copyOf(events);
    }

    /** Events received more than once (allowed: at least once). */
    public long duplicates() {
        return received.values().stream().filter(n -> n > 1).count();
    }

    public int posts() {
        return posts.get();
    }

    public int badSignatures() {
        return badSignatures.get();
    }

    /** Requests being held right now ({@link Mode#HANG}). */
    public int hanging() {
        return hanging.get();
    }

    public int largestBatch() {
        return largestBatch.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            posts.incrementAndGet();
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
            Mode m = mode;
            if (m == Mode.HANG) {
                hanging.incrementAndGet();
                try {
                    release.await(5, TimeUnit.MINUTES);
                } finally {
                    hanging.decrementAndGet();
                }
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            if (m == Mode.FAIL) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            if (!verify(exchange.getRequestHeaders().getFirst("Relay-Signature"), body)) {
                badSignatures.incrementAndGet();
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            JsonNode array = JSON.readTree(body);
            largestBatch.accumulateAndGet(array.size(), Math::max);
            for (JsonNode e : array) {
                received.merge(e.get("id").asLong(), 1, Integer::sum);
                events.put(e.get("id").asLong(), e);
            }
            exchange.sendResponseHeaders(200, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>}, at most 5 minutes old. */
    private boolean verify(String header, byte[] body) {
        if (header == null) {
            return false;
        }
        String t = null;
        String v1 = null;
        for (String part : header.split(",")) {
            if (part.startsWith("t=")) {
                t = part.substring(2);
            } else if (part.startsWith("v1=")) {
                v1 = part.substring(3);
            }
        }
        if (t == null || v1 == null || Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(t)) > 300) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] signed = new byte[t.length() + 1 + body.length];
            System.arraycopy((t + ".").getBytes(StandardCharsets.US_ASCII), 0, signed, 0, t.length() + 1);
            System.arraycopy(body, 0, signed, t.length() + 1, body.length);
            StringBuilder hex = new StringBuilder();
            for (byte b : mac.doFinal(signed)) {
                hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return MessageDigest.isEqual(hex.toString().getBytes(StandardCharsets.US_ASCII),
                    v1.getBytes(StandardCharsets.US_ASCII));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        threads.shutdownNow();
    }
}
