package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.protocol.SmtpReply;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replies as real greylisters, policy servers and providers send them (collected from server documentation and
 * mail logs), each with what the relay must read from it.
 */
class RetryHintTest {
    private static final Instant NOW = Instant.parse("2025-01-09T11:20:00Z");

    /** code, text as on the wire after the code (enhanced status included), greylisting?, stated wait in s (-1: none) */
    static Stream<Arguments> replies() {
        return Stream.of(
                // stated waits
                row(451, "4.7.1 Greylisted, please try again in 300 seconds", true, 300),
                row(450, "4.7.1 <a@b.test>: Recipient address rejected: Greylisted for 300 seconds (see"
                        + " http://isg.ee.ethz.ch/tools/postgrey/help/b.test.html)", true, 300),
                row(450, "<a@b.test>: Recipient address rejected: Greylisted for 181 seconds", true, 181),
                row(451, "Greylisting enabled, try again in 1 minutes", true, 60),
                row(451, "4.7.1 Greylisting in action, please come back in 00:09:00", true, 540),
                row(450, "<a@b.test>: Recipient address rejected: Policy Rejection- Hotkey Greylisting in progress"
                        + " ... Please try again after 2 minutes", true, 120),
                row(450, "<a@b.test>: Recipient address rejected: Greylisting in action. Please try delivery again in"
                        + " 240 seconds.", true, 240),
                row(450, "4.2.0 Greylisted, see or wait 300 seconds", true, 300),
                row(451, "4.7.1 greylisted for 5 minutes", true, 300),
                row(451, "4.7.1 Retry in 5 minutes", false, 300),
                row(451, "4.7.1 please try again later in 60s", true, 60),
                row(450, "4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/b.test.html retry after 120 seconds",
                        true, 120),
                row(421, "4.7.0 Too many concurrent connections, try again in 2 hrs", false, 7200),
                row(451, "4.7.1 Try again later: Thu, 09 Jan 2025 11:25:00 GMT", true, 300), // rspamd report_time
                row(451, "4.7.1 Try again later: Thu, 09 Jan 2025 11:00:00 GMT", true, 0), // already past
                row(451, "4.7.1 greylisted until Thu, 9 Jan 2025 12:20:00 +0100", true, 0),
                row(451, "4.7.1 greylisted until Thu, 09 Jan 2025 11:21:30 UTC", true, 90),
                row(451, "4.7.1 Greylisted for 300 seconds, try again in 240 seconds", true, 300), // the longer
                // greylisting without a stated time
                row(450, "4.2.0 <a@b.test>: Recipient address rejected: Greylisted, see"
                        + " http://postgrey.schweikert.ch/help/b.test.html", true, -1),
                row(451, "4.7.1 Try again later", true, -1), // rspamd's default
                row(451, "4.7.1 Service unavailable - try again later", true, -1), // Plesk
                row(451, "Temporarily unable to process your email. Please try again later.", true, -1), // Exim ACL
                row(451, "Greylisting in progress, please try again later", true, -1), // Exim greylist.so
                row(451, "4.7.1 Greylisting in action, please come back later", true, -1), // milter-greylist
                row(450, "<[1.2.3.4]>: Client host rejected: Policy Rejection- GreyList learning. Please try later.",
                        true, -1),
                row(451, "sender/recip/ip triad greylisted; retry AFTER A DECENT INTERVAL will succeed", true, -1),
                row(451, "4.3.0 Temporarily greylisted as anti-spam measure.  Please try again.", true, -1),
                row(451, "<a@b.test>: Recipient address rejected: Service is greylisted.  Waiting for retransmit.",
                        true, -1),
                row(450, "4.2.0 Sender address rejected: Greylisted for XX sec.", true, -1), // placeholder unfilled
                row(451, "4.7.1 You have been grey-listed", true, -1),
                row(451, "4.7.1 graylisted, come back later", true, -1),
                // provider throttling and other deferrals: no early retry, nothing stated
                row(451, "4.7.500 Server busy. Please try again later from [203.0.113.9]. (AS750)", false, -1),
                row(451, "4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP"
                        + " reputation. For e-mail delivery information, see https://postmaster.live.com (S775)", false,
                        -1),
                row(421, "4.7.0 Try again later, closing connection. (EHLO) x12si345.4 - gsmtp", false, -1),
                row(421, "4.7.28 [203.0.113.9      15] Our system has detected an unusual rate of unsolicited mail"
                        + " originating from your IP address. To protect our users from spam, mail sent from your IP"
                        + " address has been temporarily rate limited.", false, -1),
                row(450, "4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional"
                        + " messages from being delivered. Please resend your message at a later time.", false, -1),
                row(421, "4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user"
                        + " complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes", false, -1),
                row(452, "4.2.2 Mailbox full, quota exceeded for 3 days", false, -1),
                row(452, "4.5.3 Too many recipients", false, -1),
                row(450, "4.7.1 Client host rejected: cannot find your hostname, [203.0.113.9]", false, -1),
                row(421, "4.3.2 Service shutting down, try again later", false, -1),
                row(451, "4.4.5 try again later in 5 mailboxes", false, -1),
                row(451, "4.3.0 Error: queue file write error", false, -1));
    }

    private static Arguments row(int code, String text, boolean greylisting, long seconds) {
        return Arguments.of(code, text, greylisting, seconds);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("replies")
    void readsWhatTheReplySays(int code, String text, boolean greylisting, long seconds) {
        RetryHint hint = RetryHint.read(SmtpReply.fromWire(code, List.of(text)), NOW);
        assertThat(hint.greylisting()).as("greylisting").isEqualTo(greylisting);
        assertThat(hint.retryAfter()).as("stated wait").isEqualTo(seconds < 0 ? null : Duration.ofSeconds(seconds));
    }

    @Test
    void anyLineOfAMultiLineReplyCounts() {
        SmtpReply reply = SmtpReply.fromWire(451, List.of("4.7.1 Mail from new senders is delayed.",
                "4.7.1 Greylisted, see https://grey.example/help", "4.7.1 please try again in 5 min"));
        assertThat(RetryHint.read(reply, NOW)).isEqualTo(new RetryHint(true, Duration.ofMinutes(5)));
    }

    @Test
    void aPhraseWrappedOntoTheNextLineIsStillRead() {
        SmtpReply reply = SmtpReply.fromWire(450, List.of("4.2.0 Greylisted. Please try delivery again",
                "4.2.0 in 90 seconds"));
        assertThat(RetryHint.read(reply, NOW).retryAfter()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void repliesOtherThan4xxSayNothing() {
        assertThat(RetryHint.read(SmtpReply.of(250, "2.0.0", "greylisted, try again in 300 seconds"), NOW))
                .isEqualTo(RetryHint.NONE);
        assertThat(RetryHint.read(SmtpReply.of(550, "5.7.1", "greylisted, try again in 300 seconds"), NOW))
                .isEqualTo(RetryHint.NONE);
        assertThat(RetryHint.read(SmtpReply.of(451, "4.4.1", "connection timed out"), NOW)).isEqualTo(RetryHint.NONE);
    }

    @Test
    void unitsAndSpellings() {
        assertThat(wait("try again in 30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(wait("try again in 30 sec")).isEqualTo(Duration.ofSeconds(30));
        assertThat(wait("try again in 30 secs")).isEqualTo(Duration.ofSeconds(30));
        assertThat(wait("try again in 1 second")).isEqualTo(Duration.ofSeconds(1));
        assertThat(wait("try again in 2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(wait("try again in 2 mins")).isEqualTo(Duration.ofMinutes(2));
        assertThat(wait("try again in 1 minute")).isEqualTo(Duration.ofMinutes(1));
        assertThat(wait("TRY AGAIN IN 2 MINUTES")).isEqualTo(Duration.ofMinutes(2));
        assertThat(wait("try again in 1h")).isEqualTo(Duration.ofHours(1));
        assertThat(wait("try again in 1 hr")).isEqualTo(Duration.ofHours(1));
        assertThat(wait("try again in 3 hours")).isEqualTo(Duration.ofHours(3));
        assertThat(wait("try again in about 10 minutes")).isEqualTo(Duration.ofMinutes(10));
        assertThat(wait("wait for 45 seconds")).isEqualTo(Duration.ofSeconds(45));
        assertThat(wait("come back after 0:05:30")).isEqualTo(Duration.ofSeconds(330));
        assertThat(wait("try again in 0 seconds")).isEqualTo(Duration.ZERO);
        assertThat(wait("try again in 999999999 hours")).isEqualTo(Duration.ofHours(999_999_999));
    }

    @Test
    void numbersThatAreNoWaitAreIgnored() {
        assertThat(wait("try again later (code 300)")).isNull();
        assertThat(wait("try again in a while; 5 minutes ago we were fine")).isNull();
        assertThat(wait("retry. Server 12 min load high")).isNull();
        assertThat(wait("try again in 5 mailboxes")).isNull();
        assertThat(wait("try again in 1234567890 seconds")).as("more than 9 digits").isNull();
        assertThat(wait("retry after Mon, 09 Jan 2025 11:25:00 GMT")).as("wrong day of week").isNull();
        assertThat(wait("retry in 25:99:00")).isNull();
    }

    @Test
    void aNegativeWaitIsRefused() {
        assertThatThrownBy(() -> new RetryHint(true, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Duration wait(String text) {
        return RetryHint.read(SmtpReply.fromWire(451, List.of(text)), NOW).retryAfter();
    }
}
