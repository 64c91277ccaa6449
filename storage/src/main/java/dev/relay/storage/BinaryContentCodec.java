package dev.relay.storage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.client.EncodedParameter;
import io.r2dbc.postgresql.codec.Codec;
import io.r2dbc.postgresql.codec.CodecRegistry;
import io.r2dbc.postgresql.codec.PostgresqlObjectId;
import io.r2dbc.postgresql.extension.CodecRegistrar;
import io.r2dbc.postgresql.message.Format;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * Sends message content to {@code bytea} ({@link BinaryContent}) and {@code bytea[]} ({@link BinaryContents}) in the
 * binary wire format: the bytes as they are, zero-copy from the session's buffers. r2dbc-postgresql's own
 * {@code byte[]}/{@code ByteBuffer} codecs send bytea as hex text, which doubles the bytes on the wire and makes both
 * sides encode and parse them; at 20 KiB messages that was a visible share of the commit time. Registered through
 * r2dbc-postgresql's extension mechanism (ServiceLoader).
 */
public final class BinaryContentCodec implements Codec<Object>, CodecRegistrar {
    private static final int BYTEA = PostgresqlObjectId.BYTEA.getObjectId();
    private static final int BYTEA_ARRAY = PostgresqlObjectId.BYTEA_ARRAY.getObjectId();
    /** An array's header: dimensions, flags, element type, then length and lower bound of its one dimension. */
    private static final int ARRAY_HEADER = 5 * Integer.BYTES;

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
        return value instanceof BinaryContent || value instanceof BinaryContents;
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
        // The driver releases what it writes; the owners keep their own references until the statement completes.
        if (value instanceof BinaryContents contents) {
            return new EncodedParameter(Format.FORMAT_BINARY, BYTEA_ARRAY, Mono.fromSupplier(() -> array(contents)));
        }
        ByteBuf bytes = ((BinaryContent) value).bytes();
        return new EncodedParameter(Format.FORMAT_BINARY, BYTEA, Mono.fromSupplier(bytes::retainedDuplicate));
    }

    /**
     * PostgreSQL's binary array ({@code array_recv}): one dimension of n non-null elements, each its length and
     * its bytes. The lengths are written to one small buffer; the contents are not copied.
     */
    static ByteBuf array(BinaryContents contents) {
        List<ByteBuf> elements = contents.elements();
        int n = elements.size();
        ByteBuf header = Unpooled.buffer(ARRAY_HEADER + n * Integer.BYTES);
        header.writeInt(n == 0 ? 0 : 1).writeInt(0).writeInt(BYTEA);
        if (n > 0) {
            header.writeInt(n).writeInt(1);
        }
        ByteBuf[] parts = new ByteBuf[1 + 2 * n];
        parts[0] = header.retainedSlice(0, header.writerIndex());
        for (int i = 0; i < n; i++) {
            int at = header.writerIndex();
            header.writeInt(elements.get(i).readableBytes());
            parts[1 + 2 * i] = header.retainedSlice(at, Integer.BYTES);
            parts[2 + 2 * i] = elements.get(i).retainedDuplicate();
        }
        header.release(); // the slices hold it
        return Unpooled.wrappedBuffer(parts.length, parts);
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
