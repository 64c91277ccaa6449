package dev.relay.engine.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way a shaping file can be wrong, and the error it gets: {@code shaping-errors.txt} holds pairs of lines,
 * {@code yaml:} (one file, {@code \n} between its lines) and {@code error:} (source | key | value | reason). The
 * file records what operators see, so a change of wording shows up here as a reviewed diff.
 */
class ShapingFileErrorsTest {
    record Case(String yaml, String error) {
        @Override
        public String toString() {
            return yaml;
        }
    }

    static Stream<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        try (InputStream in = ShapingFileErrorsTest.class.getResourceAsStream("shaping-errors.txt")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].startsWith("yaml: ")) {
                    assertThat(lines[i + 1]).startsWith("error: ");
                    out.add(new Case(lines[i].substring(6), lines[i + 1].substring(7)));
                }
            }
        }
        assertThat(out).hasSizeGreaterThan(40);
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void errorNamesFileKeyValueAndReason(Case c) {
        String actual;
        try {
            ShapingFile.parse("my.yaml", c.yaml().replace("\\n", "\n") + "\n");
            actual = "OK";
        } catch (ConfigException e) {
            actual = e.source() + " | " + e.key() + " | " + e.value() + " | " + e.reason();
        }
        assertThat(actual.replace("\n", "\\n")).isEqualTo(c.error());
    }
}
