package dev.relay.engine.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.HostPort;
import dev.relay.engine.config.RelayConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's argument handling, the admin token and the table layout, without a server. */
class QueueCommandTest {
    private static QueueCommand.Request request(String... args) {
        return QueueCommand.request(QueueCommand.parse(args));
    }

    @Test
    void commandsBecomeApiCalls() {
        assertThat(request("queue", "summary")).isEqualTo(new QueueCommand.Request("GET", "queue/summary", null,
                "summary"));
        assertThat(request("list", "--domain", "Example.com", "--state=deferred", "--limit", "5").path())
                .isEqualTo("queue/recipients?domain=Example.com&state=deferred&limit=5");
        assertThat(request("list", "--site", "127.0.0.1:25").path()).isEqualTo("queue/recipients?site=127.0.0.1%3A25");
        assertThat(request("show", "01m87q6ek2egyayfr8scgymfdy").path())
                .isEqualTo("queue/messages/01M87Q6EK2EGYAYFR8SCGYMFDY");
        assertThat(request("flush").body().toString()).isEqualTo("{}");
        assertThat(request("flush", "example.com").body().toString()).isEqualTo("{\"domain\":\"example.com\"}");
        QueueCommand.Request suspend = request("suspend", "[::1]:25", "--for", "90m", "--reason", "ticket 1");
        assertThat(suspend.path()).isEqualTo("queue/sites/%5B%3A%3A1%5D%3A25/suspend");
        assertThat(suspend.body().toString()).isEqualTo("{\"for\":\"90m\",\"reason\":\"ticket 1\"}");
        assertThat(request("delete", "01M87Q6EK2EGYAYFR8SCGYMFDY").method()).isEqualTo("DELETE");
        assertThat(request("bounce", "01M87Q6EK2EGYAYFR8SCGYMFDY").path())
                .isEqualTo("queue/messages/01M87Q6EK2EGYAYFR8SCGYMFDY/bounce");
        assertThat(QueueCommand.parse(new String[] {"summary", "--json"}).json()).isTrue();
    }

    @Test
    void usageErrorsAreNamed() {
        assertThatThrownBy(() -> request()).hasMessage("which queue command?");
        assertThatThrownBy(() -> request("requeue")).hasMessage("unknown queue command 'requeue'");
        assertThatThrownBy(() -> request("show")).hasMessage("'queue show' takes 1 argument, got 0");
        assertThatThrownBy(() -> request("flush", "a", "b")).hasMessage("'queue flush' takes 0 to 1 argument, got 2");
        assertThatThrownBy(() -> request("show", "123")).hasMessageStartingWith("not a queue id: '123'");
        assertThatThrownBy(() -> request("list", "--state", "gone"))
                .hasMessageContaining("unknown state 'gone' (queued, deferred or in_flight)");
        assertThatThrownBy(() -> request("list", "--limit", "0")).hasMessageContaining("limit must be a number");
        assertThatThrownBy(() -> request("suspend", "s", "--for", "-5m")).hasMessageContaining("--for");
        assertThatThrownBy(() -> request("summary", "--domain", "x")).hasMessage("--domain does not apply to"
                + " 'queue summary'");
        assertThatThrownBy(() -> request("summary", "--verbose")).hasMessage("unknown option '--verbose'");
        assertThatThrownBy(() -> request("list", "--limit")).hasMessage("--limit needs a value");
    }

    @Test
    void exitCodesAndHelp() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(QueueCommand.run(new String[] {"queue", "help"}, RelayConfig.defaults(), Map.of(), o, e)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("relay queue summary");
        assertThat(QueueCommand.run(new String[] {"queue", "nope"}, RelayConfig.defaults(), Map.of(), o, e))
                .isEqualTo(2);
        // no token anywhere: a configuration error naming the ways to give one
        assertThat(QueueCommand.run(new String[] {"summary"}, RelayConfig.defaults(), Map.of(), o, e)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no admin token", "--token-file",
                "RELAY_ADMIN_TOKEN");
        assertThat(QueueCommand.run(new String[] {"summary", "--token-file", "/nonexistent/token"},
                RelayConfig.defaults(), Map.of(), o, e)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--token-file", "/nonexistent/token",
                "no such file");
    }

    @Test
    void theDefaultUrlIsTheListenerReachedOnLoopbackForWildcards() {
        assertThat(QueueCommand.defaultUrl(new HostPort("127.0.0.1", 8025))).isEqualTo("http://127.0.0.1:8025");
        assertThat(QueueCommand.defaultUrl(new HostPort("0.0.0.0", 8025))).isEqualTo("http://127.0.0.1:8025");
        assertThat(QueueCommand.defaultUrl(new HostPort("::", 9000))).isEqualTo("http://[::1]:9000");
        assertThat(QueueCommand.defaultUrl(new HostPort("fd00::5", 9000))).isEqualTo("http://[fd00::5]:9000");
    }

    @Test
    void tokensAreLongEnoughAndComparedWhole() {
        Path file = Path.of("admin.token");
        AdminToken token = AdminToken.of("0123456789abcdef", "http.admin_token_file", file);
        assertThat(token.matches("0123456789abcdef")).isTrue();
        assertThat(token.matches("0123456789abcdeF")).isFalse();
        assertThat(token.matches("0123456789abcde")).isFalse();
        assertThat(token.matches("")).isFalse();
        assertThatThrownBy(() -> AdminToken.of("short", "http.admin_token_file", file))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http.admin_token_file")
                .hasMessageContaining("at least 16");
        assertThatThrownBy(() -> AdminToken.of("with space in the token", "k", file))
                .isInstanceOf(ConfigException.class);
        assertThat(AdminApi.actor("alice")).isEqualTo("alice");
        assertThat(AdminApi.actor(null)).isEqualTo("admin");
        assertThat(AdminApi.actor("bob smith\r\n")).isEqualTo("bob_smith");
    }

    @Test
    void tablesAlignColumnsAndCutLongCells() {
        String t = new Table("SITE", "COUNT>", "REPLY").row("google.com", 1204, "451 later")
                .row("x", 7, "multi\r\nline").render();
        assertThat(t).isEqualTo("""
                SITE        COUNT  REPLY
                google.com   1204  451 later
                x               7  multi  line
                """);
        assertThat(Table.clean("a".repeat(200))).hasSize(Table.MAX_CELL).endsWith("…");
        assertThat(QueueFormat.span(Duration.ofSeconds(42))).isEqualTo("42s");
        assertThat(QueueFormat.span(Duration.ofSeconds(192))).isEqualTo("3m12s");
        assertThat(QueueFormat.span(Duration.ofMinutes(125))).isEqualTo("2h05m");
        assertThat(QueueFormat.span(Duration.ofHours(99))).isEqualTo("4d03h");
    }
}
