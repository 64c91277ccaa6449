package dev.relay.engine.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.AuthConfig;
import dev.relay.engine.config.RelayConfig;
import dev.relay.engine.config.SmtpConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(RelayConfig config, String stdin, String... args) {
        out.reset();
        err.reset();
        return UserCommand.run(args, config, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), null);
    }

    private RelayConfig withUsersFile(Path file) {
        RelayConfig d = RelayConfig.defaults();
        SmtpConfig s = d.smtp();
        SmtpConfig smtp = new SmtpConfig(s.listen(), s.hostname(), s.maxMessageSize(), s.maxRecipients(),
                s.maxConnections(), s.commandTimeout(), s.dataTimeout(), s.maxAuthFailures(), s.maxErrors(),
                s.maxBytesInFlight(), s.shutdownGrace(), s.relayNetworks(), s.proxyProtocolFrom(), s.tls(),
                new AuthConfig(file, true));
        return new RelayConfig(smtp, d.http(), d.database(), d.delivery(), d.dataDirectory());
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void addListRemoveThroughStdin() {
        Path f = dir.resolve("users.yaml");
        RelayConfig config = withUsersFile(f);
        assertThat(run(config, "s3cret\nignored\n", "user", "add", "shop")).isZero();
        assertThat(out()).contains("added user shop");
        assertThat(err()).doesNotContain("hint");
        assertThat(run(config, "pw2\n", "add", "news", "--priority", "bulk")).isZero();
        assertThat(UsersFile.read(f).get("shop").hash().matches("s3cret".toCharArray())).isTrue();
        assertThat(UsersFile.read(f).get("news").priority()).isEqualTo("bulk");

        assertThat(run(config, "", "list")).isZero();
        assertThat(out()).isEqualTo("news\tbulk" + System.lineSeparator() + "shop\ttransactional" + System.lineSeparator());

        assertThat(run(config, "new\n", "add", "shop")).isZero();
        assertThat(out()).contains("updated user shop");
        assertThat(UsersFile.read(f).get("shop").hash().matches("new".toCharArray())).isTrue();

        assertThat(run(config, "", "remove", "shop")).isZero();
        assertThat(UsersFile.read(f)).containsOnlyKeys("news");
        assertThat(run(config, "", "remove", "shop")).isEqualTo(1);
        assertThat(err()).contains("no user shop");
    }

    @Test
    void usersFileOptionAndHint() throws Exception {
        Path f = dir.resolve("other.yaml");
        assertThat(run(RelayConfig.defaults(), "pw\n", "add", "shop", "--users-file", f.toString())).isZero();
        assertThat(Files.exists(f)).isTrue();
        assertThat(err()).contains("hint").contains("smtp.auth.users_file");
        assertThat(run(RelayConfig.defaults(), "", "list", "--users-file", f.toString())).isZero();
        assertThat(out()).startsWith("shop\ttransactional");
    }

    @Test
    void refusesEmptyPasswordAndBadInput() {
        Path f = dir.resolve("users.yaml");
        RelayConfig config = withUsersFile(f);
        assertThat(run(config, "\n", "add", "shop")).isEqualTo(1);
        assertThat(err()).contains("empty password");
        assertThat(run(config, "", "add", "shop")).isEqualTo(1);
        assertThat(Files.exists(f)).isFalse();
        assertThat(run(config, "pw\n", "add", "bad name")).isEqualTo(2);
        assertThat(run(config, "pw\n", "add", "shop", "--priority", "urgent")).isEqualTo(2);
        assertThat(run(config, "", "frobnicate")).isEqualTo(2);
        assertThat(err()).contains("usage");
        assertThat(run(config, "")).isEqualTo(2);
        assertThat(run(config, "", "add")).isEqualTo(2);
    }

    @Test
    void brokenUsersFileIsAConfigError() throws Exception {
        Path f = dir.resolve("users.yaml");
        Files.writeString(f, "users:\n  shop:\n    password: plain\n");
        assertThat(run(withUsersFile(f), "", "list")).isEqualTo(2);
        assertThat(err()).contains("users.shop.password").doesNotContain("plain\n");
    }
}
