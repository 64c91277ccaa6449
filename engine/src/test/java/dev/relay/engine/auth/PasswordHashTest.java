package dev.relay.engine.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PasswordHashTest {
    @Test
    void defaultParameters() {
        PasswordHash h = PasswordHash.create("s3cret".toCharArray());
        assertThat(h.iterations()).isEqualTo(310_000);
        assertThat(h.salt()).hasSize(16);
        assertThat(h.hash()).hasSize(32);
        assertThat(h.matches("s3cret".toCharArray())).isTrue();
        assertThat(h.matches("s3cret ".toCharArray())).isFalse();
    }

    @Test
    void encodeParseRoundTrip() {
        PasswordHash h = PasswordHash.create("pw".toCharArray(), 1000);
        String enc = h.encode();
        assertThat(enc).startsWith("pbkdf2-sha256:1000:").doesNotContain("pw:");
        PasswordHash p = PasswordHash.parse(enc);
        assertThat(p).isEqualTo(h);
        assertThat(p.matches("pw".toCharArray())).isTrue();
        assertThat(p.toString()).doesNotContain(enc.substring(20));
    }

    @Test
    void saltsDiffer() {
        assertThat(PasswordHash.create("pw".toCharArray(), 1000)).isNotEqualTo(PasswordHash.create("pw".toCharArray(), 1000));
    }

    @Test
    void rejectsMalformed() {
        for (String bad : new String[] {"plain", "pbkdf2-sha256:x:AAAAAAAAAAA=:AAAAAAAAAAAAAAAAAAAAAA==",
                "pbkdf2-sha256:10:AAAAAAAAAAA=:AAAAAAAAAAAAAAAAAAAAAA==", "pbkdf2-sha1:1000:AAAAAAAAAAA=:AAAAAAAAAAAAAAAAAAAAAA==",
                "pbkdf2-sha256:1000:***:AAAAAAAAAAAAAAAAAAAAAA==", "pbkdf2-sha256:1000:AAAAAAAAAAA=:AAAA"}) {
            assertThatThrownBy(() -> PasswordHash.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
