package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import org.junit.jupiter.api.Test;

/** The options every pool's connections are made with. */
class DatabaseTest {
    @Test
    void connectionsCacheTheirPreparedStatementsInABoundedCache() {
        assertThat(Database.options("r2dbc:postgresql://u:p@127.0.0.1:5432/relay")
                .getValue(PostgresqlConnectionFactoryProvider.PREPARED_STATEMENT_CACHE_QUERIES))
                .isEqualTo(Database.PREPARED_STATEMENT_CACHE);
    }

    @Test
    void aUrlMaySetItsOwnStatementCache() {
        Object value = Database.options("r2dbc:postgresql://u:p@127.0.0.1:5432/relay?preparedStatementCacheQueries=0")
                .getValue(PostgresqlConnectionFactoryProvider.PREPARED_STATEMENT_CACHE_QUERIES);
        assertThat(String.valueOf(value)).isEqualTo("0");
    }
}
