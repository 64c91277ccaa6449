package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

/** The literal shortcut never hides a match: it is derived conservatively and checked against every real reply. */
class NeedlesTest {
    @Test
    void literalsAreTakenOnlyWhereEveryAlternativeNeedsOne() {
        assertThat(Needles.of("user ?unknown|no such (user|mailbox)|\\bspam\\b|^invalid recipient"))
                .containsExactly("user", "no such user", "no such mailbox", "spam", "invalid recipient");
        assertThat(Needles.of("(account|Mailbox)( \\S{1,100})? disabled|resolver\\.adr"))
                .containsExactly("account", "mailbox", "resolver.adr");
        assertThat(Needles.of("\\[(TSS04|gl01)\\] x|\\b(rp|sc)-00[0-9]\\b"))
                .containsExactly("[tss04] x", "[gl01] x", "rp-00", "sc-00");
        assertThat(Needles.of("users?x")).containsExactly("user");
        assertThat(Needles.of("spam|\\S{1,254} is unavailable")).isNull(); // one alternative without a literal
        assertThat(Needles.of("(a|bcd)")).isNull();                       // a needle shorter than 3
        assertThat(Needles.of("(user|mailbox)? gone")).isNull();          // an optional group
        assertThat(Needles.of("((x|y)z|abc)")).isNull();                  // nested groups: not analysed
        assertThat(Needles.of("(?:user|mailbox)")).isNull();
        assertThat(Needles.of("[a-z]+ unknown")).isNull();
        assertThat(Needles.of("ab")).isNull();
        assertThat(Needles.asciiLower("Ünknown USER é")).isEqualTo("Ünknown user é");
    }

    @Test
    void noShippedRuleMatchesARealReplyWithoutOneOfItsLiterals() throws IOException {
        List<Arguments> rows = BounceRulesTableTest.replies();
        int withNeedles = 0;
        for (BounceRule rule : BounceRulesFile.shipped().rules()) {
            if (rule.match() == null) {
                continue;
            }
            String[] needles = Needles.of(rule.match().pattern());
            if (needles == null) {
                continue;
            }
            withNeedles++;
            for (Arguments row : rows) {
                String text = ReplyText.parse((String) row.get()[0]).text();
                if (rule.match().matcher(text).find()) {
                    assertThat(Needles.anyIn(needles, Needles.asciiLower(text)))
                            .as("rule %s on %s", rule.name(), text).isTrue();
                }
            }
        }
        assertThat(withNeedles).as("shipped rules with a literal shortcut").isEqualTo((int) BounceRulesFile.shipped()
                .rules().stream().filter(r -> r.match() != null).count());
    }
}
