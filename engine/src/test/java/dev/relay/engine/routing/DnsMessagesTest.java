package dev.relay.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Responses as real servers send them: compressed names in MX RDATA, CNAME chains, unrelated records. */
class DnsMessagesTest {
    private static final int QUESTION_NAME = 12; // the question name follows the 12-octet header

    @Test
    void compressedMxExchangesAreDecodedAgainstTheWholeMessage() {
        ByteBuf packet = header(2);
        name(packet, "example.com");
        packet.writeShort(15).writeShort(1);
        // mx.example.com and mx2.example.com, each "label + pointer to example.com in the question"
        answer(packet, 300, 15, rdata -> {
            rdata.writeShort(10);
            label(rdata, "mx");
            pointer(rdata, QUESTION_NAME);
        });
        answer(packet, 100, 15, rdata -> {
            rdata.writeShort(20);
            label(rdata, "MX2");
            pointer(rdata, QUESTION_NAME);
        });

        DnsAnswer<MxRecord> answer = decode(packet, "example.com", DnsRecordType.MX, true);
        assertThat(answer).isEqualTo(new DnsAnswer.Found<>(
                List.of(new MxRecord(10, "mx.example.com"), new MxRecord(20, "mx2.example.com")),
                Duration.ofSeconds(100)));
    }

    @Test
    void aNullMxHasAnEmptyExchange() {
        ByteBuf packet = header(1);
        name(packet, "example.com");
        packet.writeShort(15).writeShort(1);
        answer(packet, 300, 15, rdata -> rdata.writeShort(0).writeByte(0));

        DnsAnswer<MxRecord> answer = decode(packet, "example.com", DnsRecordType.MX, true);
        assertThat(((DnsAnswer.Found<MxRecord>) answer).values()).singleElement().satisfies(mx -> {
            assertThat(mx.isNull()).isTrue();
            assertThat(mx.preference()).isZero();
        });
    }

    @Test
    void addressesFollowTheCnameChainAndIgnoreStrangers() {
        ByteBuf packet = header(3);
        name(packet, "www.example.com");
        packet.writeShort(1).writeShort(1);
        answer(packet, 300, 5, rdata -> {
            label(rdata, "host");
            pointer(rdata, QUESTION_NAME + 4); // "example.com" inside "www.example.com"
        });
        answerNamed(packet, "host.example.com", 60, 1, rdata -> rdata.writeBytes(new byte[] {(byte) 192, 0, 2, 5}));
        answerNamed(packet, "stranger.example.org", 60, 1, rdata -> rdata.writeBytes(new byte[] {10, 0, 0, 1}));

        DnsAnswer<InetAddress> answer = decode(packet, "www.example.com", DnsRecordType.A, false);
        assertThat(answer).isInstanceOfSatisfying(DnsAnswer.Found.class, found -> {
            assertThat(found.values()).extracting(a -> ((InetAddress) a).getHostAddress()).containsExactly("192.0.2.5");
            assertThat(found.ttl()).isEqualTo(Duration.ofSeconds(60));
        });
    }

    @Test
    void responseCodesMapToAnswers() {
        assertThat(decode(header(0, 3), "example.com", DnsRecordType.MX, true))
                .isInstanceOf(DnsAnswer.NxDomain.class);
        assertThat(decode(header(0, 2), "example.com", DnsRecordType.MX, true))
                .isEqualTo(new DnsAnswer.Failed<MxRecord>("SERVFAIL"));
        assertThat(decode(header(0, 0), "example.com", DnsRecordType.MX, true)).isInstanceOf(DnsAnswer.NoData.class);
    }

    @Test
    void aAndAaaaMerge() {
        DnsAnswer<InetAddress> v4 = new DnsAnswer.Found<>(List.of(InetAddress.getLoopbackAddress()),
                Duration.ofSeconds(50));
        DnsAnswer<InetAddress> v6 = new DnsAnswer.Found<>(List.of(IpLiterals.parse("::1")), Duration.ofSeconds(20));
        DnsAnswer<InetAddress> merged = DnsMessages.merge(v4, v6);
        assertThat(((DnsAnswer.Found<InetAddress>) merged).values()).hasSize(2);
        assertThat(((DnsAnswer.Found<InetAddress>) merged).ttl()).isEqualTo(Duration.ofSeconds(20));
        assertThat(DnsMessages.merge(new DnsAnswer.Failed<>("x"), v6)).isSameAs(v6);
        assertThat(DnsMessages.merge(new DnsAnswer.NoData<>(), new DnsAnswer.NxDomain<>()))
                .isInstanceOf(DnsAnswer.NxDomain.class);
        assertThat(DnsMessages.merge(new DnsAnswer.NoData<>(), new DnsAnswer.Failed<>("x")))
                .isInstanceOf(DnsAnswer.Failed.class);
        assertThat(DnsMessages.merge(new DnsAnswer.NoData<>(), new DnsAnswer.NoData<>()))
                .isInstanceOf(DnsAnswer.NoData.class);
    }

    private static <T> DnsAnswer<T> decode(ByteBuf packet, String name, DnsRecordType type, boolean mx) {
        EmbeddedChannel channel = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 53);
        channel.writeInbound(new DatagramPacket(packet, peer, peer));
        AddressedEnvelope<DnsResponse, InetSocketAddress> envelope = channel.readInbound();
        try {
            @SuppressWarnings("unchecked")
            DnsAnswer<T> answer = (DnsAnswer<T>) DnsMessages.answer(envelope.content(), name, type,
                    mx ? DnsMessages::decodeMx : DnsMessages::decodeAddress);
            return answer;
        } finally {
            envelope.release();
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf header(int answers) {
        return header(answers, 0);
    }

    /** A response header with one question; the question itself must be written by the caller when answers > 0. */
    private static ByteBuf header(int answers, int rcode) {
        ByteBuf packet = Unpooled.buffer();
        packet.writeShort(0x1234).writeShort(0x8180 | rcode).writeShort(1).writeShort(answers).writeShort(0)
                .writeShort(0);
        if (answers == 0) {
            name(packet, "example.com");
            packet.writeShort(15).writeShort(1);
        }
        return packet;
    }

    private static void answer(ByteBuf packet, long ttl, int type, java.util.function.Consumer<ByteBuf> rdata) {
        pointer(packet, QUESTION_NAME);
        rr(packet, ttl, type, rdata);
    }

    private static void answerNamed(ByteBuf packet, String owner, long ttl, int type,
            java.util.function.Consumer<ByteBuf> rdata) {
        name(packet, owner);
        rr(packet, ttl, type, rdata);
    }

    private static void rr(ByteBuf packet, long ttl, int type, java.util.function.Consumer<ByteBuf> rdata) {
        packet.writeShort(type).writeShort(1).writeInt((int) ttl);
        int lengthAt = packet.writerIndex();
        packet.writeShort(0);
        rdata.accept(packet);
        packet.setShort(lengthAt, packet.writerIndex() - lengthAt - 2);
    }

    private static void name(ByteBuf out, String name) {
        for (String l : name.split("\\.")) {
            label(out, l);
        }
        out.writeByte(0);
    }

    private static void label(ByteBuf out, String label) {
        byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
        out.writeByte(bytes.length).writeBytes(bytes);
    }

    private static void pointer(ByteBuf out, int offset) {
        out.writeShort(0xC000 | offset);
    }
}
