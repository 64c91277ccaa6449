package dev.relay.storage.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
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
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (all.stream().anyMatch(b -> b.refCnt() > 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertThat(all).allSatisfy(b -> assertThat(b.refCnt()).as("refCnt").isZero());
    }
}
