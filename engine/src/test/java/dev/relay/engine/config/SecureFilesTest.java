package dev.relay.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecureFilesTest {
    @TempDir
    Path dir;

    @Test
    void secretsReadableByGroupOrOthersAreRefusedWithTheFix() throws IOException {
        Path token = dir.resolve("admin.token");
        Files.writeString(token, "0123456789abcdef0123\n");
        for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----"}) {
            Files.setPosixFilePermissions(token, PosixFilePermissions.fromString(mode));
            assertThatThrownBy(() -> SecureFiles.requirePrivate(token, "http.admin_token_file"))
                    .as(mode)
                    .isInstanceOfSatisfying(ConfigException.class, e -> {
                        assertThat(e.key()).isEqualTo("http.admin_token_file");
                        assertThat(e.getMessage()).contains(token.toString()).contains(mode)
                                .contains("chmod 600 " + token);
                    });
        }
    }

    @Test
    void ownerOnlyFilesAndFilesWrittenBySecureFilesPass() throws IOException {
        Path users = dir.resolve("users.yaml");
        Files.writeString(users, "users: {}\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        assertThatCode(() -> SecureFiles.requirePrivate(users, "smtp.auth.users_file")).doesNotThrowAnyException();
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("r--------"));
        assertThatCode(() -> SecureFiles.requirePrivate(users, "smtp.auth.users_file")).doesNotThrowAnyException();
        Path written = dir.resolve("written.yaml");
        SecureFiles.writeAtomically(written, "users: {}\n".getBytes(StandardCharsets.UTF_8));
        assertThatCode(() -> SecureFiles.requirePrivate(written, "smtp.auth.users_file")).doesNotThrowAnyException();
    }
}
