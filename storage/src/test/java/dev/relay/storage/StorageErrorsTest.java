package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.R2dbcBadGrammarException;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcRollbackException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class StorageErrorsTest {
    @Test
    void aNulInTextIsPermanentThoughTheDriverCallsItBadGrammar() {
        // what r2dbc-postgresql raised for "550 5.1.1 no\0such user"
        Throwable nul = new R2dbcBadGrammarException("invalid byte sequence for encoding \"UTF8\": 0x00", "22021", 0);
        assertThat(StorageErrors.isTransient(nul)).isFalse();
        assertThat(StorageErrors.isTransient(new SpoolUnavailableException("record failed: x", nul))).isFalse();
        assertThat(StorageErrors.sqlStateOf(new SpoolUnavailableException("x", nul))).isEqualTo("22021");
    }

    @Test
    void constraintSyntaxAndBugsArePermanent() {
        assertThat(StorageErrors.isTransient(new R2dbcDataIntegrityViolationException("dup", "23505", 0))).isFalse();
        assertThat(StorageErrors.isTransient(new R2dbcBadGrammarException("syntax", "42601", 0))).isFalse();
        assertThat(StorageErrors.isTransient(new IllegalArgumentException("bind"))).isFalse();
        assertThat(StorageErrors.isTransient(new NullPointerException())).isFalse();
    }

    @Test
    void connectionTimeoutSerializationAndShutdownAreTransient() {
        assertThat(StorageErrors.isTransient(new R2dbcRollbackException("serialization", "40001", 0))).isTrue();
        assertThat(StorageErrors.isTransient(new R2dbcRollbackException("deadlock", "40P01", 0))).isTrue();
        assertThat(StorageErrors.isTransient(new R2dbcNonTransientResourceException("admin", "57P01", 0))).isTrue();
        assertThat(StorageErrors.isTransient(new R2dbcNonTransientResourceException("refused", "08001", 0))).isTrue();
        assertThat(StorageErrors.isTransient(new R2dbcNonTransientResourceException("closed"))).isTrue();
        assertThat(StorageErrors.isTransient(new R2dbcTransientResourceException("busy"))).isTrue();
        assertThat(StorageErrors.isTransient(new TimeoutException("30 s"))).isTrue();
        assertThat(StorageErrors.isTransient(new SpoolUnavailableException("x", new IOException("reset")))).isTrue();
        assertThat(StorageErrors.isTransient(new SpoolUnavailableException("record queue full"))).isTrue();
    }

    @Test
    void theServersVerdictWinsOverTheExceptionType() {
        // a driver's "transient" type carrying a data exception is still permanent
        assertThat(StorageErrors.isTransient(new R2dbcTransientResourceException("data", "22P02", 0))).isFalse();
    }

    @Test
    void uniqueViolationIsRecognisedThroughWrappers() {
        Throwable dup = new SpoolUnavailableException("spool write failed",
                new R2dbcDataIntegrityViolationException("duplicate key", "23505", 0));
        assertThat(StorageErrors.isUniqueViolation(dup)).isTrue();
        assertThat(StorageErrors.isUniqueViolation(new R2dbcBadGrammarException("x", "22021", 0))).isFalse();
    }
}
