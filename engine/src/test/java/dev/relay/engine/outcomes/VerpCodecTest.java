package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import dev.relay.protocol.Mailbox;
import dev.relay.protocol.PathParser;
import dev.relay.protocol.PathResult;
import dev.relay.storage.MessageId;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class VerpCodecTest {
    private static final Instant NOW = Instant.parse("2026-12-04T22:00:00Z");
    private static final VerpKey K1 = new VerpKey(1, "0123456789abcdef-first".getBytes(StandardCharsets.UTF_8));
    private static final VerpKey K2 = new VerpKey(2, "fedcba9876543210-second".getBytes(StandardCharsets.UTF_8));
    private static final MessageId ID = new MessageId(UUID.fromString("01890a5d-ac96-774b-bcce-b302099a8057"));

    private static VerpCodec codec(List<VerpKey> keys, int active, Instant now) {
        return new VerpCodec(new VerpSettings(keys, active, "b+", "bounces.example", Duration.ofDays(30)),
                Clock.fixed(now, ZoneOffset.UTC));
    }

    private static final VerpCodec CODEC = codec(List.of(K1), 1, NOW);

    @Test
    void roundTripsEveryField() {
        String token = CODEC.encode(ID, 7);
        assertThat(token).hasSize(VerpCodec.TOKEN_LENGTH).matches("[a-z2-7]+");
        assertThat(CODEC.decode(token)).isEqualTo(new VerpResult.Valid(ID, 7, NOW, 1));
        assertThat(CODEC.decode(token.toUpperCase(Locale.ROOT))).isEqualTo(new VerpResult.Valid(ID, 7, NOW, 1));
        Random random = new Random(16);
        for (int i = 0; i < 1000; i++) {
            MessageId id = new MessageId(new UUID(random.nextLong(), random.nextLong()));
            int index = random.nextInt(VerpCodec.MAX_RECIPIENT_INDEX + 1);
            Instant at = NOW.minusSeconds(random.nextInt(86_400 * 29));
            assertThat(CODEC.decode(CODEC.encode(id, index, at))).isEqualTo(new VerpResult.Valid(id, index, at, 1));
        }
    }

    @Test
    void anyChangedCharacterIsNeverValidAndAChangeInTheBodyIsForged() {
        String token = CODEC.encode(ID, 3);
        for (int i = 0; i < token.length(); i++) {
            for (char c : "abcdefghijklmnopqrstuvwxyz234567".toCharArray()) {
                if (c == token.charAt(i)) {
                    continue;
                }
                String altered = token.substring(0, i) + c + token.substring(i + 1);
                VerpResult result = CODEC.decode(altered);
                assertThat(result).as("%s at %d", c, i)
                        .isInstanceOfAny(VerpResult.Forged.class, VerpResult.Malformed.class);
                if (i >= 2 && i < token.length() - 1) { // not the version/key id bits, not the padding bit
                    assertThat(result).as("%s at %d", c, i).isInstanceOf(VerpResult.Forged.class);
                }
            }
        }
    }

    @Test
    void truncatedOrForeignTextIsMalformedNeverAnException() {
        String token = CODEC.encode(ID, 3);
        assertThat(CODEC.decode(token.substring(0, 52))).isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode(token + "a")).isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode("")).isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode("0".repeat(53))).isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode(token.substring(0, 52) + "\u0000")).isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode("a".repeat(1_000_000))).isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode("a".repeat(53))).isInstanceOf(VerpResult.Malformed.class); // version 0
        Random random = new Random(5965);
        for (int i = 0; i < 10_000; i++) {
            char[] chars = new char[53];
            for (int j = 0; j < chars.length; j++) {
                chars[j] = (char) random.nextInt(128);
            }
            assertThat(CODEC.decode(new String(chars))).isNotInstanceOf(VerpResult.Valid.class);
        }
    }

    @Test
    void oldTokensAreExpiredWithTheirAge() {
        String token = CODEC.encode(ID, 0, NOW.minus(Duration.ofDays(31)));
        assertThat(CODEC.decode(token)).isEqualTo(new VerpResult.Expired(Duration.ofDays(31)));
        String edge = CODEC.encode(ID, 0, NOW.minus(Duration.ofDays(30)));
        assertThat(CODEC.decode(edge)).isInstanceOf(VerpResult.Valid.class);
    }

    @Test
    void keysRotate() {
        VerpCodec old = codec(List.of(K1), 1, NOW);
        VerpCodec rotating = codec(List.of(K1, K2), 2, NOW);
        VerpCodec retired = codec(List.of(K2), 2, NOW);
        String issuedUnderK1 = old.encode(ID, 4);
        String issuedUnderK2 = rotating.encode(ID, 4);
        assertThat(issuedUnderK2).isNotEqualTo(issuedUnderK1);
        assertThat(rotating.decode(issuedUnderK1)).isEqualTo(new VerpResult.Valid(ID, 4, NOW, 1));
        assertThat(rotating.decode(issuedUnderK2)).isEqualTo(new VerpResult.Valid(ID, 4, NOW, 2));
        assertThat(retired.decode(issuedUnderK1)).isInstanceOf(VerpResult.Forged.class);
        assertThat(old.decode(issuedUnderK2)).isInstanceOf(VerpResult.Forged.class);
        // same id, another secret: forged
        VerpCodec impostor = codec(List.of(new VerpKey(1, "another secret of 16+ bytes".getBytes(StandardCharsets.UTF_8))), 1, NOW);
        assertThat(impostor.decode(issuedUnderK1)).isEqualTo(new VerpResult.Forged("MAC does not verify"));
    }

    @Test
    void theAddressIsAValidRfc5321PathAndParsesBack() {
        Mailbox address = CODEC.address(ID, 99);
        assertThat(address.toString()).matches("b\\+[a-z2-7]{53}@bounces\\.example");
        for (String command : List.of("FROM:<" + address + ">", "TO:<" + address + ">")) {
            PathResult parsed = command.startsWith("FROM")
                    ? PathParser.mailFrom(command, false) : PathParser.rcptTo(command, false);
            assertThat(parsed).isInstanceOf(PathResult.Ok.class);
            assertThat(((PathResult.Ok) parsed).mailbox()).isEqualTo(address);
        }
        assertThat(CODEC.decode(address)).isEqualTo(new VerpResult.Valid(ID, 99, NOW, 1));
        Mailbox shouted = new Mailbox(address.localPart().toUpperCase(Locale.ROOT), "BOUNCES.Example");
        assertThat(CODEC.decode(shouted)).isEqualTo(new VerpResult.Valid(ID, 99, NOW, 1));
        assertThat(CODEC.decode(new Mailbox(address.localPart(), "elsewhere.example")))
                .isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode(new Mailbox("x" + address.localPart(), "bounces.example")))
                .isInstanceOf(VerpResult.Malformed.class);
        assertThat(CODEC.decode(new Mailbox("b+", "bounces.example"))).isInstanceOf(VerpResult.Malformed.class);
    }

    @Test
    void settingsAreValidatedNamingTheKey() {
        assertThatThrownBy(() -> new VerpKey(32, new byte[16])).isInstanceOf(ConfigException.class)
                .hasMessageContaining("bounces.verp.keys.id");
        assertThatThrownBy(() -> new VerpKey(0, new byte[15])).hasMessageContaining("bounces.verp.keys.secret")
                .hasMessageContaining("at least 16 bytes");
        Duration d = Duration.ofDays(1);
        assertThatThrownBy(() -> new VerpSettings(List.of(), 0, "b+", "b.example", d))
                .hasMessageContaining("bounces.verp.keys");
        assertThatThrownBy(() -> new VerpSettings(List.of(K1, K1), 1, "b+", "b.example", d))
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> new VerpSettings(List.of(K1), 2, "b+", "b.example", d))
                .hasMessageContaining("bounces.verp.active_key = 2");
        assertThatThrownBy(() -> new VerpSettings(List.of(K1), 1, "b@", "b.example", d))
                .hasMessageContaining("bounces.verp.prefix = b@");
        assertThatThrownBy(() -> new VerpSettings(List.of(K1), 1, "", "b.example", d))
                .hasMessageContaining("bounces.verp.prefix");
        assertThatThrownBy(() -> new VerpSettings(List.of(K1), 1, "x".repeat(12), "b.example", d))
                .hasMessageContaining("1 to 11 characters");
        assertThatThrownBy(() -> new VerpSettings(List.of(K1), 1, "b+", "not a domain", d))
                .hasMessageContaining("bounces.verp.domain = not a domain");
        assertThatThrownBy(() -> new VerpSettings(List.of(K1), 1, "b+", "b.example", Duration.ZERO))
                .hasMessageContaining("bounces.verp.max_age");
        assertThat(K1.toString()).doesNotContain("0123").contains("bytes");
        // the longest prefix still yields a valid local part
        VerpCodec longest = new VerpCodec(new VerpSettings(List.of(K1), 1, "x".repeat(11), "b.example", d),
                Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(PathParser.rcptTo("TO:<" + longest.address(ID, 0) + ">", false)).isInstanceOf(PathResult.Ok.class);
    }
}
