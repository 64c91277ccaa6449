package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class IncomingMessageTest {

    @Test
    void domainIsAfterLastAtLowerCased() {
        assertThat(IncomingMessage.domainOf("\"a@b\"@Example.COM")).isEqualTo("example.com");
    }

    @Test
    void validatesAndLeavesContentToCaller() {
        ByteBuf content = Unpooled.wrappedBuffer(new byte[] {1});
        assertThatThrownBy(() -> new IncomingMessage(MessageId.newId(), "", List.of(), null, Priority.BULK,
                Instant.now(), false, false, "127.0.0.1", "h", content))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recipient");
        assertThat(content.refCnt()).isEqualTo(1);
        content.release();
    }

    @Test
    void refusesNulInText() {
        ByteBuf content = Unpooled.wrappedBuffer(new byte[] {1});
        assertThatThrownBy(() -> new IncomingMessage(MessageId.newId(), "", List.of("a@b"), null, Priority.BULK,
                Instant.now(), false, false, "127.0.0.1", "he\0lo", content)).hasMessageContaining("helo");
        content.release();
    }

    @Test
    void settingsValidated() {
        assertThatThrownBy(() -> new GroupCommitSettings(0, 100, 10)).hasMessageContaining("committers");
        assertThatThrownBy(() -> new GroupCommitSettings(1, 5001, 10)).hasMessageContaining("maxBatch");
        assertThatThrownBy(() -> new GroupCommitSettings(1, 100, 10, Duration.ofMillis(51)))
                .hasMessageContaining("interval");
        assertThat(GroupCommitSettings.DEFAULT)
                .isEqualTo(new GroupCommitSettings(1, 100, 10_000, Duration.ofMillis(2)));
    }

    @Test
    void priorityCodes() {
        assertThat(Priority.TRANSACTIONAL.code()).isEqualTo((short) 0);
        assertThat(Priority.fromCode(1)).isEqualTo(Priority.BULK);
    }
}
