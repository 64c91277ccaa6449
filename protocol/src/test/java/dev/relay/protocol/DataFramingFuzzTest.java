package dev.relay.protocol;

import static dev.relay.protocol.DecoderHarness.stats;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Random content over the alphabet that matters for framing, checked against a small String-based
 * reference model: DATA ends at the first CRLF.CRLF and nowhere else, and the content is the
 * reference's normalised, unstuffed text, however the input is chunked. BDAT content, however it is cut into
 * chunks, comes out with every line ending as CRLF and nothing else changed.
 */
class DataFramingFuzzTest {
    private static final Pattern LINE_ENDING = Pattern.compile("\r\n|\r|\n");
    private final DecoderHarness harness = new DecoderHarness();

    @Test
    void randomContentMatchesTheReferenceModel() {
        String alphabet = "\r\n.a\0\u00e9";
        for (long seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            StringBuilder body = new StringBuilder();
            int length = random.nextInt(40);
            for (int i = 0; i < length; i++) {
                body.append(alphabet.charAt(random.nextInt(random.nextInt(4) == 0 ? alphabet.length() : 4)));
            }
            String wire = body + "\r\n.\r\n";
            int end = ("\r\n" + wire).indexOf("\r\n.\r\n");
            String raw = wire.substring(0, end);
            long[] bare = new long[1];
            String expected = reference(raw, bare);

            List<String> events = harness.decodeAllWays("DATA\r\n" + wire);
            List<String> expectedEvents = expected.isEmpty()
                    ? List.of("CMD DATA []")
                    : List.of("CMD DATA []", "DATA " + expected);
            String endEvent = "END " + stats(expected.length(), false, false, expected.indexOf('\0') >= 0,
                    expected.indexOf('\u00e9') >= 0, bare[0]);
            assertThat(events.subList(0, expectedEvents.size())).as("seed %d", seed).isEqualTo(expectedEvents);
            assertThat(events.get(expectedEvents.size())).as("seed %d", seed).isEqualTo(endEvent);

            // Over a random limit: the same content cut at exactly the limit, then the end.
            int limit = random.nextInt(expected.length() + 2);
            String cut = expected.substring(0, Math.min(limit, expected.length()));
            List<String> limited = new DecoderHarness(limit, 512, 1000).decodeAllWays("DATA\r\n" + wire);
            assertThat(limited.get(1)).as("seed %d", seed).isEqualTo(cut.isEmpty() ? endEvent.replace(
                    "sizeExceeded=false", "sizeExceeded=" + (expected.length() > limit)) : "DATA " + cut);
            assertThat(limited.get(cut.isEmpty() ? 1 : 2)).as("seed %d", seed)
                    .isEqualTo(endEvent.replace("sizeExceeded=false", "sizeExceeded=" + (expected.length() > limit)));
        }
    }

    @Test
    void randomBdatChunksMatchTheReferenceModel() {
        String alphabet = "\r\n.a\0\u00e9";
        for (long seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            StringBuilder body = new StringBuilder();
            int length = 1 + random.nextInt(40);
            for (int i = 0; i < length; i++) {
                body.append(alphabet.charAt(random.nextInt(random.nextInt(4) == 0 ? alphabet.length() : 4)));
            }
            StringBuilder wire = new StringBuilder();
            int offset = 0;
            while (offset < length) {
                int size = Math.min(length - offset, 1 + random.nextInt(12));
                boolean last = offset + size == length;
                wire.append("BDAT ").append(size).append(last ? " LAST" : "").append("\r\n")
                        .append(body, offset, offset + size);
                offset += size;
            }
            long[] bare = new long[1];
            String expected = normalised(body.toString(), bare);

            List<String> events = harness.decodeAllWays(wire + "QUIT\r\n");
            StringBuilder content = new StringBuilder();
            String lastChunk = null;
            for (String event : events) {
                if (event.startsWith("DATA ")) {
                    content.append(event.substring(5));
                } else if (event.startsWith("CHUNK ")) {
                    lastChunk = event.substring(event.indexOf(' ', 6) + 1);
                }
            }
            assertThat(content.toString()).as("seed %d", seed).isEqualTo(expected);
            assertThat(lastChunk).as("seed %d", seed).isEqualTo(stats(expected.length(), false, false,
                    expected.indexOf('\0') >= 0, expected.indexOf('\u00e9') >= 0, bare[0]));
            assertThat(events.get(events.size() - 1)).isEqualTo("CMD QUIT []");
        }
    }

    /** BDAT model: every line ending, wherever the chunks split it, becomes CRLF; nothing is unstuffed. */
    private static String normalised(String raw, long[] bare) {
        Matcher matcher = LINE_ENDING.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            if (!matcher.group().equals("\r\n")) {
                bare[0]++;
            }
            matcher.appendReplacement(out, "\r\n");
        }
        matcher.appendTail(out);
        return out.toString();
    }

    @Test
    void dotStuffedMessagesRoundTrip() {
        for (long seed = 0; seed < 100; seed++) {
            Random random = new Random(seed);
            StringBuilder message = new StringBuilder();
            StringBuilder stuffed = new StringBuilder();
            for (int line = random.nextInt(20); line > 0; line--) {
                String text = ".".repeat(random.nextInt(3)) + "x".repeat(random.nextInt(5)) + ".".repeat(random.nextInt(2));
                message.append(text).append("\r\n");
                stuffed.append(text.startsWith(".") ? "." + text : text).append("\r\n");
            }
            List<String> events = harness.decodeAllWays("DATA\r\n" + stuffed + ".\r\nQUIT\r\n");
            String content = message.toString();
            List<String> expected = content.isEmpty()
                    ? List.of("CMD DATA []", "END " + stats(0, false, false, false, false, 0), "CMD QUIT []")
                    : List.of("CMD DATA []", "DATA " + content,
                            "END " + stats(content.length(), false, false, false, false, 0), "CMD QUIT []");
            assertThat(events).as("seed %d", seed).isEqualTo(expected);
        }
    }

    /** Independent model: split on line endings, unstuff lines after a real CRLF, re-join with CRLF. */
    private static String reference(String raw, long[] bare) {
        StringBuilder out = new StringBuilder();
        Matcher matcher = LINE_ENDING.matcher(raw);
        int last = 0;
        boolean afterRealCrlf = true;
        while (matcher.find()) {
            String line = raw.substring(last, matcher.start());
            out.append(afterRealCrlf && line.startsWith(".") ? line.substring(1) : line).append("\r\n");
            afterRealCrlf = matcher.group().equals("\r\n");
            if (!afterRealCrlf) {
                bare[0]++;
            }
            last = matcher.end();
        }
        assertThat(last).isEqualTo(raw.length()); // content always ends with the marker's CRLF
        return out.toString();
    }
}
