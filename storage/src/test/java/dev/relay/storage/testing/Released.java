package dev.relay.storage.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Asserts that buffers handed to the spool end up released. The database driver drops its own reference to a
 * bound buffer just after the statement completes (on its event loop), so this waits a little (bounded) first.
 */
public final class Released {
    private Released() {
    }

    public static void await(ByteBuf... buffers) {
        await(Arrays.asList(buffers));
    }

    public static void await(Collection<ByteBuf> buffers) {
        List<ByteBuf> all = List.copyOf(buffers);
        Await.until(Duration.ofSeconds(5), () -> all.stream().allMatch(b -> b.refCnt() == 0));
        assertThat(all).allSatisfy(b -> assertThat(b.refCnt()).as("refCnt").isZero());
    }
}
