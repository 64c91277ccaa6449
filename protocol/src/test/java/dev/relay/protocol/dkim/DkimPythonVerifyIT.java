package dev.relay.protocol.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our signatures checked by an independent verifier: Python's dkim package, RSA and Ed25519. */
class DkimPythonVerifyIT {

    private static TestKeys keys;

    @BeforeAll
    static void keys() throws Exception {
        PythonDkim.assumeAvailable();
        keys = TestKeys.generate(DkimAlgorithm.ED25519_SHA256, DkimAlgorithm.RSA_SHA256);
    }

    private static byte[] signed(byte[] message) throws Exception {
        byte[] fields = DkimSigner.sign(Unpooled.wrappedBuffer(message), keys.keys(), Instant.now(),
                Duration.ofDays(7));
        return TestMessages.concat(fields, message);
    }

    @Test
    void everyCaseVerifiesWithRsaAndEd25519() throws Exception {
        for (Map.Entry<String, byte[]> c : TestMessages.small().entrySet()) {
            PythonDkim.Result result = PythonDkim.verify(signed(c.getValue()), keys.records());
            assertThat(result.verified()).as(c.getKey() + ": " + result.output()).isTrue();
            assertThat(result.output()).contains("rsa-sha256 pass").contains("ed25519-sha256 pass");
        }
    }

    @Test
    void aTwentyFiveMegabyteAttachmentVerifies() throws Exception {
        PythonDkim.Result result = PythonDkim.verify(signed(TestMessages.withAttachment(25)), keys.records());
        assertThat(result.verified()).as(result.output()).isTrue();
    }

    @Test
    void oneChangedBodyByteFailsVerification() throws Exception {
        byte[] message = signed(TestMessages.small().get("plain"));
        int at = message.length - 5;
        message[at] = (byte) (message[at] ^ 1);
        PythonDkim.Result result = PythonDkim.verify(message, keys.records());
        assertThat(result.verified()).as(result.output()).isFalse();
        assertThat(result.output()).contains("rsa-sha256 fail").contains("ed25519-sha256 fail");
    }

    @Test
    void aChangedSignedHeaderFailsVerification() throws Exception {
        byte[] message = signed(TestMessages.small().get("plain"));
        String text = new String(message, java.nio.charset.StandardCharsets.ISO_8859_1)
                .replace("Subject: Your order", "Subject: Your Order");
        PythonDkim.Result result = PythonDkim.verify(TestMessages.ascii(text), keys.records());
        assertThat(result.verified()).as(result.output()).isFalse();
    }
}
