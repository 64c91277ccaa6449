package dev.relay.engine.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.TlsMode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped file, how a user file layers over it, and what an invalid file says. */
class ShapingTableTest {
    private static final List<Duration> GLOBAL_RETRY = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5));
    private final ShapingTable shipped = ShapingTable.shipped(GLOBAL_RETRY);

    private static ShapingTable withUser(String yaml) {
        return ShapingTable.of(ShapingFile.shipped(), ShapingFile.parse("my.yaml", yaml), "my.yaml", GLOBAL_RETRY);
    }

    private static ConfigException error(String yaml) {
        try {
            withUser(yaml);
        } catch (ConfigException e) {
            assertThat(e.getMessage()).startsWith("my.yaml: ");
            return e;
        }
        throw new AssertionError("no ConfigException for " + yaml);
    }

    @Test
    void shippedDefaultsFollowPublishedPractice() {
        SiteShaping other = shipped.resolve("example.net", "example.net");
        assertThat(other.limits().connectionLimit()).isEqualTo(10);
        assertThat(other.limits().maxDeliveriesPerConnection()).isEqualTo(100);
        assertThat(other.limits().maxRecipientsPerMessage()).isEqualTo(100);
        assertThat(other.limits().tls()).isEqualTo(TlsMode.OPPORTUNISTIC);
        assertThat(other.limits().greetingTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(other.maxMessageRate()).isNull();
        assertThat(other.retrySchedule()).isEqualTo(GLOBAL_RETRY);
        assertThat(other.tarpit()).isEqualTo(new SiteShaping.Tarpit(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        assertThat(other.rules()).extracting(ShapingRule::name).containsExactly("site-unavailable");

        SiteShaping gmail = shipped.resolve("google.com", "gmail.com");
        assertThat(gmail.limits().connectionLimit()).isEqualTo(5);
        assertThat(gmail.limits().maxDeliveriesPerConnection()).isEqualTo(50);
        assertThat(gmail.limits().tls()).isEqualTo(TlsMode.REQUIRED);
        assertThat(gmail.rules()).extracting(ShapingRule::name)
                .containsExactly("site-unavailable", "gmail-unusual-rate", "gmail-unusual-rate-connections");

        assertThat(shipped.resolve("protection.outlook.com", "hotmail.com").limits().connectionLimit()).isEqualTo(5);
        assertThat(shipped.resolve("yahoodns.net", "aol.com").limits().maxDeliveriesPerConnection()).isEqualTo(20);
        assertThat(shipped.resolve("yahoodns.net", "aol.com").limits().connectionLimit()).isEqualTo(10);
        assertThat(shipped.resolve("icloud.com", "me.com").limits().maxDeliveriesPerConnection()).isEqualTo(5);
        assertThat(shipped.resolve("comcast.net", "comcast.net").limits().maxDeliveriesPerConnection())
                .isEqualTo(1000);
        assertThat(shipped.mxSuffixes()).contains("google.com", "outlook.com", "protection.outlook.com",
                "yahoodns.net", "icloud.com", "comcast.net");
    }

    @Test
    void entriesMatchByDomainOrByMxSuffixOnALabelBoundary() {
        // a Google Workspace domain: its MX site is google.com, so gmail's limits hold for it too
        assertThat(shipped.resolve("google.com", "shop.example").limits().connectionLimit()).isEqualTo(5);
        assertThat(shipped.resolve("aspmx.l.google.com", "shop.example").limits().connectionLimit()).isEqualTo(5);
        assertThat(shipped.resolve("notgoogle.com", "shop.example").limits().connectionLimit()).isEqualTo(10);
        // a gmail.com recipient routed through a smarthost keeps gmail's TLS policy and limits
        assertThat(shipped.resolve("smarthost.example:25", "gmail.com").limits().tls()).isEqualTo(TlsMode.REQUIRED);
        assertThat(shipped.resolve("GOOGLE.COM", "Example.COM").limits().connectionLimit()).isEqualTo(5);
    }

    @Test
    void userEntriesLayerFieldByFieldAfterTheShippedOnes() {
        ShapingTable t = withUser("""
                default:
                  connection_limit: 20
                  retry: [30s, 10m]
                gmail:
                  max_deliveries_per_connection: 25
                smarthost:
                  mx: ["127.0.0.1:2525"]
                  connection_limit: 2
                  max_message_rate: 100/m
                  rules:
                    - {name: slow-down, match: '^451 4\\.7\\.1 ', action: {max_message_rate: 10/m}, duration: 5m}
                partner:
                  domains: [partner.example]
                  connection_limit: 3
                  max_message_rate: unlimited
                """);
        SiteShaping other = t.resolve("example.net", "example.net");
        assertThat(other.limits().connectionLimit()).isEqualTo(20);
        assertThat(other.retrySchedule()).containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(10));

        SiteShaping gmail = t.resolve("google.com", "gmail.com");
        assertThat(gmail.limits().connectionLimit()).isEqualTo(5); // shipped gmail over the user's default
        assertThat(gmail.limits().maxDeliveriesPerConnection()).isEqualTo(25);
        assertThat(gmail.limits().tls()).isEqualTo(TlsMode.REQUIRED);
        assertThat(gmail.rules()).hasSize(3); // the shipped rules stay when the user gives none

        SiteShaping route = t.resolve("127.0.0.1:2525", "any.example");
        assertThat(route.limits().connectionLimit()).isEqualTo(2);
        assertThat(route.maxMessageRate()).isEqualTo(new Rate(100, Duration.ofMinutes(1)));
        assertThat(route.rules()).extracting(ShapingRule::name).containsExactly("site-unavailable", "slow-down");

        // both match: partner (later in the file) wins where it sets a field, and lifts the rate
        SiteShaping both = t.resolve("127.0.0.1:2525", "partner.example");
        assertThat(both.limits().connectionLimit()).isEqualTo(3);
        assertThat(both.maxMessageRate()).isNull();
        assertThat(both.rules()).extracting(ShapingRule::name).containsExactly("site-unavailable", "slow-down");
        assertThat(t.mxSuffixes()).contains("127.0.0.1:2525", "google.com");
    }

    @Test
    void aUserEntryCanReplaceTheRulesAndMatchOfAShippedOne() {
        ShapingTable t = withUser("""
                yahoo:
                  domains: [yahoo.com]
                  rules: []
                """);
        assertThat(t.resolve("yahoodns.net", "aol.com").limits().maxDeliveriesPerConnection()).isEqualTo(20);
        assertThat(t.resolve("mx.aol.example", "aol.com").limits().maxDeliveriesPerConnection()).isEqualTo(100);
        assertThat(t.resolve("yahoodns.net", "yahoo.com").rules()).extracting(ShapingRule::name)
                .containsExactly("site-unavailable");
    }

    @Test
    void rulesParseEveryAction() {
        ShapingTable t = withUser("""
                site:
                  mx: [mx.example]
                  rules:
                    - {match: '^421 ', action: suspend, duration: 90s}
                    - {name: fewer, match: 'busy', action: {connection_limit: 2}, duration: 1m}
                    - {name: slower, match: 'slow', action: {max_message_rate: 5/s}, duration: 1h}
                """);
        List<ShapingRule> rules = t.resolve("mx.example", "x.example").rules();
        assertThat(rules.get(1).name()).isEqualTo("site.rules[0]");
        assertThat(rules.get(1).action()).isEqualTo(new ShapingAction.Suspend());
        assertThat(rules.get(1).duration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(rules.get(2).action()).isEqualTo(new ShapingAction.LimitConnections(2));
        assertThat(rules.get(3).action()).isEqualTo(new ShapingAction.LimitMessageRate(new Rate(5,
                Duration.ofSeconds(1))));
        assertThat(rules.get(1).matches("421 4.7.0 try later")).isTrue();
        assertThat(rules.get(1).matches("451 4.7.0 try later")).isFalse();
    }

    @Test
    void errorsNameTheFileTheKeyTheValueAndTheReason() {
        ConfigException e = error("gmail:\n  conection_limit: 3\n");
        assertThat(e.key()).isEqualTo("gmail.conection_limit");
        assertThat(e.reason()).contains("unknown field", "connection_limit");

        e = error("gmail:\n  connection_limit: 0\n");
        assertThat(e.key()).isEqualTo("gmail.connection_limit");
        assertThat(e.value()).isEqualTo("0");
        assertThat(e.reason()).contains("between 1 and 10000");

        e = error("gmail:\n  max_message_rate: fast\n");
        assertThat(e.key()).isEqualTo("gmail.max_message_rate");
        assertThat(e.value()).isEqualTo("fast");

        e = error("gmail:\n  idle_timeout: soon\n");
        assertThat(e.key()).isEqualTo("gmail.idle_timeout");

        e = error("gmail:\n  tls: maybe\n");
        assertThat(e.key()).isEqualTo("gmail.tls");

        e = error("gmail:\n  retry: [1m, never]\n");
        assertThat(e.key()).isEqualTo("gmail.retry[1]");

        e = error("x:\n  mx: [mx.example]\n  rules:\n    - {match: '(', action: suspend, duration: 1m}\n");
        assertThat(e.key()).isEqualTo("x.rules[0].match");
        assertThat(e.reason()).contains("invalid regular expression");

        e = error("x:\n  mx: [mx.example]\n  rules:\n    - {match: 'a', action: pause, duration: 1m}\n");
        assertThat(e.key()).isEqualTo("x.rules[0].action");

        e = error("x:\n  mx: [mx.example]\n  rules:\n    - {match: 'a', action: {connection_limit: 0}, duration: 1m}\n");
        assertThat(e.key()).isEqualTo("x.rules[0].action.connection_limit");

        e = error("x:\n  mx: [mx.example]\n  rules:\n    - {match: 'a', action: suspend}\n");
        assertThat(e.key()).isEqualTo("x.rules[0].duration");

        e = error("x:\n  mx: [mx.example]\n  rules:\n    - {name: a, match: a, action: suspend, duration: 1m}\n"
                + "    - {name: a, match: b, action: suspend, duration: 1m}\n");
        assertThat(e.reason()).contains("unique");

        e = error("lonely:\n  connection_limit: 3\n");
        assertThat(e.key()).isEqualTo("lonely");
        assertThat(e.reason()).contains("matches nothing");

        e = error("default:\n  domains: [a.example]\n");
        assertThat(e.key()).isEqualTo("default.domains");

        e = error("x:\n  domains: [\"not a domain\"]\n");
        assertThat(e.key()).isEqualTo("x.domains[0]");

        e = error("gmail: [1, 2]\n");
        assertThat(e.key()).isEqualTo("gmail");

        e = error("gmail:\n  connection_limit: 3\n  connection_limit: 4\n");
        assertThat(e.reason()).contains("invalid YAML", "line");
    }

    @Test
    void resolutionsAreCachedPerSetOfMatchingEntries() {
        assertThat(shipped.resolve("google.com", "a.example")).isSameAs(shipped.resolve("google.com", "b.example"));
        assertThat(shipped.resolve("google.com", "a.example")).isNotSameAs(shipped.resolve("mx.example", "a"));
    }
}
