package dev.relay.protocol.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RSA signatures checked by Apache James jDKIM (an independent verifier; it has no Ed25519). */
class DkimSignerTest {

    private static TestKeys rsa;

    @BeforeAll
    static void keys() throws Exception {
        rsa = TestKeys.generate(DkimAlgorithm.RSA_SHA256);
    }

    private static DKIMVerifier verifier(TestKeys keys) {
        return new DKIMVerifier((method, selector, domain) -> keys.records().stream()
                .filter(r -> r.name().equals(selector + "._domainkey." + domain))
                .map(DkimRecord::value).toList());
    }

    private static byte[] signed(ByteBuf message, TestKeys keys) throws Exception {
        byte[] bytes = new byte[message.readableBytes()];
        message.getBytes(message.readerIndex(), bytes);
        return TestMessages.concat(DkimSigner.sign(message, keys.keys(), Instant.now(), null), bytes);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Test
    void jdkimVerifiesEveryCase() throws Exception {
        for (Map.Entry<String, byte[]> c : TestMessages.small().entrySet()) {
            if (c.getKey().equals("empty body")) {
                // jDKIM 0.3 hashes an empty relaxed body as CRLF (RFC 4871's reading); RFC 6376 section 3.4.4 keeps
                // it empty, as Python's dkim does (DkimPythonVerifyIT covers this case).
                continue;
            }
            byte[] message = signed(Unpooled.wrappedBuffer(c.getValue()), rsa);
            List<SignatureRecord> valid;
            try {
                valid = verifier(rsa).verify(new ByteArrayInputStream(message));
            } catch (FailException e) {
                throw new AssertionError(c.getKey() + "\n" + text(message), e);
            }
            assertThat(valid).as(c.getKey() + "\n" + text(message)).hasSize(1);
        }
    }

    @Test
    void aMessageInManyBuffersSignsLikeOneBuffer() throws Exception {
        byte[] whole = TestMessages.small().get("folded headers");
        CompositeByteBuf parts = Unpooled.compositeBuffer();
        for (int at = 0; at < whole.length; at += 7) {
            byte[] part = java.util.Arrays.copyOfRange(whole, at, Math.min(whole.length, at + 7));
            parts.addComponent(true, Unpooled.directBuffer(part.length).writeBytes(part));
        }
        try {
            Instant now = Instant.parse("2026-12-05T00:00:00Z");
            assertThat(DkimSigner.sign(parts, rsa.keys(), now, null))
                    .isEqualTo(DkimSigner.sign(Unpooled.wrappedBuffer(whole), rsa.keys(), now, null));
        } finally {
            parts.release();
        }
    }

    @Test
    void aTwentyFiveMegabyteAttachmentVerifies() throws Exception {
        byte[] message = signed(Unpooled.wrappedBuffer(TestMessages.withAttachment(25)), rsa);
        assertThat(verifier(rsa).verify(new ByteArrayInputStream(message))).hasSize(1);
    }

    @Test
    void oneChangedBodyByteFailsVerification() throws Exception {
        byte[] message = signed(Unpooled.wrappedBuffer(TestMessages.small().get("plain")), rsa);
        message[message.length - 4] ^= 1;
        assertThatThrownBy(() -> verifier(rsa).verify(new ByteArrayInputStream(message)))
                .isInstanceOf(FailException.class);
    }

    @Test
    void theFieldIsFoldedUnder78ColumnsAndOverSignsFrom() throws Exception {
        TestKeys both = TestKeys.generate(DkimAlgorithm.ED25519_SHA256, DkimAlgorithm.RSA_SHA256);
        String fields = text(DkimSigner.sign(Unpooled.wrappedBuffer(TestMessages.small().get("plain")), both.keys(),
                Instant.ofEpochSecond(1_796_000_000L), Duration.ofDays(7)));
        for (String line : fields.split("\r\n")) {
            assertThat(line.length()).as(line).isLessThan(78);
        }
        assertThat(fields.replace("\r\n ", " ").split("\r\n")).hasSize(2);
        String unfolded = fields.replace("\r\n ", "");
        assertThat(unfolded).contains("a=ed25519-sha256;", "a=rsa-sha256;", "c=relaxed/relaxed;",
                "d=shop.example;", "t=1796000000;", "x=1796604800;",
                "h=from:from:to:subject:date:message-id:mime-version:content-type;");
    }

    @Test
    void relaxedHeaderCanonicalisation() {
        byte[] raw = TestMessages.ascii("SubJect \t:  A  b\r\n\tc \r\n");
        assertThat(text(HeaderSection.relaxed(raw))).isEqualTo("subject:A b c\r\n");
    }

    @Test
    void headerSectionFindsFieldsAndTheBody() {
        HeaderSection header = HeaderSection.parse(Unpooled.wrappedBuffer(TestMessages.small().get("folded headers")));
        assertThat(header.has("CC")).isTrue();
        assertThat(header.has("message-id")).isFalse();
        assertThat(header.firstValue("to")).isEqualTo("Ann <ann@example.org>,\tBob <bob@example.org>");
        assertThat(HeaderSection.parse(Unpooled.wrappedBuffer(TestMessages.ascii("A: b\r\n"))).bodyOffset())
                .isEqualTo(6);
    }
}
