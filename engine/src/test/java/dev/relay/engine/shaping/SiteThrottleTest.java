package dev.relay.engine.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.SiteLimits;
import dev.relay.protocol.SmtpReply;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The rule engine, suspensions, rates, tarpit detection and node division, on a fake clock. */
class SiteThrottleTest {
    private static final long SECOND = 1_000_000_000L;
    private static final Instant WALL = Instant.parse("2030-01-01T00:00:00Z");

    private long now = 1_000 * SECOND;
    private final List<String> waits = new ArrayList<>();

    private static final ShapingRule TSS04 = new ShapingRule("yahoo-tss04", Pattern.compile("^421 4\\.7\\.0 \\[TSS04\\]"),
            new ShapingAction.Suspend(), Duration.ofMinutes(30));
    private static final ShapingRule BUSY = new ShapingRule("busy", Pattern.compile("^451 4\\.7\\.500 "),
            new ShapingAction.LimitConnections(2), Duration.ofMinutes(5));
    private static final ShapingRule SLOW = new ShapingRule("slow", Pattern.compile("4\\.7\\.650"),
            new ShapingAction.LimitMessageRate(new Rate(1, Duration.ofSeconds(1))), Duration.ofMinutes(1));

    private static SiteShaping shaping(int connections, Rate rate, List<ShapingRule> rules) {
        return new SiteShaping(SiteLimits.defaults().withConnectionLimit(connections), rate, null,
                List.of(Duration.ofMinutes(1)), rules, new SiteShaping.Tarpit(Duration.ofSeconds(10),
                Duration.ofSeconds(30)));
    }

    private final SiteShaping site = shaping(10, null, List.of(TSS04, BUSY, SLOW));
    private final SiteThrottle throttle = new SiteThrottle(site, () -> now, waits::add);

    private int admitted(SiteShaping s, int active) {
        SiteThrottle.Admission a = throttle.admit(s, active, 1);
        return a instanceof SiteThrottle.Admission.Go go ? go.limits().connectionLimit() : -1;
    }

    @Test
    void aSuspendRuleStopsTheSiteForItsDurationThenRestoresIt() {
        assertThat(admitted(site, 0)).isEqualTo(10);
        List<SiteThrottle.Hit> hits = throttle.observe(site, List.of(SmtpReply.of(421, "4.7.0",
                "[TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints")));
        assertThat(hits).extracting(h -> h.rule().name()).containsExactly("yahoo-tss04");
        SiteThrottle.Admission a = throttle.admit(site, 0, 1);
        assertThat(a).isEqualTo(new SiteThrottle.Admission.Wait(now + Duration.ofMinutes(30).toNanos(), true));
        assertThat(throttle.state(WALL).suspendedUntil()).isEqualTo(WALL.plus(Duration.ofMinutes(30)));
        assertThat(throttle.state(WALL).suspendedBecause()).isEqualTo("rule yahoo-tss04");
        assertThat(throttle.quiet()).isFalse();
        now += Duration.ofMinutes(30).toNanos() - 1;
        assertThat(throttle.admit(site, 0, 1)).isInstanceOf(SiteThrottle.Admission.Wait.class);
        now += 1;
        assertThat(admitted(site, 0)).isEqualTo(10);
        assertThat(throttle.quiet()).isTrue();
    }

    @Test
    void aRepeatedHitExtendsTheEffect() {
        throttle.observe(site, List.of(SmtpReply.of(451, "4.7.500", "Server busy. Please try again later")));
        now += Duration.ofMinutes(4).toNanos();
        throttle.observe(site, List.of(SmtpReply.of(451, "4.7.500", "Server busy. Please try again later")));
        now += Duration.ofMinutes(4).toNanos();
        assertThat(admitted(site, 0)).isEqualTo(2);
        now += Duration.ofMinutes(1).toNanos();
        assertThat(admitted(site, 0)).isEqualTo(10);
    }

    @Test
    void aConnectionLimitRuleLowersTheLimitUntilItExpires() {
        throttle.observe(site, List.of(SmtpReply.of(451, "4.7.500", "Server busy. Please try again later")));
        assertThat(admitted(site, 0)).isEqualTo(2);
        assertThat(throttle.admit(site, 2, 1)).isInstanceOf(SiteThrottle.Admission.Full.class);
        assertThat(throttle.state(WALL).activeRules()).containsExactly("busy");
        now += Duration.ofMinutes(5).toNanos();
        assertThat(admitted(site, 2)).isEqualTo(10);
    }

    @Test
    void aRateRuleSlowsTheSiteAndEveryWaitIsCounted() {
        throttle.observe(site, List.of(SmtpReply.of(451, "4.7.650", "temporarily rate limited due to IP reputation")));
        assertThat(admitted(site, 0)).isEqualTo(10);
        SiteThrottle.Admission a = throttle.admit(site, 1, 1);
        assertThat(a).isEqualTo(new SiteThrottle.Admission.Wait(now + SECOND, false));
        assertThat(waits).containsExactly("message");
        now += SECOND;
        assertThat(admitted(site, 1)).isEqualTo(10);
    }

    @Test
    void aReplyAboutOneRecipientChangesNothing() {
        assertThat(throttle.observe(site, List.of(SmtpReply.of(452, "4.2.2", "Mailbox full"),
                SmtpReply.of(450, "4.7.1", "Greylisted, try again in 300 seconds")))).isEmpty();
        assertThat(throttle.quiet()).isTrue();
        assertThat(admitted(site, 9)).isEqualTo(10);
    }

    @Test
    void anOperatorSuspendsAndResumes() {
        throttle.suspend(Duration.ofHours(1), "maintenance at the provider");
        assertThat(throttle.admit(site, 0, 1)).isInstanceOf(SiteThrottle.Admission.Wait.class);
        assertThat(throttle.state(WALL).suspendedBecause()).isEqualTo("maintenance at the provider");
        throttle.observe(site, List.of(SmtpReply.of(421, "4.7.0", "[TSS04] deferred")));
        throttle.resume();
        assertThat(admitted(site, 0)).isEqualTo(10);
        assertThat(throttle.state(WALL).suspendedUntil()).isNull();
    }

    @Test
    void theConfiguredRateHoldsAndFollowsAReload() {
        SiteShaping limited = shaping(10, new Rate(2, Duration.ofSeconds(1)), List.of());
        assertThat(admitted(limited, 0)).isEqualTo(10);
        assertThat(throttle.admit(limited, 0, 1)).isEqualTo(new SiteThrottle.Admission.Wait(now + SECOND / 2, false));
        SiteShaping unlimited = shaping(3, null, List.of());
        assertThat(admitted(unlimited, 0)).isEqualTo(3);
        assertThat(admitted(unlimited, 0)).isEqualTo(3);
    }

    @Test
    void slowRepliesHalveConcurrencyAndFastOnesGiveItBackGradually() {
        throttle.admit(site, 0, 1);
        throttle.replied(Duration.ofSeconds(12).toNanos());
        assertThat(throttle.connectionLimit()).isEqualTo(5);
        // the same slow spell seen on other connections right after: no second cut
        throttle.replied(Duration.ofSeconds(15).toNanos());
        assertThat(throttle.connectionLimit()).isEqualTo(5);
        now += Duration.ofSeconds(10).toNanos();
        throttle.replied(Duration.ofSeconds(11).toNanos());
        assertThat(throttle.connectionLimit()).isEqualTo(2);
        now += Duration.ofSeconds(10).toNanos();
        throttle.replied(Duration.ofSeconds(11).toNanos());
        now += Duration.ofSeconds(10).toNanos();
        throttle.replied(Duration.ofSeconds(11).toNanos());
        assertThat(throttle.connectionLimit()).isEqualTo(1);
        assertThat(throttle.state(WALL).tarpitted()).isTrue();
        // fast replies: one connection back per 30 s without a slow one
        throttle.replied(Duration.ofMillis(50).toNanos());
        assertThat(throttle.connectionLimit()).isEqualTo(1);
        for (int expected = 2; expected < 10; expected++) {
            now += Duration.ofSeconds(30).toNanos();
            throttle.replied(Duration.ofMillis(50).toNanos());
            assertThat(throttle.connectionLimit()).isEqualTo(expected);
        }
        now += Duration.ofMinutes(5).toNanos();
        assertThat(admitted(site, 0)).as("no traffic is no evidence").isEqualTo(9);
        throttle.replied(Duration.ofMillis(50).toNanos());
        assertThat(admitted(site, 0)).isEqualTo(10);
        assertThat(throttle.state(WALL).tarpitted()).isFalse();
        assertThat(throttle.quiet()).isTrue();
    }

    @Test
    void limitsAreDividedAmongLiveNodes() {
        SiteShaping limited = shaping(5, new Rate(10, Duration.ofSeconds(1)), List.of());
        SiteThrottle.Admission a = throttle.admit(limited, 0, 2);
        assertThat(((SiteThrottle.Admission.Go) a).limits().connectionLimit()).isEqualTo(2);
        assertThat(throttle.state(WALL).messageRate()).isEqualTo(new Rate(10, Duration.ofSeconds(2)));
        assertThat(((SiteThrottle.Admission.Go) throttle.admit(shaping(1, null, List.of()), 0, 3)).limits()
                .connectionLimit()).isEqualTo(1);
    }

    @Test
    void theConnectionRateGatesNewConnections() {
        SiteShaping s = new SiteShaping(SiteLimits.defaults(), null, new Rate(1, Duration.ofSeconds(2)),
                List.of(Duration.ofMinutes(1)), List.of());
        throttle.admit(s, 0, 1);
        assertThat(throttle.tryOpen()).isZero();
        assertThat(throttle.tryOpen()).isEqualTo(2 * SECOND);
        assertThat(waits).containsExactly("connection");
        now += 2 * SECOND;
        assertThat(throttle.tryOpen()).isZero();
    }
}
