package dev.relay.engine.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeySealerTest {

    @TempDir
    Path dir;

    private Path keyFile(String content, String mode) throws Exception {
        Path file = dir.resolve("dkim.key");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void sealsAndOpensForTheSameRowOnly() throws Exception {
        KeySealer sealer = KeySealer.read(keyFile(Base64.getEncoder().encodeToString(new byte[32]) + "\n",
                "rw-------"), "dkim.key_file");
        byte[] plain = "private key bytes".getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = sealer.seal(plain, "shop.example", "s1");
        assertThat(sealed).hasSize(12 + plain.length + 16);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("private key");
        assertThat(sealer.open(sealed, "shop.example", "s1")).isEqualTo(plain);
        assertThat(sealer.seal(plain, "shop.example", "s1")).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThatThrownBy(() -> sealer.open(sealed, "other.example", "s1"))
                .isInstanceOf(GeneralSecurityException.class);
        KeySealer other = new KeySealer(filled((byte) 1));
        assertThatThrownBy(() -> other.open(sealed, "shop.example", "s1")).isInstanceOf(GeneralSecurityException.class);
    }

    private static byte[] filled(byte b) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, b);
        return key;
    }

    @Test
    void aBadKeyFileIsAConfigErrorNamingKeyFileAndReason() throws Exception {
        ConfigException shortKey = catchConfig(keyFile(Base64.getEncoder().encodeToString(new byte[16]), "rw-------"));
        assertThat(shortKey.key()).isEqualTo("dkim.key_file");
        assertThat(shortKey.getMessage()).contains("dkim.key").contains("holds 16 bytes");
        ConfigException notBase64 = catchConfig(keyFile("not base64 !!", "rw-------"));
        assertThat(notBase64.getMessage()).contains("not base64");
        ConfigException open = catchConfig(keyFile(Base64.getEncoder().encodeToString(new byte[32]), "rw-r--r--"));
        assertThat(open.getMessage()).contains("chmod 600");
        ConfigException missing = catchConfig(dir.resolve("absent.key"));
        assertThat(missing.getMessage()).contains("no such file").contains("openssl rand -base64 32");
    }

    private static ConfigException catchConfig(Path file) {
        try {
            KeySealer.read(file, "dkim.key_file");
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("no ConfigException for " + file);
    }
}
