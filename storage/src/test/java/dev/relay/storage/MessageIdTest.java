package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessageIdTest {

    @Test
    void isUuidVersion7WithTimestamp() {
        long before = System.currentTimeMillis();
        MessageId id = MessageId.newId();
        long after = System.currentTimeMillis();
        assertThat(id.uuid().version()).isEqualTo(7);
        assertThat(id.uuid().variant()).isEqualTo(2);
        assertThat(id.unixMillis()).isBetween(before, after);
    }

    @Test
    void base32RoundTrips() {
        for (int i = 0; i < 10_000; i++) {
            MessageId id = MessageId.newId();
            String text = id.toString();
            assertThat(text).hasSize(26).matches("[0-7][0-9A-HJKMNP-TV-Z]{25}");
            assertThat(MessageId.parse(text)).isEqualTo(id);
            assertThat(MessageId.parse(text.toLowerCase())).isEqualTo(id);
        }
    }

    @Test
    void extremesRoundTrip() {
        MessageId zero = new MessageId(new UUID(0, 0));
        MessageId ones = new MessageId(new UUID(-1L, -1L));
        assertThat(zero.toString()).isEqualTo("00000000000000000000000000");
        assertThat(ones.toString()).isEqualTo("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        assertThat(MessageId.parse(zero.toString())).isEqualTo(zero);
        assertThat(MessageId.parse(ones.toString())).isEqualTo(ones);
    }

    @Test
    void ordersByTimeAndTextOrderMatches() {
        List<MessageId> ids = new ArrayList<>();
        for (long ms = 1_700_000_000_000L; ms < 1_700_000_000_000L + 50; ms++) {
            ids.add(MessageId.at(ms));
        }
        ids.add(MessageId.at(0xFFFF_FFFF_FFFFL)); // top bit set: unsigned ordering
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i - 1)).isLessThan(ids.get(i));
            assertThat(ids.get(i - 1).toString()).isLessThan(ids.get(i).toString());
        }
    }

    @Test
    void idsAreUnique() {
        HashSet<MessageId> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            assertThat(seen.add(MessageId.newId())).isTrue();
        }
    }

    @Test
    void rejectsMalformed() {
        assertThatThrownBy(() -> MessageId.parse("short")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MessageId.parse("8ZZZZZZZZZZZZZZZZZZZZZZZZZ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MessageId.parse("0000000000000000000000000U")).isInstanceOf(IllegalArgumentException.class);
    }
}
