package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TraceFieldsTest {

    private static boolean tooMany(String message, int limit) {
        ByteBuf buf = Unpooled.copiedBuffer(message, StandardCharsets.ISO_8859_1);
        try {
            return TraceFields.tooMany(buf, limit);
        } finally {
            buf.release();
        }
    }

    private static String received(int n) {
        return "Received: from hop" + n + ".test\r\n\tby relay.test; Fri, 4 Dec 2026 21:00:00 +0000\r\n";
    }

    private static String message(int hops) {
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < hops; i++) {
            m.append(received(i));
        }
        return m.append("Subject: hi\r\n\r\nbody\r\n").toString();
    }

    @Test
    void countsUpToTheLimitOnly() {
        assertThat(tooMany(message(50), 50)).isFalse();
        assertThat(tooMany(message(51), 50)).isTrue();
        assertThat(tooMany(message(0), 1)).isFalse();
    }

    @Test
    void nameIsCaseInsensitiveAndMayHaveSpaceBeforeTheColon() {
        assertThat(tooMany("RECEIVED: a\r\nreceived : b\r\nReceived\t: c\r\n\r\n", 2)).isTrue();
        assertThat(tooMany("RECEIVED: a\r\nreceived : b\r\n\r\n", 2)).isFalse();
    }

    @Test
    void otherFieldsContinuationsAndTheBodyDoNotCount() {
        String m = "Received-SPF: pass\r\nX-Received: x\r\nSubject: Received: no\r\n Received: folded\r\n"
                + "Received: one\r\n\r\nReceived: in the body\r\nReceived: again\r\n";
        assertThat(tooMany(m, 1)).isFalse();
        assertThat(tooMany(m, 0)).isTrue();
        // A line that is not a field ends the header section, as in PriorityHeader.
        assertThat(tooMany("Received: a\r\nnot a field\r\nReceived: b\r\n", 1)).isFalse();
    }

    @Test
    void readsAcrossCompositeComponents() {
        byte[] whole = message(3).getBytes(StandardCharsets.ISO_8859_1);
        CompositeByteBuf content = Unpooled.compositeBuffer();
        for (int i = 0; i < whole.length; i += 7) {
            content.addComponent(true, Unpooled.wrappedBuffer(whole, i, Math.min(7, whole.length - i)));
        }
        try {
            assertThat(TraceFields.tooMany(content, 2)).isTrue();
            assertThat(TraceFields.tooMany(content, 3)).isFalse();
        } finally {
            content.release();
        }
    }
}
