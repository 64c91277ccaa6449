package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * End to end: keys made by {@code relay system dkim generate}, a message submitted with AUTH, delivered to a test MX
 * and verified there by Python's dkim against the TXT records the command printed; a From domain without a key is
 * refused with nothing stored; a retired selector stops signing at once on the node that retired it.
 */
class DkimSigningIT {
    private static final Pattern ZONE = Pattern.compile("^(\\S+)\\. IN TXT \\((.*)\\)$", Pattern.MULTILINE);
    private static final Pattern STRING = Pattern.compile("\"([^\"]*)\"");

    record Run(int code, String out, String err) {}

    static Run cli(TestRelay relay, String... args) throws Exception {
        Path config = relay.directory().resolve("cli.yaml");
        Files.writeString(config, "http:\n  listen: 127.0.0.1:" + relay.http().getPort()
                + "\n  admin_token_file: admin.token\n");
        List<String> all = new ArrayList<>(List.of("system", "dkim"));
        all.addAll(List.of(args));
        all.add("--config");
        all.add(config.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(all.toArray(String[]::new), Map.of("USER", "dave"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The zone lines of {@code output}, as a resolver would hand them to a verifier (strings joined). */
    static Map<String, String> records(String output) {
        Map<String, String> records = new LinkedHashMap<>();
        Matcher zone = ZONE.matcher(output);
        while (zone.find()) {
            StringBuilder value = new StringBuilder();
            Matcher string = STRING.matcher(zone.group(2));
            while (string.find()) {
                assertThat(string.group(1).length()).as("a DNS character-string").isLessThanOrEqualTo(255);
                value.append(string.group(1));
            }
            records.put(zone.group(1), value.toString());
        }
        return records;
    }

    static SmtpTestClient.Reply submit(TestRelay relay, String from, String body) throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect(relay.smtp())) {
            c.reply();
            c.command("EHLO app.test");
            String plain = Base64.getEncoder().encodeToString(("\0" + TestRelay.USER + "\0" + TestRelay.PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(c.command("AUTH PLAIN " + plain).code()).isEqualTo(235);
            assertThat(c.command("MAIL FROM:<bounces@shop.example> BODY=8BITMIME").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<ann@dest.test>").code()).isEqualTo(250);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            c.sendBytes(("From: Shop <" + from + ">\r\nTo: ann@dest.test\r\nSubject: Your order\r\n"
                    + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n.\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            return c.reply();
        }
    }

    @Test
    void aSubmittedMessageIsSignedAtAcceptanceAndVerifiesAgainstThePrintedRecords() throws Exception {
        PythonDkim.assumeAvailable();
        Path keyDir = Files.createDirectories(Path.of("target", "it-dkim", UUID.randomUUID().toString())
                .toAbsolutePath());
        Path keyFile = keyDir.resolve("dkim.key");
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithAdmin("dkim_e2e",
                     "  auth: { users_file: users.yaml, require_tls: false }\n",
                     "delivery:\n  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                             + "  poll_interval: 200ms\n"
                             + "dkim:\n  key_file: " + keyFile + "\n  missing_key: refuse\n")) {
            Run generated = cli(relay, "generate", "shop.example", "--selector", "s2026");
            assertThat(generated.code()).as(generated.err()).isZero();
            Map<String, String> records = records(generated.out());
            assertThat(records).containsOnlyKeys("s2026-ed25519._domainkey.shop.example",
                    "s2026-rsa._domainkey.shop.example");
            assertThat(records.get("s2026-ed25519._domainkey.shop.example")).startsWith("v=DKIM1; k=ed25519; p=");
            assertThat(records.get("s2026-rsa._domainkey.shop.example")).startsWith("v=DKIM1; k=rsa; p=");
            assertThat(generated.out()).doesNotContain("unencrypted");
            assertThat(relay.database().rows("SELECT count(*) FROM dkim_key WHERE encrypted")).containsExactly("2");

            // the user's system sends as both domains (connected systems); only shop.example has keys
            assertThat(DkimSystemFallbackIT.systemCli(relay, "domain", "add", TestRelay.USER, "shop.example").code())
                    .isZero();
            assertThat(DkimSystemFallbackIT.systemCli(relay, "domain", "add", TestRelay.USER, "other.example").code())
                    .isZero();
            SmtpTestClient.Reply refused = submit(relay, "orders@other.example", "not signed");
            assertThat(refused.code()).isEqualTo(550);
            assertThat(refused.text()).contains("5.7.1").contains("no active DKIM key").contains("other.example");
            assertThat(relay.database().rows("SELECT count(*) FROM message")).as("nothing stored")
                    .containsExactly("0");

            String body = "Grüße, your order shipped.  \r\n" + "x".repeat(990) + "\r\n\r\n";
            SmtpTestClient.Reply accepted = submit(relay, "orders@shop.example", body);
            assertThat(accepted.code()).as(accepted.text()).isEqualTo(250);
            Await.awaitTrue(Duration.ofSeconds(30), () -> !mx.transactions().isEmpty());
            byte[] delivered = mx.transactions().get(0).data();
            String text = new String(delivered, StandardCharsets.UTF_8);
            assertThat(text).startsWith("DKIM-Signature: v=1; a=ed25519-sha256;").contains("\r\nMessage-ID: <")
                    .contains("\r\nDate: ");
            PythonDkim.Result verified = PythonDkim.verify(delivered, records);
            assertThat(verified.verified()).as(verified.output()).isTrue();
            assertThat(verified.output()).contains("ed25519-sha256 pass").contains("rsa-sha256 pass");

            // one changed body byte: both signatures fail
            byte[] tampered = delivered.clone();
            tampered[tampered.length - 5] ^= 1;
            assertThat(PythonDkim.verify(tampered, records).verified()).isFalse();

            // rotation: the RSA selector retired now signs no more (this node re-read its keys at once)
            Run retired = cli(relay, "retire", "shop.example", "s2026-rsa", "--at", Instant.now().toString());
            assertThat(retired.code()).as(retired.err()).isZero();
            assertThat(retired.out()).contains("keep its DNS record published until");
            assertThat(cli(relay, "list", "shop.example").out()).contains("s2026-ed25519").contains("s2026-rsa");
            assertThat(submit(relay, "orders@shop.example", "second").code()).isEqualTo(250);
            Await.awaitTrue(Duration.ofSeconds(30), () -> mx.transactions().size() == 2);
            String second = new String(mx.transactions().get(1).data(), StandardCharsets.UTF_8);
            assertThat(second).contains("s=s2026-ed25519;").doesNotContain("a=rsa-sha256");
            assertThat(PythonDkim.verify(mx.transactions().get(1).data(), records).verified()).isTrue();
        }
    }
}
