package dev.relay.engine.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.RelayConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading (driven by calling the poll directly, so no test waits for the timer) and {@code relay shaping check}.
 */
class ReloadingShapingTest {
    private static final List<Duration> RETRY = List.of(Duration.ofMinutes(1));

    private static int limitOf(ReloadingShaping s) {
        return s.resolve("mx.example", "x.example").limits().connectionLimit();
    }

    @Test
    void aChangedFileReplacesTheTableAndAnInvalidOneKeepsIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shaping.yaml");
        Files.writeString(file, "site:\n  mx: [mx.example]\n  connection_limit: 3\n");
        try (ReloadingShaping shaping = new ReloadingShaping(file, RETRY, Duration.ofHours(1))) {
            AtomicInteger notified = new AtomicInteger();
            shaping.onReload(notified::incrementAndGet);
            assertThat(limitOf(shaping)).isEqualTo(3);

            shaping.poll(); // unchanged: nothing happens
            assertThat(shaping.reloads()).isZero();

            Files.writeString(file, "site:\n  mx: [mx.example]\n  connection_limit: 7\n");
            shaping.poll();
            assertThat(limitOf(shaping)).isEqualTo(7);
            assertThat(shaping.reloads()).isEqualTo(1);
            assertThat(notified).hasValue(1);

            Files.writeString(file, "site:\n  mx: [mx.example]\n  connection_limit: seven\n");
            shaping.poll();
            assertThat(limitOf(shaping)).isEqualTo(7);
            assertThat(shaping.failures()).isEqualTo(1);
            shaping.poll(); // the same invalid content is not counted again
            assertThat(shaping.failures()).isEqualTo(1);

            Files.delete(file);
            shaping.poll();
            assertThat(limitOf(shaping)).isEqualTo(7);
            assertThat(shaping.failures()).isEqualTo(2);

            Files.writeString(file, "site:\n  mx: [mx.example]\n  connection_limit: 2\n");
            shaping.poll();
            assertThat(limitOf(shaping)).isEqualTo(2);
            assertThat(shaping.reloads()).isEqualTo(2);
            assertThat(notified).hasValue(2);
        }
    }

    @Test
    void anInvalidOrMissingFileStopsTheStart(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> new ReloadingShaping(dir.resolve("absent.yaml"), RETRY, Duration.ofSeconds(2)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("absent.yaml", "no such file");
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "gmail:\n  tls: sometimes\n");
        assertThatThrownBy(() -> new ReloadingShaping(file, RETRY, Duration.ofSeconds(2)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("bad.yaml", "gmail.tls", "sometimes");
    }

    @Test
    void checkCommandSummarisesAValidFileAndReportsAnInvalidOne(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, "gmail:\n  connection_limit: 3\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(check(new String[] {"check", good.toString()}, out, err)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("good.yaml: ok", "gmail (domains gmail.com",
                "connection_limit 3", "tls required", "gmail-unusual-rate");

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "gmail:\n  max_message_rate: 10/fortnight\n");
        err.reset();
        assertThat(check(new String[] {"check", bad.toString()}, out, err)).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("bad.yaml", "gmail.max_message_rate",
                "10/fortnight", "expected a rate");

        assertThat(check(new String[] {"verify"}, out, err)).isEqualTo(2);
        out.reset();
        assertThat(check(new String[] {"check"}, out, err)).isZero(); // no delivery.shaping: the shipped file
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("shipped shaping.yaml: ok");
    }

    private static int check(String[] args, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        return ShapingCommand.run(args, RelayConfig.defaults(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }
}
