package dev.relay.storage;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * Message bytes bound to a {@code bytea} parameter in PostgreSQL's binary format (see {@link BinaryContentCodec}).
 * The owner of {@code bytes} keeps it alive until the statement has completed.
 */
record BinaryContent(ByteBuf bytes) {
    BinaryContent {
        Objects.requireNonNull(bytes, "bytes");
    }
}
