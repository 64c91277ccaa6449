package dev.relay.engine.queue;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.storage.MessageId;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per delivery attempt, prefixed with the queue (message) id: the site, the domain, how many
 * recipients ended in which outcome, and the reply that decided the worst of them (remote text, cleaned of control
 * characters and cut, since it comes from a stranger). Never the content, never credentials.
 */
final class AttemptLog {
    private static final Logger log = LoggerFactory.getLogger(AttemptLog.class);
    private static final int MAX_REPLY = 200;

    private AttemptLog() {
    }

    static void attempted(MessageId id, String site, String domain, List<DeliveryOutcome> outcomes, Duration took) {
        if (!log.isInfoEnabled()) {
            return;
        }
        int delivered = 0;
        int deferred = 0;
        int bounced = 0;
        int failed = 0;
        @Nullable String worst = null;
        for (DeliveryOutcome o : outcomes) {
            if (o instanceof DeliveryOutcome.Delivered d) {
                delivered++;
                worst = worst == null ? d.remoteHost() + " said " + d.reply() : worst;
            } else if (o instanceof DeliveryOutcome.Deferred d) {
                deferred++;
                worst = hostOf(d.remoteHost()) + d.reply();
            } else if (o instanceof DeliveryOutcome.Bounced b) {
                bounced++;
                worst = hostOf(b.remoteHost()) + b.reply();
            } else if (o instanceof DeliveryOutcome.ConnectionFailed c) {
                failed++;
                worst = hostOf(c.remoteHost()) + c.cause();
            }
        }
        log.info("{} attempt site={} domain={} delivered={} deferred={} bounced={} connection_failed={} took={}ms: {}",
                id, site, domain, delivered, deferred, bounced, failed, took.toMillis(), clean(worst));
    }

    private static String hostOf(@Nullable String remoteHost) {
        return remoteHost == null ? "" : remoteHost + " said ";
    }

    static String clean(@Nullable String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_REPLY + 1));
        for (int i = 0; i < text.length() && out.length() < MAX_REPLY; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? ' ' : c);
        }
        if (text.length() > MAX_REPLY) {
            out.append('…');
        }
        return out.toString();
    }
}
