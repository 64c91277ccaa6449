package dev.relay.engine.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real authoritative-style DNS server on loopback UDP for routing tests: a zone the test fills in (MX, A, AAAA),
 * names that answer SERVFAIL, names whose queries are dropped, answers delayed on purpose, and a count of every
 * query received by (name, type). Names with no data at all answer NXDOMAIN; names with other types answer NODATA.
 * Records go out uncompressed (Netty's encoder writes raw RDATA as given).
 */
public final class TestDnsServer implements AutoCloseable {
    private record Rr(DnsRecordType type, long ttl, byte[] rdata) {
    }

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel channel;
    private final Map<String, List<Rr>> zone = new ConcurrentHashMap<>();
    private final Map<String, DnsResponseCode> failures = new ConcurrentHashMap<>();
    private final Map<String, Boolean> dropped = new ConcurrentHashMap<>();
    private final Map<String, Duration> delays = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    public TestDnsServer() {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<NioDatagramChannel>() {
                    @Override
                    protected void initChannel(NioDatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new Responder());
                    }
                })
                .bind(new InetSocketAddress(NetUtil.LOCALHOST4, 0)).syncUninterruptibly().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    public TestDnsServer mx(String name, long ttl, int preference, String exchange) {
        ByteBuf rdata = Unpooled.buffer();
        rdata.writeShort(preference);
        writeName(rdata, exchange);
        byte[] bytes = new byte[rdata.readableBytes()];
        rdata.readBytes(bytes);
        return add(name, new Rr(DnsRecordType.MX, ttl, bytes));
    }

    public TestDnsServer a(String name, long ttl, String address) {
        return add(name, new Rr(DnsRecordType.A, ttl, NetUtil.createByteArrayFromIpAddressString(address)));
    }

    public TestDnsServer aaaa(String name, long ttl, String address) {
        return add(name, new Rr(DnsRecordType.AAAA, ttl, NetUtil.createByteArrayFromIpAddressString(address)));
    }

    /** A name that exists with some other record, so MX/A/AAAA questions get NODATA. */
    public TestDnsServer exists(String name) {
        return add(name, new Rr(DnsRecordType.TXT, 300, new byte[] {4, 't', 'e', 's', 't'}));
    }

    public TestDnsServer fail(String name, DnsResponseCode code) {
        failures.put(key(name), code);
        return this;
    }

    public TestDnsServer drop(String name) {
        dropped.put(key(name), Boolean.TRUE);
        return this;
    }

    public TestDnsServer delay(String name, Duration delay) {
        delays.put(key(name), delay);
        return this;
    }

    public int queries(String name, DnsRecordType type) {
        AtomicInteger count = counts.get(key(name) + " " + type.name());
        return count == null ? 0 : count.get();
    }

    public int totalQueries() {
        return total.get();
    }

    private TestDnsServer add(String name, Rr rr) {
        zone.computeIfAbsent(key(name), k -> new CopyOnWriteArrayList<>()).add(rr);
        return this;
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static void writeName(ByteBuf out, String name) {
        for (String label : key(name).split("\\.")) {
            if (!label.isEmpty()) {
                byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
                out.writeByte(bytes.length).writeBytes(bytes);
            }
        }
        out.writeByte(0);
    }

    private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            String name = key(question.name());
            total.incrementAndGet();
            counts.computeIfAbsent(name + " " + question.type().name(), k -> new AtomicInteger()).incrementAndGet();
            if (dropped.containsKey(name)) {
                return;
            }
            DatagramDnsResponse response = respond(query, question, name);
            Duration delay = delays.get(name);
            if (delay == null) {
                ctx.writeAndFlush(response);
            } else {
                ctx.executor().schedule(() -> ctx.writeAndFlush(response), delay.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        private DatagramDnsResponse respond(DatagramDnsQuery query, DnsQuestion question, String name) {
            DnsResponseCode failure = failures.get(name);
            List<Rr> records = zone.get(name);
            DnsResponseCode code = failure != null ? failure
                    : records == null ? DnsResponseCode.NXDOMAIN : DnsResponseCode.NOERROR;
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id(),
                    DnsOpCode.QUERY, code);
            response.setRecursionAvailable(true);
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            if (failure == null && records != null) {
                List<Rr> matching = new ArrayList<>();
                for (Rr rr : records) {
                    if (rr.type().equals(question.type())) {
                        matching.add(rr);
                    }
                }
                for (Rr rr : matching) {
                    response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), rr.type(),
                            rr.ttl(), Unpooled.wrappedBuffer(rr.rdata())));
                }
            }
            return response;
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
