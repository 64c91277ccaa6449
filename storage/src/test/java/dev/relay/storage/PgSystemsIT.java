package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.storage.SystemRecords.Change;
import dev.relay.storage.SystemRecords.Conflict;
import dev.relay.storage.SystemRecords.Credential;
import dev.relay.storage.SystemRecords.Detail;
import dev.relay.storage.SystemRecords.Done;
import dev.relay.storage.SystemRecords.ImportedUser;
import dev.relay.storage.SystemRecords.Imported;
import dev.relay.storage.SystemRecords.NotFound;
import dev.relay.storage.SystemRecords.SendingDomain;
import dev.relay.storage.SystemRecords.Snapshot;
import dev.relay.storage.SystemRecords.SystemInfo;
import dev.relay.storage.testing.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract of {@link PgSystems} on a real PostgreSQL. */
class PgSystemsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static TestDatabase db;
    private static ConnectionPool pool;
    private PgSystems systems;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("systems");
        db.migrate().block(WAIT);
        pool = db.pool(4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        TestSql.execute(pool, "DELETE FROM sending_domain; DELETE FROM credential; DELETE FROM system");
        systems = new PgSystems(pool);
    }

    private Change run(reactor.core.publisher.Mono<Change> change) {
        return change.block(WAIT);
    }

    @Test
    void systemsAreAddedOnceAndEnabledOrDisabled() {
        assertThat(run(systems.addSystem("shop", Priority.TRANSACTIONAL, "the web shop"))).isInstanceOf(Done.class);
        assertThat(run(systems.addSystem("shop", Priority.BULK, null))).isInstanceOf(Conflict.class);
        assertThat(run(systems.setActive("shop", false))).isEqualTo(new Done("system shop disabled"));
        assertThat(run(systems.setActive("nobody", false))).isInstanceOf(NotFound.class);
        Detail shop = systems.show("shop").block(WAIT);
        assertThat(shop.system().active()).isFalse();
        assertThat(shop.system().defaultLane()).isEqualTo(Priority.TRANSACTIONAL);
        assertThat(shop.system().notes()).isEqualTo("the web shop");
        assertThat(shop.system().dkimSignAsSystemDomain()).isFalse();
        assertThat(systems.show("nobody").blockOptional(WAIT)).isEmpty();
        assertThatThrownBy(() -> systems.addSystem("Bad Name", Priority.BULK, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("system name");
    }

    @Test
    void credentialsAreRevokedAloneAndUsernamesNeverReused() {
        run(systems.addSystem("shop", Priority.TRANSACTIONAL, null));
        assertThat(run(systems.addCredential("shop", "shop-1", "h1"))).isInstanceOf(Done.class);
        assertThat(run(systems.addCredential("shop", "shop-2", "h2"))).isInstanceOf(Done.class);
        assertThat(run(systems.addCredential("nobody", "x-1", "h"))).isInstanceOf(NotFound.class);
        assertThat(run(systems.revokeCredential("shop", "shop-1"))).isInstanceOf(Done.class);
        assertThat(run(systems.revokeCredential("shop", "shop-1"))).isInstanceOf(NotFound.class);
        assertThat(run(systems.addCredential("shop", "shop-1", "h3"))).isInstanceOf(Conflict.class);

        Snapshot snapshot = systems.snapshot().block(WAIT);
        assertThat(snapshot.credentials()).extracting(Credential::username).containsExactly("shop-2");
        assertThat(systems.show("shop").block(WAIT).credentials()).extracting(c -> c.username() + ":"
                + (c.revokedAt() != null)).containsExactly("shop-1:true", "shop-2:false");
        assertThat(systems.list().collectList().block(WAIT)).singleElement()
                .satisfies(l -> assertThat(l.activeCredentials()).isEqualTo(1));
    }

    @Test
    void aDomainBelongsToOneSystem() {
        run(systems.addSystem("shop", Priority.TRANSACTIONAL, null));
        run(systems.addSystem("crm", Priority.BULK, null));
        assertThat(run(systems.addDomain("shop", "Shop.Example", false, "https://shop.example/why")))
                .isEqualTo(new Done("domain shop.example added to shop"));
        assertThat(run(systems.addDomain("shop", "shop.example", true, null)))
                .isEqualTo(new Done("domain shop.example updated for shop"));
        assertThat(run(systems.addDomain("crm", "shop.example", false, null)))
                .isEqualTo(new Conflict("domain shop.example belongs to system shop"));
        assertThat(run(systems.addDomain("nobody", "x.example", false, null))).isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> systems.addDomain("shop", "a.example", false, "http://insecure.example"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("list_help");
        assertThatThrownBy(() -> systems.addDomain("shop", "not a domain", false, null))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(systems.snapshot().block(WAIT).domains()).singleElement().satisfies(d -> {
            assertThat(d.system()).isEqualTo("shop");
            assertThat(d.includeSubdomains()).isTrue();
            assertThat(d.listHelp()).isNull();
        });
        assertThat(run(systems.removeDomain("crm", "shop.example"))).isInstanceOf(NotFound.class);
        assertThat(run(systems.removeDomain("shop", "shop.example"))).isInstanceOf(Done.class);
        assertThat(systems.snapshot().block(WAIT).domains()).isEmpty();
    }

    @Test
    void updateChangesOnlyTheSettingsGivenAndTheSnapshotListsDomainsInTheOrderAdded() {
        run(systems.addSystem("shop", Priority.TRANSACTIONAL, "first notes"));
        assertThat(run(systems.update("shop", null, null, true))).isEqualTo(new Done("system shop changed"));
        SystemInfo s = systems.show("shop").block(WAIT).system();
        assertThat(s.dkimSignAsSystemDomain()).isTrue();
        assertThat(s.defaultLane()).isEqualTo(Priority.TRANSACTIONAL);
        assertThat(s.notes()).isEqualTo("first notes");
        run(systems.update("shop", Priority.BULK, "second", false));
        s = systems.show("shop").block(WAIT).system();
        assertThat(s.dkimSignAsSystemDomain()).isFalse();
        assertThat(s.defaultLane()).isEqualTo(Priority.BULK);
        assertThat(s.notes()).isEqualTo("second");
        assertThat(run(systems.update("nobody", null, null, true))).isEqualTo(new NotFound("no system nobody"));

        run(systems.addDomain("shop", "z.example", false, null));
        run(systems.addDomain("shop", "a.example", false, null));
        assertThat(systems.snapshot().block(WAIT).domains()).extracting(SendingDomain::domain)
                .containsExactly("z.example", "a.example");
    }

    @Test
    void importIsIdempotentAndTheDatabaseWins() {
        ImportedUser shop = new ImportedUser("shop", Priority.BULK, "shop", "h1", List.of("shop.example"));
        assertThat(systems.importUser(shop).block(WAIT))
                .isEqualTo(new Imported("shop", true, "shop", "added", 1, List.of()));
        assertThat(systems.importUser(shop).block(WAIT))
                .isEqualTo(new Imported("shop", false, "shop", "unchanged", 0, List.of()));
        assertThat(systems.importUser(new ImportedUser("shop", Priority.BULK, "shop", "h2", List.of()))
                .block(WAIT).credential()).isEqualTo("updated");
        assertThat(systems.snapshot().block(WAIT).systems()).singleElement()
                .satisfies(s -> assertThat(s.defaultLane()).isEqualTo(Priority.BULK));

        run(systems.revokeCredential("shop", "shop"));
        run(systems.setActive("shop", false));
        assertThat(systems.importUser(shop).block(WAIT).credential()).isEqualTo("kept");
        Snapshot after = systems.snapshot().block(WAIT);
        assertThat(after.credentials()).isEmpty();
        assertThat(after.systems().get(0).active()).isFalse();

        run(systems.addSystem("crm", Priority.TRANSACTIONAL, null));
        assertThat(systems.importUser(new ImportedUser("crm", Priority.TRANSACTIONAL, "crm", "h", List.of(
                "shop.example", "crm.example"))).block(WAIT))
                .isEqualTo(new Imported("crm", false, "crm", "added", 1, List.of("shop.example")));
    }
}
