package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configuration stops the start with exit code 2 and a message naming the key, the value and the reason. */
class MainTest {

    private static int runCapturingStderr(ByteArrayOutputStream err, String... args) {
        PrintStream original = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void unknownKeyStopsTheStartWithExitCode2(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, "smtp:\n  max_mesage_size: 10MB\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(runCapturingStderr(err, "run", "--config", config.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("smtp.max_mesage_size", "unknown key");
    }

    @Test
    void badValueNamesKeyValueAndReason(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, "smtp:\n  max_message_size: lots\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(runCapturingStderr(err, "run", "--config", config.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("smtp.max_message_size", "lots");
    }

    @Test
    void missingConfigFileIsExitCode2(@TempDir Path dir) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(runCapturingStderr(err, "run", "--config", dir.resolve("absent.yaml").toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("absent.yaml");
    }

    @Test
    void bouncesCommandsUseTheRulesFileNamedInTheConfig(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("rules.yaml"),
                "rules:\n  - name: corp-gone\n    match: 'left the company'\n    category: unknown_user\n");
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, "bounces:\n  rules: rules.yaml\n"); // relative to relay.yaml
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"bounces", "classify", "550 5.7.1 she left the company", "--config",
                config.toString()}, java.util.Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("category: unknown_user", "rule:     corp-gone");
        out.reset();
        assertThat(Main.run(new String[] {"bounces", "check", "--config", config.toString()}, java.util.Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("rules.yaml: ok", "(1 yours,");
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertThat(runCapturingStderr(new ByteArrayOutputStream(), "frobnicate")).isEqualTo(2);
    }
}
