package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.ConversationException.Kind;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Each way a conversation breaks off has its kind, and the words the outcome rules and the attempt log see
 * ({@link ReplyClassifier#describe}) stay what they were.
 */
class ConversationExceptionTest {
    @Test
    void kindsAndWords() {
        assertKind(ConversationException.noReply("RCPT", Duration.ofMinutes(5)), Kind.REPLY_TIMEOUT,
                "no reply to RCPT within PT5M");
        assertKind(ConversationException.deadline(Duration.ofMinutes(10)), Kind.DEADLINE,
                "delivery not finished within the transaction deadline of PT10M");
        assertKind(ConversationException.writeTimeout(Duration.ofMinutes(3)), Kind.WRITE_TIMEOUT,
                "data block not written within PT3M");
        assertKind(ConversationException.closedByUs(), Kind.CLOSED_BY_US, "connection closed by us");
        assertKind(ConversationException.closedBy("mx.example"), Kind.CLOSED_BY_PEER, "connection closed by mx.example");
        assertKind(ConversationException.unsolicited("mx.example"), Kind.UNSOLICITED_REPLY,
                "unsolicited reply from mx.example");
        assertKind(ConversationException.invalidReply(999, "MAIL"), Kind.INVALID_REPLY, "invalid reply code 999 to MAIL");
    }

    @Test
    void onlyTheEndOfTheConnectionNamesTheLostReply() {
        assertThat(Kind.CLOSED_BY_US.closed()).isTrue();
        assertThat(Kind.CLOSED_BY_PEER.closed()).isTrue();
        assertThat(Kind.REPLY_TIMEOUT.closed()).isFalse();
        assertThat(Kind.DEADLINE.closed()).isFalse();
        ConversationException lost = ConversationException.closedByUs().whileWaitingFor("DATA");
        assertKind(lost, Kind.CLOSED_BY_US, "connection closed by us while waiting for the reply to DATA");
    }

    private static void assertKind(ConversationException e, Kind kind, String words) {
        assertThat(e.kind()).isEqualTo(kind);
        assertThat(e).hasMessage(words);
        assertThat(ReplyClassifier.describe(e)).isEqualTo(words);
        assertThat(e.getStackTrace()).isEmpty();
    }
}
