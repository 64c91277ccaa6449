package dev.relay.engine.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderSectionTest {
    private static String extract(String content) {
        return new String(HeaderSection.extract(content.getBytes(StandardCharsets.ISO_8859_1)),
                StandardCharsets.ISO_8859_1);
    }

    @Test
    void stopsAtTheFirstEmptyLine() {
        assertThat(extract("A: 1\r\nB: 2\r\n\tcont\r\n\r\nbody\r\n\r\nC: 3\r\n")).isEqualTo("A: 1\r\nB: 2\r\n\tcont\r\n");
    }

    @Test
    void withoutABodyEverythingIsHeaderAndEndsWithCrlf() {
        assertThat(extract("A: 1\r\nB: 2")).isEqualTo("A: 1\r\nB: 2\r\n");
        assertThat(extract("")).isEmpty();
        assertThat(extract("\r\nbody only\r\n")).isEmpty();
    }

    @Test
    void bareLineEndsBecomeCrlf() {
        assertThat(extract("A: 1\nB: 2\rC: 3\r\n\nbody")).isEqualTo("A: 1\r\nB: 2\r\nC: 3\r\n");
    }

    @Test
    void longLinesAreContinuedNotLost() {
        String longValue = "x".repeat(2500);
        String out = extract("Long: " + longValue + "\r\n\r\n");
        for (String line : out.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(998);
        }
        assertThat(out.replace("\r\n ", "")).isEqualTo("Long: " + longValue + "\r\n");
    }

    @Test
    void cappedAtALineEnd() {
        String line = "X-Filler: " + "y".repeat(88) + "\r\n"; // 100 bytes
        String out = extract(line.repeat(1000) + "\r\nbody");
        assertThat(out.length()).isLessThanOrEqualTo(HeaderSection.MAX_BYTES).isGreaterThan(HeaderSection.MAX_BYTES - 100);
        assertThat(out).endsWith("\r\n").isEqualTo(line.repeat(out.length() / 100));
    }
}
