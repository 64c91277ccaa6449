package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.ClaimedMessage;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContentCacheTest {
    private static final byte[] CONTENT = "Subject: t\r\n\r\nbody\r\n".getBytes();

    private final FakeDeliveryStore store = new FakeDeliveryStore();
    private final ContentCache cache = new ContentCache(store, 1 << 20, Duration.ofMinutes(5));

    @Test
    void aContentStaysUntilEveryClaimedRecipientWasAttempted() {
        ClaimedMessage m = Jobs.message("x.test", 3, FakeTime.WALL);
        cache.put(m, CONTENT);

        cache.attempted(m.id(), 2); // one domain's job, say
        assertThat(cache.has(m.id())).as("one recipient still to be attempted").isTrue();
        cache.attempted(m.id(), 1);
        assertThat(cache.has(m.id())).isFalse();
        cache.attempted(m.id(), 1); // a late count for a content already gone changes nothing
        assertThat(cache.has(m.id())).isFalse();
    }

    @Test
    void aContentReadFromTheStoreIsKeptForTheMessagesOtherAttempts() {
        ClaimedMessage m = Jobs.message("x.test", 2, FakeTime.WALL);
        store.contents.put(m.id(), CONTENT);

        assertThat(cache.content(m).block(Duration.ofSeconds(5))).isEqualTo(CONTENT);
        store.contents.clear();
        assertThat(cache.content(m).block(Duration.ofSeconds(5))).as("from memory now").isEqualTo(CONTENT);
        cache.attempted(m.id(), 2);
        assertThat(cache.has(m.id())).isFalse();
        assertThat(cache.content(m).blockOptional(Duration.ofSeconds(5))).as("gone from both").isEmpty();
    }

    @Test
    void prefetchedContentsCountTheirMessagesRecipients() {
        ClaimedMessage one = Jobs.message("x.test", 1, FakeTime.WALL);
        ClaimedMessage two = Jobs.message("y.test", 2, FakeTime.WALL);
        store.contents.put(one.id(), CONTENT);
        store.contents.put(two.id(), CONTENT);

        cache.prefetch(List.of(one, two)).block(Duration.ofSeconds(5));
        assertThat(cache.has(one.id())).isTrue();
        assertThat(cache.has(two.id())).isTrue();
        cache.attempted(one.id(), 1);
        cache.attempted(two.id(), 1);
        assertThat(cache.has(one.id())).isFalse();
        assertThat(cache.has(two.id())).isTrue();
    }
}
