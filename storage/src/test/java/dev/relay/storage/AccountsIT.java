package dev.relay.storage;

import dev.relay.storage.testing.ScratchDirectories;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** Root-only checks of the path traversal rules for the unprivileged PostgreSQL account. */
class AccountsIT {
    private static final String NOBODY = "65534:65534";

    @Test
    void refusesAParentItDoesNotOwnAndNamesTheFix() throws Exception {
        assumeTrue(EmbeddedPostgres.isRoot(), "needs root");
        Path closed = Files.createTempDirectory(ScratchDirectories.directory("accounts-it"), "closed-");
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Path data = Files.createDirectories(closed.resolve("data"));
        assertThatThrownBy(() -> Accounts.checkTraversable(data, data.resolve("postgres"), NOBODY))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(closed.toString())
                .hasMessageContaining("chmod o+x");
        assertThat(Files.getPosixFilePermissions(closed)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void opensItsOwnDataDirectory() throws Exception {
        assumeTrue(EmbeddedPostgres.isRoot(), "needs root");
        Path data = Files.createTempDirectory(ScratchDirectories.directory("accounts-it"), "data-");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(data.resolve("postgres"));
        Accounts.checkTraversable(data, data.resolve("postgres"), NOBODY);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx-----x");
    }
}
