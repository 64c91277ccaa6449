package dev.relay.storage;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Objects;

/**
 * Message bytes bound to a {@code bytea[]} parameter in PostgreSQL's binary format (see {@link BinaryContentCodec}),
 * one element per message, none null. The owners of the buffers keep them alive until the statement has completed.
 */
record BinaryContents(List<ByteBuf> elements) {
    BinaryContents {
        elements = List.copyOf(elements);
    }
}
