package dev.relay.engine.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.Priority;
import dev.relay.storage.SystemRecords.Credential;
import dev.relay.storage.SystemRecords.SendingDomain;
import dev.relay.storage.SystemRecords.Snapshot;
import dev.relay.storage.SystemRecords.SystemInfo;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentitiesTest {
    private static final Instant T = Instant.EPOCH;

    private final Identities identities = new Identities(new Snapshot(
            List.of(new SystemInfo("shop", true, Priority.TRANSACTIONAL, null, false, T, T),
                    new SystemInfo("crm", true, Priority.BULK, null, false, T, T)),
            List.of(new Credential(1, "shop", "shop-1", "not a hash", T, null)),
            List.of(new SendingDomain("shop.example", "shop", true, "https://shop.example/why"),
                    new SendingDomain("news.shop.example", "crm", false, null),
                    new SendingDomain("crm.example", "crm", false, "mailto:help@crm.example"),
                    new SendingDomain("xn--mller-kva.example", "shop", false, null))));

    @Test
    void aSystemSendsAsItsDomainsAndTheirSubdomainsWhenTheDomainSaysSo() {
        assertThat(identities.maySendAs("shop", "shop.example")).isTrue();
        assertThat(identities.maySendAs("shop", "SHOP.Example.")).isTrue();
        assertThat(identities.maySendAs("shop", "mail.eu.shop.example")).isTrue();
        assertThat(identities.maySendAs("crm", "crm.example")).isTrue();
        assertThat(identities.maySendAs("crm", "mail.crm.example")).as("crm.example does not include subdomains")
                .isFalse();
        assertThat(identities.maySendAs("crm", "shop.example")).isFalse();
        assertThat(identities.maySendAs("shop", "crm.example")).isFalse();
        assertThat(identities.maySendAs("shop", "example")).isFalse();
        assertThat(identities.maySendAs("shop", "")).isFalse();
        assertThat(identities.maySendAs("shop", "[192.0.2.1]")).isFalse();
    }

    @Test
    void theMostSpecificEntryDecides() {
        assertThat(identities.maySendAs("crm", "news.shop.example")).isTrue();
        assertThat(identities.maySendAs("shop", "news.shop.example")).as("given to crm").isFalse();
        assertThat(identities.maySendAs("shop", "a.news.shop.example")).as("news.shop.example has no subdomains,"
                + " shop.example includes them").isTrue();
    }

    @Test
    void internationalDomainsMatchTheirALabels() {
        assertThat(identities.maySendAs("shop", "m\u00fcller.example")).isTrue();
    }

    @Test
    void listHelpComesFromTheGoverningDomain() {
        assertThat(identities.listHelp("shop.example")).isEqualTo("https://shop.example/why");
        assertThat(identities.listHelp("mail.shop.example")).isEqualTo("https://shop.example/why");
        assertThat(identities.listHelp("news.shop.example")).isNull();
        assertThat(identities.listHelp("crm.example")).isEqualTo("mailto:help@crm.example");
        assertThat(identities.listHelp("elsewhere.example")).isNull();
    }

    @Test
    void anUnusableHashLeavesOnlyThatCredentialOut() {
        assertThat(identities.login("shop-1")).isNull();
        assertThat(identities.hasLogins()).isFalse();
        assertThat(identities.lane("crm")).isEqualTo(Priority.BULK);
        assertThat(identities.lane("gone")).isEqualTo(Priority.TRANSACTIONAL);
    }
}
