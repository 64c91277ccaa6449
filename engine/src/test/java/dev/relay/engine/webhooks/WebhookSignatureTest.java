package dev.relay.engine.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The Relay-Signature header checked by independent implementations: a hand computation with javax.crypto, and the
 * README's own Python verification code (run with python3, extracted from README.md so the documented snippet is
 * the tested one).
 */
class WebhookSignatureTest {
    private static final byte[] BODY = "[{\"id\":1,\"kind\":\"delivered\",\"reply\":\"250 ok \u00e9\"}]"
            .getBytes(StandardCharsets.UTF_8);

    @Test
    void headerIsTimestampAndHexHmacOfTimestampDotBody() throws Exception {
        String header = WebhookSignature.header("s3cret", 1_700_000_000L, BODY);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("s3cret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] expected = mac.doFinal(("1700000000." + new String(BODY, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8));
        assertThat(header).isEqualTo("t=1700000000,v1=" + HexFormat.of().formatHex(expected));
    }

    @Test
    void secretsAre64HexDigitsAndDiffer() {
        SecureRandom random = new SecureRandom();
        String a = WebhookSignature.newSecret(random);
        assertThat(a).matches("[0-9a-f]{64}").isNotEqualTo(WebhookSignature.newSecret(random));
    }

    @Test
    void theReadmePythonCheckAcceptsOurSignaturesAndRejectsForgeriesAndReplays() throws Exception {
        assumeTrue(python(), "python3 not installed");
        String snippet = readmeSnippet();
        long now = System.currentTimeMillis() / 1000;
        String valid = WebhookSignature.header("s3cret", now, BODY);
        String old = WebhookSignature.header("s3cret", now - 600, BODY);
        String driver = snippet + "\nimport sys\nbody = open(sys.argv[1], 'rb').read()\n"
                + "print(verify('s3cret', sys.argv[2], body), verify('s3cret', sys.argv[2], body + b' '),"
                + " verify('other', sys.argv[2], body), verify('s3cret', sys.argv[3], body),"
                + " verify('s3cret', 'garbage', body))\n";
        Path dir = Files.createTempDirectory("sig");
        Path script = Files.writeString(dir.resolve("check.py"), driver);
        Path body = Files.write(dir.resolve("body.json"), BODY);
        Process p = new ProcessBuilder("python3", script.toString(), body.toString(), valid, old)
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(out).isEqualTo("True False False False False");
    }

    /** The python block after the marker comment in README.md. */
    static String readmeSnippet() throws IOException {
        Path readme = Path.of("..", "README.md");
        if (!Files.exists(readme)) {
            readme = Path.of("README.md");
        }
        List<String> lines = Files.readAllLines(readme);
        int marker = lines.indexOf("<!-- tested by WebhookSignatureTest -->");
        assertThat(marker).as("README marker").isNotNegative();
        assertThat(lines.get(marker + 1)).isEqualTo("```python");
        StringBuilder code = new StringBuilder();
        for (int i = marker + 2; !lines.get(i).equals("```"); i++) {
            code.append(lines.get(i)).append('\n');
        }
        return code.toString();
    }

    private static boolean python() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
