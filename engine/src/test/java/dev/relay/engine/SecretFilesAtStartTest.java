package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.RelayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay refuses to start, before anything listens or any database starts, with a secret others can read. */
class SecretFilesAtStartTest {
    @TempDir
    Path dir;

    private RelayConfig config() throws IOException {
        Path users = dir.resolve("users.yaml");
        Files.writeString(users, "users: {}\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        Path token = dir.resolve("admin.token");
        Files.writeString(token, "0123456789abcdef0123\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, "data_dir: " + dir.resolve("data") + "\n"
                + "smtp:\n  listen: 127.0.0.1:0\n  auth: { users_file: users.yaml }\n"
                + "http:\n  listen: 127.0.0.1:0\n  admin_token_file: admin.token\n"
                + "database:\n  url: \"r2dbc:postgresql://nobody@127.0.0.1:1/none\"\n");
        return RelayConfig.load(config, Map.of());
    }

    @Test
    void groupReadableUsersFileStopsTheStart() throws IOException {
        RelayConfig config = config();
        Files.setPosixFilePermissions(dir.resolve("users.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> RelayServer.start(config)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("smtp.auth.users_file").hasMessageContaining("chmod 600");
    }

    @Test
    void othersReadableAdminTokenStopsTheStart() throws IOException {
        RelayConfig config = config();
        Files.setPosixFilePermissions(dir.resolve("admin.token"), PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> RelayServer.start(config)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.admin_token_file").hasMessageContaining("chmod 600");
    }
}
