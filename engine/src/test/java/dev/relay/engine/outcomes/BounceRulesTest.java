package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.ConfigException;
import dev.relay.protocol.EnhancedStatus;
import dev.relay.protocol.SmtpReply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Precedence, fallbacks, classes, reply parsing and the defences against hostile replies. */
class BounceRulesTest {
    private static final BounceRulesFile.Parsed SHIPPED = BounceRulesFile.shipped();

    private static BounceRules withUser(String yaml) {
        return BounceRules.of(SHIPPED, BounceRulesFile.parse("mine.yaml", yaml), "mine.yaml");
    }

    @Test
    void userRulesComeFirstAndReplaceOrDisableShippedOnesByName() {
        String reply = "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in local recipient table";
        assertThat(BounceRules.shipped().classify(reply))
                .isEqualTo(new Classification(Category.UNKNOWN_USER, BounceClass.HARD, "unknown-user"));

        BounceRules mine = withUser("""
                rules:
                  - name: local-table-is-stale
                    match: "in local recipient table"
                    category: other
                    class: soft
                """);
        assertThat(mine.classify(reply))
                .isEqualTo(new Classification(Category.OTHER, BounceClass.SOFT, "local-table-is-stale"));
        assertThat(mine.summary()).isEqualTo((SHIPPED.rules().size() + 1) + " rules (1 yours, "
                + SHIPPED.rules().size() + " shipped)");

        BounceRules replaced = withUser("""
                rules:
                  - name: unknown-user
                    match: "nobody here"
                    category: unknown_user
                """);
        assertThat(replaced.rules()).filteredOn(r -> r.name().equals("unknown-user")).hasSize(1);
        assertThat(replaced.classify(reply).rule()).isEqualTo("status:5.1.1"); // the shipped rule is gone

        BounceRules disabled = withUser("disable: [unknown-user]\n");
        assertThat(disabled.classify(reply).rule()).isEqualTo("status:5.1.1");
        assertThat(disabled.summary()).contains("1 shipped disabled or replaced");
    }

    @Test
    void disablingAnUnknownShippedRuleIsAnError() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> withUser("disable: [unknown-usr]\n"));
        assertThat(e.getMessage()).contains("mine.yaml", "disable[0]", "unknown-usr", "no shipped rule");
    }

    @Test
    void codeAndStatusConditionsArePrefixesByComponent() {
        BounceRules mine = withUser("""
                rules:
                  - name: five-seven
                    code: "55"
                    status: "5.7"
                    category: policy
                  - name: either-class-full
                    status: "x.2.2"
                    category: mailbox_full
                    class: hard
                """);
        assertThat(mine.classify(550, EnhancedStatus.parse("5.7.26"), "x").rule()).isEqualTo("five-seven");
        assertThat(mine.classify(554, EnhancedStatus.parse("5.70.1"), "x").rule()).isNotEqualTo("five-seven");
        assertThat(mine.classify(521, EnhancedStatus.parse("5.7.1"), "x").rule()).isNotEqualTo("five-seven");
        assertThat(mine.classify(552, EnhancedStatus.parse("5.2.2"), "x"))
                .isEqualTo(new Classification(Category.MAILBOX_FULL, BounceClass.HARD, "either-class-full"));
        // a 4xx is soft whatever the rule says
        assertThat(mine.classify(452, EnhancedStatus.parse("4.2.2"), "x"))
                .isEqualTo(new Classification(Category.MAILBOX_FULL, BounceClass.SOFT, "either-class-full"));
    }

    @Test
    void withoutAMatchingRuleTheStatusThenTheCodeDecides() {
        BounceRules rules = BounceRules.shipped();
        assertThat(rules.classify(550, EnhancedStatus.parse("5.1.1"), "zzz"))
                .isEqualTo(new Classification(Category.UNKNOWN_USER, BounceClass.HARD, "status:5.1.1"));
        assertThat(rules.classify(450, EnhancedStatus.parse("4.1.1"), "zzz"))
                .isEqualTo(new Classification(Category.UNKNOWN_USER, BounceClass.SOFT, "status:4.1.1"));
        assertThat(rules.classify(552, EnhancedStatus.parse("5.2.2"), "zzz").category()).isEqualTo(Category.MAILBOX_FULL);
        assertThat(rules.classify(552, EnhancedStatus.parse("5.2.2"), "zzz").bounceClass()).isEqualTo(BounceClass.SOFT);
        assertThat(rules.classify(550, EnhancedStatus.parse("5.7.1"), "zzz").category()).isEqualTo(Category.POLICY);
        assertThat(rules.classify(550, EnhancedStatus.parse("5.7.26"), "zzz").category())
                .isEqualTo(Category.AUTHENTICATION);
        assertThat(rules.classify(451, EnhancedStatus.parse("4.4.7"), "zzz").category()).isEqualTo(Category.EXPIRED);
        assertThat(rules.classify(554, EnhancedStatus.parse("5.6.0"), "zzz"))
                .isEqualTo(new Classification(Category.OTHER, BounceClass.HARD, "code:5xx"));
        assertThat(rules.classify(451, null, "zzz"))
                .isEqualTo(new Classification(Category.OTHER, BounceClass.SOFT, "code:4xx"));
        assertThat(rules.classify(0, null, "zzz"))
                .isEqualTo(new Classification(Category.NETWORK, BounceClass.SOFT, "code:none"));
        // qmail's status in parentheses counts when the reply has none of its own
        assertThat(rules.classify(553, null, "zzz (#5.1.1)").rule()).isEqualTo("status:5.1.1");
        assertThat(Category.UNKNOWN_USER.implied()).isEqualTo(EnhancedStatus.parse("5.1.1"));
        assertThat(Category.MAILBOX_FULL.impliedFor(false)).isEqualTo(EnhancedStatus.parse("4.2.2"));
        assertThat(Category.RATE_LIMITED.impliedFor(true)).isEqualTo(EnhancedStatus.parse("5.4.5"));
        assertThat(BounceClassifier.expired())
                .isEqualTo(new Classification(Category.EXPIRED, BounceClass.SOFT, "expired"));
    }

    @Test
    void anSmtpReplyFromTheWireAndTheSameReplyAsTextClassifyAlike() {
        List<String> lines = List.of("5.7.26 This mail is unauthenticated, which poses a security risk to the",
                "5.7.26 sender and Gmail users, and has been blocked.");
        SmtpReply wire = SmtpReply.fromWire(550, lines);
        BounceRules rules = BounceRules.shipped();
        assertThat(rules.classify(wire)).isEqualTo(rules.classify("550-" + lines.get(0) + "\r\n550 " + lines.get(1)));
        assertThat(rules.classify(wire).category()).isEqualTo(Category.AUTHENTICATION);
    }

    @Test
    void replyTextReadsCodesStatusesAndFlattenedMultiLineReplies() {
        assertThat(ReplyText.parse("smtp; 550-5.1.1 first 550-5.1.1 second\n550 5.1.1 third"))
                .isEqualTo(new ReplyText(550, EnhancedStatus.parse("5.1.1"), "first second third"));
        assertThat(ReplyText.parse("550 4.4.7 mixed")).isEqualTo(new ReplyText(550, null, "4.4.7 mixed"));
        assertThat(ReplyText.parse("connection refused")).isEqualTo(new ReplyText(0, null, "connection refused"));
        assertThat(ReplyText.parse("550")).isEqualTo(new ReplyText(550, null, ""));
        assertThat(ReplyText.parse("5501 x")).isEqualTo(new ReplyText(0, null, "5501 x"));
    }

    @Test
    void onlyTheFirstTwoThousandCharactersAreRead() {
        String padding = "x".repeat(BounceRules.MAX_TEXT);
        assertThat(BounceRules.shipped().classify(550, null, padding + " user unknown").rule()).isEqualTo("code:5xx");
        assertThat(BounceRules.shipped().classify(550, null, "user unknown " + padding).rule())
                .isEqualTo("unknown-user");
    }

    @Test
    void shippedPatternsStayFastOnHostileReplies() {
        BounceRules rules = BounceRules.shipped();
        List<String> hostile = List.of("a".repeat(100_000), " ".repeat(100_000), "user ".repeat(20_000),
                "account ".repeat(20_000) + "!", "message size ".repeat(10_000), "spf ".repeat(20_000),
                "(a:blocked".repeat(10_000), "local mailbox ".repeat(10_000), "ofr_".repeat(20_000),
                "\\S".repeat(30_000), "\u0000\r\n".repeat(20_000), "é".repeat(50_000));
        for (String text : hostile) {
            for (int code : new int[] {0, 421, 550}) {
                long start = System.nanoTime();
                rules.classify(code, null, text);
                rules.classify(code + " " + text);
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                        .as("classifying %s...", text.substring(0, 20)).isLessThan(Duration.ofMillis(500));
            }
        }
        assertThat(rules.abandoned()).isZero(); // the shipped patterns never come near the step budget
    }

    @Test
    void aCatastrophicUserPatternIsAbandonedNotRunForever() {
        BounceRules mine = withUser("""
                rules:
                  - name: evil
                    match: "(.*a){12}$"
                    category: policy
                """);
        String text = "a".repeat(30) + "!"; // without the budget: ~10^8 character reads and counting
        long start = System.nanoTime();
        Classification c = mine.classify(550, null, text);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(c.rule()).isEqualTo("code:5xx");
        assertThat(mine.abandoned()).isEqualTo(1);
    }
}
