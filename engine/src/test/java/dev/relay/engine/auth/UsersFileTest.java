package dev.relay.engine.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsersFileTest {
    @TempDir
    Path dir;

    @Test
    void writeThenRead() throws IOException {
        Path f = dir.resolve("users.yaml");
        AuthUser shop = new AuthUser("shop", PasswordHash.create("a".toCharArray(), 1000), "transactional");
        AuthUser news = new AuthUser("news", PasswordHash.create("b".toCharArray(), 1000), "bulk");
        UsersFile.write(f, List.of(shop, news));
        Map<String, AuthUser> users = UsersFile.read(f);
        assertThat(users).containsOnlyKeys("news", "shop");
        assertThat(users.get("shop")).isEqualTo(shop);
        assertThat(users.get("news").priority()).isEqualTo("bulk");
        assertThat(Files.readString(f)).doesNotContain("\"a\"").contains("pbkdf2-sha256:1000:");
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        }
        UsersFile.write(f, List.of());
        assertThat(UsersFile.read(f)).isEmpty();
        try (var s = Files.list(dir)) {
            assertThat(s).containsExactly(f); // no temporary files left behind
        }
    }

    @Test
    void priorityIsOptional() throws IOException {
        Path f = dir.resolve("u.yaml");
        Files.writeString(f, "users:\n  shop:\n    password: \"" + PasswordHash.create("x".toCharArray(), 1000).encode() + "\"\n");
        assertThat(UsersFile.read(f).get("shop").priority()).isEqualTo("transactional");
    }

    @Test
    void errorsNameUserAndField() throws IOException {
        Path f = dir.resolve("u.yaml");
        Files.writeString(f, "users:\n  shop:\n    password: hunter2\n");
        ConfigException e = catchConfig(f);
        assertThat(e.key()).isEqualTo("users.shop.password");
        assertThat(e.getMessage()).doesNotContain("hunter2").contains(f.toString());
        Files.writeString(f, "users:\n  shop:\n    priority: bulk\n");
        assertThat(catchConfig(f).key()).isEqualTo("users.shop.password");
        Files.writeString(f, "users:\n  shop:\n    password: \"" + PasswordHash.create("x".toCharArray(), 1000).encode()
                + "\"\n    priority: urgent\n");
        assertThat(catchConfig(f).key()).isEqualTo("users.shop.priority");
        Files.writeString(f, "users:\n  shop:\n    pasword: x\n");
        assertThat(catchConfig(f).key()).isEqualTo("users.shop.pasword");
        Files.writeString(f, "users:\n  \"bad name\":\n    password: x\n");
        assertThat(catchConfig(f).key()).isEqualTo("users.bad name");
        Files.writeString(f, "users: [\n");
        assertThat(catchConfig(f).getMessage()).contains("invalid YAML");
        assertThat(catchConfig(dir.resolve("missing.yaml")).getMessage()).contains("no such file");
    }

    private static ConfigException catchConfig(Path f) {
        try {
            UsersFile.read(f);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("no ConfigException");
    }

    @Test
    void authUserValidates() {
        PasswordHash h = PasswordHash.create("x".toCharArray(), 1000);
        assertThatThrownBy(() -> new AuthUser("", h, "bulk")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AuthUser("a b", h, "bulk")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AuthUser("a", h, "urgent")).isInstanceOf(IllegalArgumentException.class);
    }
}
