package dev.relay.engine.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.RelayConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DkimCommandTest {

    private static DkimCommand.Request request(String... args) {
        return DkimCommand.request(AdminCommandLine.parse("dkim", args, Set.OPTIONS, Set.ALLOWED));
    }

    /** The parser's tables, as DkimCommand.run uses them. */
    private static final class Set {
        static final java.util.Set<String> OPTIONS = java.util.Set.of("--url", "--token-file", "--selector",
                "--algorithm", "--active-from", "--at", "--published-until");
        static final Map<String, java.util.Set<String>> ALLOWED = Map.of(
                "generate", java.util.Set.of("--selector", "--algorithm", "--active-from"),
                "list", java.util.Set.of(),
                "retire", java.util.Set.of("--at", "--published-until"));
    }

    @Test
    void buildsTheAdminRequests() {
        DkimCommand.Request generate = request("generate", "shop.example", "--selector", "s2026", "--algorithm",
                "ed25519", "--active-from", "2027-01-01T00:00:00Z");
        assertThat(generate.method()).isEqualTo("POST");
        assertThat(generate.path()).isEqualTo("dkim/shop.example/keys");
        assertThat(generate.body().toString()).contains("\"selector\":\"s2026\"", "\"algorithm\":\"ed25519\"",
                "\"active_from\":\"2027-01-01T00:00:00Z\"");
        assertThat(request("list", "shop.example").method()).isEqualTo("GET");
        DkimCommand.Request retire = request("retire", "shop.example", "s2026", "--at", "2027-01-01T00:00:00Z");
        assertThat(retire.path()).isEqualTo("dkim/shop.example/keys/s2026/retire");
        assertThat(retire.body().toString()).contains("\"at\":\"2027-01-01T00:00:00Z\"");
    }

    @Test
    void usageErrorsComeBeforeAnyRequest() {
        assertThatThrownBy(() -> request("generate")).hasMessageContaining("takes DOMAIN");
        assertThatThrownBy(() -> request("generate", "shop.example", "--algorithm", "dsa"))
                .hasMessageContaining("rsa, ed25519 or both");
        assertThatThrownBy(() -> request("retire", "shop.example", "s1", "--at", "tomorrow"))
                .hasMessageContaining("UTC time");
        assertThatThrownBy(() -> request("list", "shop.example", "--at", "2027-01-01T00:00:00Z"))
                .hasMessageContaining("does not apply");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DkimCommand.run(new String[] {"rotate", "shop.example"}, RelayConfig.defaults(), Map.of(),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown dkim command 'rotate'").contains("usage:");
    }
}
