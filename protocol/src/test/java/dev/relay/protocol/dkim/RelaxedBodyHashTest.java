package dev.relay.protocol.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RelaxedBodyHashTest {

    private static byte[] sha256(String canonical) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static byte[] whole(String body) {
        RelaxedBodyHash hash = new RelaxedBodyHash();
        byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
        hash.update(bytes, 0, bytes.length);
        return hash.finish();
    }

    @Test
    void rfc6376Example() throws Exception {
        // Section 3.4.6: " C \r\nD \t E\r\n\r\n\r\n" becomes " C\r\nD E\r\n".
        assertThat(whole(" C \r\nD \t E\r\n\r\n\r\n")).isEqualTo(sha256(" C\r\nD E\r\n"));
    }

    @Test
    void emptyAndBlankBodiesHashAsEmpty() throws Exception {
        assertThat(whole("")).isEqualTo(sha256(""));
        assertThat(whole("\r\n\r\n")).isEqualTo(sha256(""));
        assertThat(whole(" \t\r\n  \r\n")).isEqualTo(sha256(""));
    }

    @Test
    void aBodyWithoutFinalCrlfGetsOne() throws Exception {
        assertThat(whole("last line  ")).isEqualTo(sha256("last line\r\n"));
    }

    @Test
    void loneCrAndLfAreOrdinaryCharacters() throws Exception {
        assertThat(whole("a\rb\nc\r")).isEqualTo(sha256("a\rb\nc\r\r\n"));
        assertThat(whole("a \r\r\n")).isEqualTo(sha256("a \r\r\n"));
    }

    @Test
    void chunkingDoesNotChangeTheHash() {
        Random random = new Random(7);
        byte[] alphabet = " \t\r\nab\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        for (int round = 0; round < 200; round++) {
            byte[] body = new byte[random.nextInt(300)];
            for (int i = 0; i < body.length; i++) {
                body[i] = alphabet[random.nextInt(alphabet.length)];
            }
            RelaxedBodyHash reference = new RelaxedBodyHash();
            reference.update(body, 0, body.length);
            byte[] expected = reference.finish();
            RelaxedBodyHash chunked = new RelaxedBodyHash();
            int at = 0;
            while (at < body.length) {
                int n = Math.min(body.length - at, 1 + random.nextInt(5));
                ByteBuffer direct = ByteBuffer.allocateDirect(n).put(body, at, n).flip();
                chunked.update(direct);
                at += n;
            }
            assertThat(chunked.finish()).as("round " + round).isEqualTo(expected);
        }
    }

    @Test
    void bodiesLargerThanTheBuffersHashAsTheReferenceCanonicalisation() throws Exception {
        Random random = new Random(11);
        String[] tokens = {" ", "\t", "  \t ", "a", "bc", "\r\n", "\r\n\r\n"};
        for (int round = 0; round < 20; round++) {
            StringBuilder text = new StringBuilder();
            int size = 5_000 + random.nextInt(40_000);
            while (text.length() < size) {
                text.append(tokens[random.nextInt(tokens.length)]);
            }
            if (round % 2 == 0) {
                text.append("\r\n \r\n\r\n"); // blank lines at the end go
            }
            byte[] body = text.toString().getBytes(StandardCharsets.ISO_8859_1);
            RelaxedBodyHash chunked = new RelaxedBodyHash();
            int at = 0;
            while (at < body.length) {
                // network-sized direct chunks, some larger than any buffer of the hash
                int n = Math.min(body.length - at, 1 + random.nextInt(20_000));
                chunked.update(ByteBuffer.allocateDirect(n).put(body, at, n).flip());
                at += n;
            }
            assertThat(chunked.finish()).as("round " + round).isEqualTo(sha256(reference(text.toString())));
        }
    }

    /** RFC 6376 section 3.4.4 read literally, line by line (bodies with CRLF line ends only). */
    private static String reference(String body) {
        java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of(body.split("\r\n", -1)));
        if (body.endsWith("\r\n")) {
            lines.remove(lines.size() - 1);
        }
        lines.replaceAll(line -> line.replaceAll("[ \t]+", " ").replaceAll(" $", ""));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines.isEmpty() ? "" : String.join("\r\n", lines) + "\r\n";
    }
}
