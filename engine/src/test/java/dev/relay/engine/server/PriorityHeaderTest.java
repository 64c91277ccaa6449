package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.Priority;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PriorityHeaderTest {
    private static final String NAME = "X-Relay-Priority";
    private final List<CompositeByteBuf> originals = new ArrayList<>();

    @AfterEach
    void everyOriginalWasReleasedOrReturned() {
        for (CompositeByteBuf b : originals) {
            assertThat(b.refCnt()).as("the original is released, or handed back and then released").isZero();
        }
    }

    @Test
    void withoutTheFieldTheSameBufferComesBackUntouched() {
        CompositeByteBuf in = content("From: a@b.test\r\nSubject: hi\r\n\r\nX-Relay-Priority: bulk\r\n");
        PriorityHeader.Result r = PriorityHeader.strip(in, NAME);
        assertThat((Object) r.content()).isSameAs(in);
        assertThat(r.requested()).isNull();
        assertThat(r.removed()).isZero();
        assertThat(text(r)).as("a field in the body is body text").contains("X-Relay-Priority: bulk");
        release(r);
    }

    @Test
    void theFieldIsCutOutAndEverythingElseStaysByteForByte() {
        PriorityHeader.Result r = PriorityHeader.strip(content(
                "From: a@b.test\r\nX-Relay-Priority: bulk\r\nSubject: hi\r\n\r\nbody\r\n"), NAME);
        assertThat(r.requested()).isEqualTo(Priority.BULK);
        assertThat(r.removed()).isEqualTo(1);
        assertThat(text(r)).isEqualTo("From: a@b.test\r\nSubject: hi\r\n\r\nbody\r\n");
        release(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x-relay-priority: TRANSACTIONAL", "X-RELAY-PRIORITY:transactional",
            "X-Relay-Priority :  Transactional  ", "X-Relay-Priority:\r\n\ttransactional", "X-Relay-Priority: \r\n transactional"})
    void nameCaseSpacingAndFoldingDoNotMatter(String field) {
        PriorityHeader.Result r = PriorityHeader.strip(content("From: a@b.test\r\n" + field + "\r\nTo: c@d.test\r\n\r\nx"),
                NAME);
        assertThat(r.requested()).isEqualTo(Priority.TRANSACTIONAL);
        assertThat(text(r)).isEqualTo("From: a@b.test\r\nTo: c@d.test\r\n\r\nx");
        release(r);
    }

    @Test
    void everyOccurrenceGoesAndConflictsMeanBulk() {
        PriorityHeader.Result r = PriorityHeader.strip(content("X-Relay-Priority: transactional\r\nFrom: a@b.test\r\n"
                + "X-Relay-Priority: bulk\r\nX-Relay-Priority: transactional\r\n\r\nbody"), NAME);
        assertThat(r.requested()).isEqualTo(Priority.BULK);
        assertThat(r.removed()).isEqualTo(3);
        assertThat(text(r)).isEqualTo("From: a@b.test\r\n\r\nbody");
        release(r);
    }

    @Test
    void anUnknownValueRequestsNothingButIsRemoved() {
        PriorityHeader.Result r = PriorityHeader.strip(content("X-Relay-Priority: urgent\r\nFrom: a@b.test\r\n\r\n"),
                NAME);
        assertThat(r.requested()).isNull();
        assertThat(r.removed()).isEqualTo(1);
        assertThat(text(r)).isEqualTo("From: a@b.test\r\n\r\n");
        release(r);
    }

    @Test
    void similarNamesAreOtherFields() {
        String message = "X-Relay-Priority-Note: bulk\r\nX-Relay-Priorit: bulk\r\nXX-Relay-Priority: bulk\r\n\r\n";
        PriorityHeader.Result r = PriorityHeader.strip(content(message), NAME);
        assertThat(r.requested()).isNull();
        assertThat(text(r)).isEqualTo(message);
        release(r);
    }

    @Test
    void theFieldMayBeSplitAcrossReceivedChunks() {
        CompositeByteBuf in = ByteBufAllocator.DEFAULT.compositeBuffer();
        for (String part : List.of("From: a@b.test\r\nX-Rel", "ay-Priority: bu", "lk\r", "\n\tstill folded\r\nSub",
                "ject: s\r\n\r\nbody\r\n")) {
            in.addComponent(true, Unpooled.copiedBuffer(part, StandardCharsets.US_ASCII));
        }
        originals.add(in);
        PriorityHeader.Result r = PriorityHeader.strip(in, NAME);
        assertThat(r.requested()).as("'bulk still folded' is no known value").isNull();
        assertThat(text(r)).isEqualTo("From: a@b.test\r\nSubject: s\r\n\r\nbody\r\n");
        release(r);
        assertThat(r.content().refCnt()).isZero();
        assertThat(in.refCnt()).as("the slices held the original until the result was released").isZero();
    }

    @Test
    void bareLineFeedsMessagesWithoutBodyAndAFinalFieldWithoutLineEnd() {
        PriorityHeader.Result lf = PriorityHeader.strip(content("From: a@b.test\nX-Relay-Priority: bulk\nTo: c\n\nb"),
                NAME);
        assertThat(text(lf)).isEqualTo("From: a@b.test\nTo: c\n\nb");
        release(lf);
        PriorityHeader.Result last = PriorityHeader.strip(content("From: a@b.test\r\nX-Relay-Priority: bulk"), NAME);
        assertThat(last.requested()).isEqualTo(Priority.BULK);
        assertThat(text(last)).isEqualTo("From: a@b.test\r\n");
        release(last);
        PriorityHeader.Result only = PriorityHeader.strip(content("X-Relay-Priority: bulk\r\n"), NAME);
        assertThat(text(only)).isEmpty();
        release(only);
    }

    @Test
    void aLineThatIsNoFieldEndsTheHeaderSection() {
        String message = "From: a@b.test\r\nthis is no header\r\nX-Relay-Priority: bulk\r\n";
        PriorityHeader.Result r = PriorityHeader.strip(content(message), NAME);
        assertThat(r.requested()).isNull();
        assertThat(text(r)).isEqualTo(message);
        release(r);
        PriorityHeader.Result empty = PriorityHeader.strip(content(""), NAME);
        assertThat(text(empty)).isEmpty();
        release(empty);
    }

    @Test
    void effectivePriority() {
        Priority t = Priority.TRANSACTIONAL;
        Priority b = Priority.BULK;
        assertThat(PriorityHeader.effective(t, null, false)).isEqualTo(t);
        assertThat(PriorityHeader.effective(b, null, true)).isEqualTo(b);
        assertThat(PriorityHeader.effective(t, b, false)).as("lowering is always allowed").isEqualTo(b);
        assertThat(PriorityHeader.effective(b, t, false)).as("raising needs allow_raise").isEqualTo(b);
        assertThat(PriorityHeader.effective(b, t, true)).isEqualTo(t);
        assertThat(PriorityHeader.effective(t, t, false)).isEqualTo(t);
    }

    private CompositeByteBuf content(String text) {
        CompositeByteBuf in = ByteBufAllocator.DEFAULT.compositeBuffer();
        in.addComponent(true, Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        originals.add(in);
        return in;
    }

    private static String text(PriorityHeader.Result r) {
        return r.content().toString(StandardCharsets.US_ASCII);
    }

    private static void release(PriorityHeader.Result r) {
        r.content().release();
    }
}
