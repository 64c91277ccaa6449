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
}
