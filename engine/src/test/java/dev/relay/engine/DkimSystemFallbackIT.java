package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.DkimSigningIT.Run;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code relay system set NAME --dkim-sign-as-system-domain true} end to end: a sending domain of the system without
 * a DKIM key of its own is refused by {@code dkim.missing_key: refuse} until the system says so; then its messages
 * are signed with the system's first domain that has a key (d= that domain), and Python's dkim verifies them against
 * the records {@code relay system dkim generate} printed; switched off, refused again.
 */
class DkimSystemFallbackIT {

    static Run systemCli(TestRelay relay, String... args) throws Exception {
        Path config = relay.directory().resolve("cli.yaml");
        Files.writeString(config, "http:\n  listen: 127.0.0.1:" + relay.http().getPort()
                + "\n  admin_token_file: admin.token\n");
        List<String> all = new ArrayList<>(List.of("system"));
        all.addAll(List.of(args));
        all.add("--config");
        all.add(config.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(all.toArray(String[]::new), Map.of("USER", "dave"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aSystemThatSaysSoSignsAnUnkeyedDomainWithItsFirstKeyedDomain() throws Exception {
        PythonDkim.assumeAvailable();
        Path keyDir = Files.createDirectories(Path.of("target", "it-dkim", UUID.randomUUID().toString())
                .toAbsolutePath());
        Path keyFile = keyDir.resolve("dkim.key");
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithAdmin("dkim_fallback",
                     "  auth: { users_file: users.yaml, require_tls: false }\n",
                     "delivery:\n  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                             + "  poll_interval: 200ms\n"
                             + "dkim:\n  key_file: " + keyFile + "\n  missing_key: refuse\n")) {
            Run generated = DkimSigningIT.cli(relay, "generate", "shop.example", "--selector", "s2026");
            assertThat(generated.code()).as(generated.err()).isZero();
            Map<String, String> records = DkimSigningIT.records(generated.out());
            // the system's domains, oldest first: shop.test (from the users file, no key), shop.example (keyed),
            // other.example (no key)
            assertThat(systemCli(relay, "domain", "add", TestRelay.USER, "shop.example").code()).isZero();
            assertThat(systemCli(relay, "domain", "add", TestRelay.USER, "other.example").code()).isZero();

            SmtpTestClient.Reply refused = DkimSigningIT.submit(relay, "orders@other.example", "first");
            assertThat(refused.code()).isEqualTo(550);
            assertThat(refused.text()).contains("5.7.1").contains("other.example");

            Run set = systemCli(relay, "set", TestRelay.USER, "--dkim-sign-as-system-domain", "true");
            assertThat(set.code()).as(set.err()).isZero();
            assertThat(systemCli(relay, "show", TestRelay.USER).out()).contains("signs as its first domain");
            SmtpTestClient.Reply accepted = DkimSigningIT.submit(relay, "orders@other.example", "second");
            assertThat(accepted.code()).as(accepted.text()).isEqualTo(250);
            Await.awaitTrue(Duration.ofSeconds(30), () -> mx.transactions().size() == 1);
            byte[] delivered = mx.transactions().get(0).data();
            assertThat(new String(delivered, StandardCharsets.UTF_8)).contains("d=shop.example;")
                    .contains("From: Shop <orders@other.example>");
            PythonDkim.Result verified = PythonDkim.verify(delivered, records);
            assertThat(verified.verified()).as(verified.output()).isTrue();
            assertThat(verified.output()).contains("ed25519-sha256 pass").contains("rsa-sha256 pass");

            assertThat(systemCli(relay, "set", TestRelay.USER, "--dkim-sign-as-system-domain", "false").code())
                    .isZero();
            assertThat(DkimSigningIT.submit(relay, "orders@other.example", "third").code()).isEqualTo(550);
        }
    }
}
