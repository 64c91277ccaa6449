package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shipped rules against real reply texts ({@code replies.tsv}, sources named at its top): each reply, read as
 * text the way a DSN's Diagnostic-Code or {@code relay bounces classify} gives it, must get its expected category
 * and class.
 */
class BounceRulesTableTest {
    private static final BounceRules SHIPPED = BounceRules.shipped();

    static List<Arguments> replies() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = Objects.requireNonNull(
                BounceRulesTableTest.class.getResourceAsStream("replies.tsv"), "replies.tsv")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                int number = i + 1;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cols = line.split("\t");
                if (cols.length != 3) {
                    throw new IllegalStateException("replies.tsv line " + (i + 1) + ": expected 3 columns: " + line);
                }
                out.add(Arguments.of(cols[0].replace("\\n", "\n"), Category.byKey(cols[1]).orElseThrow(
                        () -> new IllegalStateException("line " + number + ": unknown category " + cols[1])),
                        BounceClass.parse(cols[2])));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{1} {2}: {0}")
    @MethodSource("replies")
    void realReplyGetsItsCategoryAndClass(String reply, Category category, BounceClass bounceClass) {
        Classification c = SHIPPED.classify(reply);
        assertThat(c.category()).as("category of %s (rule %s)", reply, c.rule()).isEqualTo(category);
        assertThat(c.bounceClass()).as("class of %s (rule %s)", reply, c.rule()).isEqualTo(bounceClass);
    }

    @Test
    void theTableIsLargeAndCoversEveryCategory() throws IOException {
        List<Arguments> rows = replies();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(200);
        assertThat(rows.stream().map(a -> a.get()[1]).distinct()).containsExactlyInAnyOrder(
                (Object[]) Category.values());
    }
}
