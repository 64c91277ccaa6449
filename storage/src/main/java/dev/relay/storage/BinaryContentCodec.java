package dev.relay.storage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.client.EncodedParameter;
import io.r2dbc.postgresql.codec.Codec;
import io.r2dbc.postgresql.codec.CodecRegistry;
import io.r2dbc.postgresql.codec.PostgresqlObjectId;
import io.r2dbc.postgresql.extension.CodecRegistrar;
import io.r2dbc.postgresql.message.Format;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * Sends message content to {@code bytea} in the binary wire format: the bytes as they are, zero-copy from the
 * session's buffers. r2dbc-postgresql's own {@code byte[]}/{@code ByteBuffer} codecs send bytea as hex text, which
 * doubles the bytes on the wire and makes both sides encode and parse them; at 20 KiB messages that was a visible
 * share of the commit time. Registered through r2dbc-postgresql's extension mechanism (ServiceLoader).
 */
public final class BinaryContentCodec implements Codec<Object>, CodecRegistrar {
    private static final int BYTEA = PostgresqlObjectId.BYTEA.getObjectId();

    @Override
    public Publisher<Void> register(PostgresqlConnection connection, ByteBufAllocator allocator,
            CodecRegistry registry) {
        registry.addFirst(this);
        return Mono.empty();
    }

    @Override
    public boolean canDecode(int dataType, Format format, Class<?> type) {
        return false; // reading uses the driver's codecs
    }

    @Override
    public boolean canEncode(Object value) {
        return value instanceof BinaryContent;
    }

    @Override
    public boolean canEncodeNull(Class<?> type) {
        return false;
    }

    @Override
    public Object decode(@Nullable ByteBuf buffer, int dataType, Format format, Class<?> type) {
        throw new UnsupportedOperationException("BinaryContentCodec only encodes");
    }

    @Override
    public EncodedParameter encode(Object value) {
        ByteBuf bytes = ((BinaryContent) value).bytes();
        // The driver releases what it writes; the owner keeps its own reference until the statement completes.
        return new EncodedParameter(Format.FORMAT_BINARY, BYTEA, Mono.fromSupplier(bytes::retainedDuplicate));
    }

    @Override
    public EncodedParameter encode(Object value, int dataType) {
        return encode(value);
    }

    @Override
    public EncodedParameter encodeNull() {
        throw new UnsupportedOperationException("BinaryContentCodec does not encode null");
    }
}
