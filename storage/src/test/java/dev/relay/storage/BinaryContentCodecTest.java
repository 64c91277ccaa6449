package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class BinaryContentCodecTest {
    @Test
    void anArrayIsPostgresqlsBinaryArrayOfItsElementsWithoutCopyingThem() {
        ByteBuf a = Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII);
        ByteBuf b = Unpooled.directBuffer(2).writeByte(0).writeByte(0xff);
        ByteBuf array = BinaryContentCodec.array(new BinaryContents(List.of(a, b)));
        // ndim 1, no nulls, element type bytea (17), 2 elements from 1; then length and bytes of each
        assertThat(ByteBufUtil.hexDump(array)).isEqualTo("00000001" + "00000000" + "00000011" + "00000002"
                + "00000001" + "00000003" + "616263" + "00000002" + "00ff");
        assertThat(a.refCnt()).isEqualTo(2);
        assertThat(b.refCnt()).isEqualTo(2);
        a.setByte(0, 'x'); // a view, not a copy
        assertThat(array.getByte(24)).isEqualTo((byte) 'x');
        array.release();
        assertThat(a.refCnt()).isEqualTo(1);
        assertThat(b.refCnt()).isEqualTo(1);
        a.release();
        b.release();
    }

    @Test
    void anEmptyArrayHasNoDimensionAndEmptyElementsStay() {
        ByteBuf empty = BinaryContentCodec.array(new BinaryContents(List.of()));
        assertThat(ByteBufUtil.hexDump(empty)).isEqualTo("00000000" + "00000000" + "00000011");
        empty.release();
        ByteBuf none = Unpooled.buffer(0);
        ByteBuf one = BinaryContentCodec.array(new BinaryContents(List.of(none)));
        assertThat(ByteBufUtil.hexDump(one)).isEqualTo("00000001" + "00000000" + "00000011" + "00000001"
                + "00000001" + "00000000");
        one.release();
        assertThat(none.refCnt()).isEqualTo(1);
        none.release();
    }
}
