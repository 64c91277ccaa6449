package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.BouncesConfig;
import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.RelayConfig;
import dev.relay.storage.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading (driven by calling the poll directly, so no test waits for the timer) and the {@code relay bounces}
 * commands.
 */
class ReloadingBounceRulesTest {
    private static final String REPLY = "550 5.7.1 corp: sender left the company";

    private static String rule(String category) {
        return "rules:\n  - name: corp\n    match: 'left the company'\n    category: " + category + "\n";
    }

    @Test
    void aChangedFileReplacesTheRulesAndAnInvalidOneKeepsThem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bounce-rules.yaml");
        Files.writeString(file, rule("unknown_user"));
        try (ReloadingBounceRules rules = new ReloadingBounceRules(file, Duration.ofHours(1))) {
            assertThat(rules.classify(REPLY).category()).isEqualTo(Category.UNKNOWN_USER);

            rules.poll(); // unchanged: nothing happens
            assertThat(rules.reloads()).isZero();

            Files.writeString(file, rule("mailbox_disabled"));
            rules.poll();
            assertThat(rules.classify(REPLY).category()).isEqualTo(Category.MAILBOX_DISABLED);
            assertThat(rules.reloads()).isEqualTo(1);

            Files.writeString(file, rule("bounced_hard"));
            rules.poll();
            assertThat(rules.classify(REPLY).category()).isEqualTo(Category.MAILBOX_DISABLED);
            assertThat(rules.failures()).isEqualTo(1);
            rules.poll(); // the same invalid content is not counted again
            assertThat(rules.failures()).isEqualTo(1);

            Files.delete(file);
            rules.poll();
            assertThat(rules.classify(REPLY).category()).isEqualTo(Category.MAILBOX_DISABLED);
            assertThat(rules.failures()).isEqualTo(2);

            Files.writeString(file, rule("other"));
            rules.poll();
            assertThat(rules.classify(REPLY).category()).isEqualTo(Category.OTHER);
            assertThat(rules.reloads()).isEqualTo(2);
        }
    }

    @Test
    void theTimerPicksUpAnEditByItself(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bounce-rules.yaml");
        Files.writeString(file, rule("unknown_user"));
        try (ReloadingBounceRules rules = new ReloadingBounceRules(file, Duration.ofMillis(20))) {
            Files.writeString(file, rule("mailbox_disabled") + "# edited\n");
            Await.until(Duration.ofSeconds(10), () -> rules.reloads() != 0);
            assertThat(rules.reloads()).isEqualTo(1);
            assertThat(rules.classify(REPLY).category()).isEqualTo(Category.MAILBOX_DISABLED);
        }
    }

    @Test
    void anInvalidOrMissingFileStopsTheStart(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> new ReloadingBounceRules(dir.resolve("absent.yaml"), Duration.ofSeconds(2)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("absent.yaml", "no such file");
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "rules:\n  - name: x\n    match: y\n    category: policy\n    class: firm\n");
        assertThatThrownBy(() -> new ReloadingBounceRules(file, Duration.ofSeconds(2)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("bad.yaml", "rules[0].class", "firm");
        try (ReloadingBounceRules shippedOnly = new ReloadingBounceRules(null, Duration.ofSeconds(2))) {
            assertThat(shippedOnly.classify("550 5.1.1 User unknown").category()).isEqualTo(Category.UNKNOWN_USER);
        }
    }

    @Test
    void checkCommandSummarisesAValidFileAndReportsAnInvalidOne(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, rule("unknown_user") + "disable: [dnsbl]\n");
        Output o = new Output();
        assertThat(o.run(RelayConfig.defaults(), "check", good.toString())).isZero();
        assertThat(o.out()).contains("good.yaml: ok,", "(1 yours,", "1 shipped disabled or replaced",
                "corp: match /left the company/, -> unknown_user", "gmail-no-such-user: status 5.1.1");

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, rule("unknown_user") + "disable: [no-such-rule]\n");
        o = new Output();
        assertThat(o.run(RelayConfig.defaults(), "check", bad.toString())).isEqualTo(1);
        assertThat(o.err()).contains("bad.yaml", "disable[0]", "no-such-rule", "no shipped rule");

        o = new Output();
        assertThat(o.run(RelayConfig.defaults(), "check")).isZero(); // no bounces.rules: the shipped file
        assertThat(o.out()).contains("shipped bounce-rules.yaml: ok");

        assertThat(new Output().run(RelayConfig.defaults(), "verify")).isEqualTo(2);
        assertThat(new Output().run(RelayConfig.defaults(), "classify")).isEqualTo(2);
    }

    @Test
    void classifyCommandPrintsCategoryClassImpliedStatusAndRule(@TempDir Path dir) throws Exception {
        Output o = new Output();
        assertThat(o.run(RelayConfig.defaults(), "classify",
                "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
                        + "550 5.1.1 double-checking the recipient's email address")).isZero();
        assertThat(o.out()).contains("category: unknown_user", "class:    hard", "implied:  5.1.1",
                "rule:     gmail-no-such-user", "read as:  code 550, status 5.1.1");

        Path file = dir.resolve("mine.yaml");
        Files.writeString(file, rule("mailbox_disabled"));
        RelayConfig config = new RelayConfig(RelayConfig.defaults().smtp(), RelayConfig.defaults().http(),
                RelayConfig.defaults().database(), RelayConfig.defaults().delivery(), Path.of("data"),
                RelayConfig.defaults().log(), new BouncesConfig(file));
        o = new Output();
        assertThat(o.run(config, "classify", REPLY)).isZero();
        assertThat(o.out()).contains("category: mailbox_disabled", "class:    hard", "rule:     corp");

        Files.writeString(file, rule("nonsense"));
        o = new Output();
        assertThat(o.run(config, "classify", REPLY)).isEqualTo(1);
        assertThat(o.err()).contains("mine.yaml", "rules[0].category", "nonsense");
    }

    private static final class Output {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();

        int run(RelayConfig config, String... args) {
            return BouncesCommand.run(args, config, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
        }

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String err() {
            return err.toString(StandardCharsets.UTF_8);
        }
    }
}
