package dev.relay.protocol;

import static dev.relay.protocol.DecoderHarness.stats;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SMTP smuggling: only CRLF.CRLF ends DATA, and what we emit never contains another end marker. */
class DataFramingTest {
    private final DecoderHarness harness = new DecoderHarness();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // what follows "DATA\r\nA"; the content expected between "A" and "MAIL"; bare line endings
        "LF.LF        | \\n.\\n        | \\r\\n.\\r\\n\\r\\n     | 2",
        "CR.CR        | \\r.\\r        | \\r\\n.\\r\\n\\r\\n     | 2",
        "LF.CRLF      | \\n.\\r\\n      | \\r\\n.\\r\\n\\r\\n     | 1",
        "CRLF.LF      | \\r\\n.\\n      | \\r\\n\\r\\n\\r\\n      | 1",
        "CR.CRLF      | \\r.\\r\\n      | \\r\\n.\\r\\n\\r\\n     | 1",
        "CRLF.CR      | \\r\\n.\\rX     | \\r\\n\\r\\nX\\r\\n     | 1",
        "CRLF.CRCRLF  | \\r\\n.\\r\\r\\nX | \\r\\n\\r\\n\\r\\nX\\r\\n | 1",
    })
    void nothingButCrlfDotCrlfEndsData(String name, String smuggled, String expected, long bare) {
        String input = "DATA\r\nA" + unescape(smuggled) + "\r\nMAIL FROM:<x@y>\r\n.\r\nQUIT\r\n";
        List<String> events = harness.decodeAllWays(input);
        String content = "A" + unescape(expected) + "MAIL FROM:<x@y>\r\n";
        // One message: the smuggled MAIL stays content, and every line ending we pass on is CRLF,
        // so a later hop sees exactly the lines we saw (a "." line is dot-stuffed again on output).
        assertThat(events).containsExactly("CMD DATA []", "DATA " + content,
                "END " + stats(content.length(), false, false, false, false, bare), "CMD QUIT []");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a\\nb\\r\\n      | a\\r\\nb\\r\\n   | 1",
        "a\\rb\\r\\n      | a\\r\\nb\\r\\n   | 1",
        "a\\r\\r\\n       | a\\r\\n\\r\\n    | 1",
        "a\\n\\n\\r\\n    | a\\r\\n\\r\\n\\r\\n | 2",
    })
    void bareLineEndingsAreNormalisedAndCounted(String body, String expected, long bare) {
        List<String> events = harness.decodeAllWays("DATA\r\n" + unescape(body) + ".\r\n");
        String content = unescape(expected);
        assertThat(events).containsExactly("CMD DATA []", "DATA " + content,
                "END " + stats(content.length(), false, false, false, false, bare));
    }

    private static String unescape(String text) {
        return text.strip().replace("\\r", "\r").replace("\\n", "\n");
    }
}
