package dev.relay.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The messages {@link RateLoad} sends, shaped like the harness's {@code smtp-load}: a small header with a unique
 * {@code Message-ID: <K.RUNID@bench.load>} (K zero-padded, so every message has the same size) and a body of
 * 76-column lines of pseudo-random text that never start with a dot or a space (no dot-stuffing, no folding).
 * The body is built once and shared.
 */
final class LoadMessage {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,;:-_+=";
    private static final byte[] END = ".\r\n".getBytes(StandardCharsets.US_ASCII);

    private final String runId;
    private final String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now());
    private final byte[] body;

    LoadMessage(String runId, int size) {
        this.runId = runId;
        this.body = body(Math.max(2, size - header(0).length));
    }

    String recipient(long k) {
        return "user" + k + "@example.test";
    }

    /** Header, body and the final dot of message k, as written after {@code 354}. */
    void writeTo(OutputStream out, long k) throws IOException {
        out.write(header(k));
        out.write(body);
        out.write(END);
    }

    private byte[] header(long k) {
        String index = String.format("%010d", k);
        return ("Date: " + date + "\r\nFrom: <bench@load.test>\r\nTo: <" + recipient(k) + ">\r\n"
                + "Subject: bench message " + index + "\r\nMessage-ID: <" + index + "." + runId + "@bench.load>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Lines of 76 columns and a shorter last one (at least one column), about {@code length} bytes in all. */
    private static byte[] body(int length) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(length + 80);
        int x = 0x92d68ca2; // xorshift32, as smtp-load
        while (b.size() < length) {
            int line = Math.max(1, Math.min(76, length - b.size() - 2));
            for (int i = 0; i < line; i++) {
                x ^= x << 13;
                x ^= x >>> 17;
                x ^= x << 5;
                char c = ALPHABET.charAt(Integer.remainderUnsigned(x, ALPHABET.length()));
                b.write(i == 0 && (c == ' ' || c == '.') ? 'L' : c);
            }
            b.write('\r');
            b.write('\n');
        }
        return b.toByteArray();
    }
}
