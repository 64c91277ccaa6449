package dev.relay.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A slice of message content, emitted incrementally while DATA or BDAT content is read. For DATA
 * it is already dot-unstuffed and every line ending is CRLF; BDAT content is passed through raw.
 * Reference counted: the receiver must release it.
 */
public final class DataContent extends DefaultByteBufHolder implements SmtpInbound {
    public DataContent(ByteBuf content) {
        super(content);
    }

    @Override
    public DataContent replace(ByteBuf content) {
        return new DataContent(content);
    }

    @Override
    public DataContent copy() {
        return replace(content().copy());
    }

    @Override
    public DataContent duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public DataContent retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public DataContent retain() {
        super.retain();
        return this;
    }

    @Override
    public DataContent retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public DataContent touch() {
        super.touch();
        return this;
    }

    @Override
    public DataContent touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
