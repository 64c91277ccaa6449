package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Every error names the file, the key path, the value and the reason. */
class BounceRulesFileTest {
    private static void rejects(String yaml, String key, String... fragments) {
        assertThatThrownBy(() -> BounceRulesFile.parse("mine.yaml", yaml))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key))
                .hasMessageContaining("mine.yaml")
                .hasMessageContaining(key)
                .satisfies(e -> assertThat(e.getMessage()).contains(fragments));
    }

    @Test
    void theShippedFileParses() {
        BounceRulesFile.Parsed shipped = BounceRulesFile.shipped();
        assertThat(shipped.rules()).hasSizeGreaterThan(50);
        assertThat(shipped.disable()).isEmpty();
    }

    @Test
    void aValidRuleWithEveryField() {
        BounceRulesFile.Parsed p = BounceRulesFile.parse("mine.yaml", """
                rules:
                  - name: corp-gone
                    code: 550
                    status: "5.1"
                    match: "left the company"
                    category: unknown-user
                    class: HARD
                disable: [dnsbl]
                """);
        BounceRule r = p.rules().get(0);
        assertThat(r.name()).isEqualTo("corp-gone");
        assertThat(r.code()).isEqualTo("550");
        assertThat(r.status()).isEqualTo("5.1");
        assertThat(r.match().matcher("He LEFT the company").find()).isTrue();
        assertThat(r.category()).isEqualTo(Category.UNKNOWN_USER);
        assertThat(r.bounceClass()).isEqualTo(BounceClass.HARD);
        assertThat(p.disable()).containsExactly("dnsbl");
        assertThat(BounceRulesFile.parse("mine.yaml", "").rules()).isEmpty();
    }

    @Test
    void errorsNameFileKeyValueAndReason() {
        rejects("rules: [\n", "(file)", "invalid YAML");
        rejects("- a\n", "(file)", "top level must be a mapping");
        rejects("rulez: []\n", "rulez", "unknown key", "rules, disable");
        rejects("rules: {a: 1}\n", "rules", "expected a list");
        rejects("rules:\n  - name: a\n    match: x\n    category: policy\n    colour: red\n", "rules[0].colour",
                "red", "unknown field");
        rejects("rules:\n  - match: x\n    category: policy\n", "rules[0].name", "required");
        rejects("rules:\n  - name: 'a b'\n    match: x\n    category: policy\n", "rules[0].name", "a b",
                "letters, digits");
        rejects("rules:\n  - name: a\n    match: x\n    category: policy\n  - name: a\n    match: y\n"
                + "    category: policy\n", "rules[1].name", "unique");
        rejects("rules:\n  - name: a\n    code: 250\n    category: policy\n", "rules[0].code", "250", "4xx or 5xx");
        rejects("rules:\n  - name: a\n    status: 5.10\n    category: policy\n", "rules[0].status", "5.1",
                "quote it");
        rejects("rules:\n  - name: a\n    status: '5.x.1'\n    category: policy\n", "rules[0].status", "5.x.1",
                "enhanced status");
        rejects("rules:\n  - name: a\n    match: 'user (unknown'\n    category: policy\n", "rules[0].match",
                "user (unknown", "invalid regular expression");
        rejects("rules:\n  - name: a\n    category: policy\n", "rules[0]", "at least one of code, status and match");
        rejects("rules:\n  - name: a\n    match: x\n", "rules[0].category", "required", "unknown_user");
        rejects("rules:\n  - name: a\n    match: x\n    category: bounced\n", "rules[0].category", "bounced",
                "unknown category", "rate_limited");
        rejects("rules:\n  - name: a\n    match: x\n    category: policy\n    class: medium\n", "rules[0].class",
                "medium", "hard or soft");
        rejects("disable: dnsbl\n", "disable", "expected a list");
    }
}
