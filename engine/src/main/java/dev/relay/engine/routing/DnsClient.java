package dev.relay.engine.routing;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.DnsConfig;
import dev.relay.engine.config.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FutureListener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Uncached MX, A and AAAA questions over Netty's asynchronous resolver, on one event loop thread of its own (DNS is
 * light, and its own thread keeps it out of the SMTP loops' way). Raw {@code query} rather than {@code resolveAll},
 * because the router needs the response code (NXDOMAIN bounces, SERVFAIL defers) and each record's TTL.
 *
 * <p>Nameservers are asked in the configured order; a server that fails (timeout, SERVFAIL, REFUSED) hands the
 * question to the next one, as a stub resolver following resolv.conf does. Truncated UDP answers are retried over TCP
 * by Netty.
 */
public final class DnsClient implements DnsLookup, AutoCloseable {
    private final EventLoopGroup group;
    private final DnsNameResolver resolver;
    private final List<InetSocketAddress> servers;

    private DnsClient(EventLoopGroup group, DnsNameResolver resolver, List<InetSocketAddress> servers) {
        this.group = group;
        this.resolver = resolver;
        this.servers = List.copyOf(servers);
    }

    /** A client for {@code config.servers()} (empty: the system's), with its own event loop thread. */
    public static DnsClient create(DnsConfig config) {
        List<InetSocketAddress> servers = servers(config);
        boolean epoll = Epoll.isAvailable();
        DefaultThreadFactory threads = new DefaultThreadFactory("relay-dns", true);
        EventLoopGroup group = epoll ? new EpollEventLoopGroup(1, threads) : new NioEventLoopGroup(1, threads);
        DnsNameResolver resolver = new DnsNameResolverBuilder(group.next())
                .datagramChannelType(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .socketChannelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .nameServerProvider(new SequentialDnsServerAddressStreamProvider(servers))
                .queryTimeoutMillis(config.timeout().toMillis())
                .recursionDesired(true)
                // our own TTL cache sits above; Netty's caches would only hide queries from it
                .resolveCache(NoopDnsCache.INSTANCE)
                .cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                .build();
        return new DnsClient(group, resolver, servers);
    }

    /**
     * The configured nameservers (a name among them is resolved now, by the JVM, on the starting thread), or the
     * system's read once now. Reading resolv.conf here, on the starting thread,
     * is deliberate: Netty's platform default provider re-reads the file every few minutes on whichever thread asks,
     * which would be an event loop.
     */
    static List<InetSocketAddress> servers(DnsConfig config) {
        List<InetSocketAddress> servers = new ArrayList<>();
        if (config.servers().isEmpty()) {
            DnsServerAddressStream stream = DnsServerAddressStreamProviders.platformDefault().nameServerAddressStream("");
            for (int i = 0, n = stream.size(); i < n; i++) {
                servers.add(stream.next());
            }
            if (servers.isEmpty()) {
                throw new ConfigException("delivery.dns.servers", "[]", "no nameserver configured or found in the system");
            }
            return servers;
        }
        for (HostPort server : config.servers()) {
            InetSocketAddress address = new InetSocketAddress(server.host(), server.port());
            if (address.isUnresolved()) {
                throw new ConfigException("delivery.dns.servers", server.toString(), "cannot resolve the nameserver");
            }
            servers.add(address);
        }
        return servers;
    }

    /** The nameservers asked, in order. */
    public List<InetSocketAddress> servers() {
        return servers;
    }

    @Override
    public CompletableFuture<DnsAnswer<MxRecord>> mx(String domain) {
        return ask(domain, DnsRecordType.MX, DnsMessages::decodeMx);
    }

    @Override
    public CompletableFuture<DnsAnswer<InetAddress>> addresses(String host) {
        return ask(host, DnsRecordType.A, DnsMessages::decodeAddress)
                .thenCombine(ask(host, DnsRecordType.AAAA, DnsMessages::decodeAddress), DnsMessages::merge);
    }

    private <T> CompletableFuture<DnsAnswer<T>> ask(String name, DnsRecordType type,
            Function<ByteBuf, @Nullable T> decoder) {
        CompletableFuture<DnsAnswer<T>> result = new CompletableFuture<>();
        ask(name, type, decoder, 0, result);
        return result;
    }

    private <T> void ask(String name, DnsRecordType type, Function<ByteBuf, @Nullable T> decoder, int serverIndex,
            CompletableFuture<DnsAnswer<T>> result) {
        InetSocketAddress server = servers.get(serverIndex);
        resolver.query(server, new DefaultDnsQuestion(name, type)).addListener(
                (FutureListener<AddressedEnvelope<DnsResponse, InetSocketAddress>>) future -> {
                    DnsAnswer<T> answer;
                    if (future.isSuccess()) {
                        AddressedEnvelope<DnsResponse, InetSocketAddress> envelope = future.getNow();
                        try {
                            answer = DnsMessages.answer(envelope.content(), name, type, decoder);
                        } catch (RuntimeException e) {
                            answer = new DnsAnswer.Failed<>("unreadable response: " + e);
                        } finally {
                            envelope.release();
                        }
                    } else {
                        answer = new DnsAnswer.Failed<>(describe(future.cause()));
                    }
                    if (answer instanceof DnsAnswer.Failed<T> failed) {
                        if (serverIndex + 1 < servers.size()) {
                            ask(name, type, decoder, serverIndex + 1, result);
                            return;
                        }
                        answer = new DnsAnswer.Failed<>(type.name() + " " + name + ": " + failed.reason()
                                + " from " + server.getAddress().getHostAddress() + ":" + server.getPort());
                    }
                    result.complete(answer);
                });
    }

    private static String describe(Throwable cause) {
        if (cause instanceof DnsNameResolverTimeoutException) {
            return "timed out";
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        resolver.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
