package dev.relay.engine.server;

import dev.relay.engine.auth.Authenticator;
import dev.relay.engine.config.Cidr;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.intake.IntakeDoor;
import dev.relay.engine.metrics.SmtpMetrics;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.engine.dkim.MessageSigning;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.protocol.SmtpReplyEncoder;
import dev.relay.protocol.SmtpServerDecoder;
import dev.relay.storage.Spool;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMTP listener: one Netty pipeline per connection (read gate, [PROXY header], [TLS], command decoder, reply
 * encoder, admission, session), native epoll when available. {@link #drain} stops it the way a rolling restart
 * needs: no new connections, idle sessions get 421, sessions in DATA may finish.
 */
public final class SmtpServer implements AutoCloseable {
    /** User event telling every session that the server drains. */
    static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };
    private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);

    private final InetSocketAddress listen;
    private final SessionServices services;
    private final SessionCommands commands;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Class<? extends ServerChannel> channelType;
    private final ChannelGroup channels = new DefaultChannelGroup("smtp", GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean draining = new AtomicBoolean();
    private final List<Cidr> proxyProtocolFrom;
    private @Nullable Channel serverChannel;

    /**
     * Listens on {@code smtp.listen}; connections from {@code smtp.proxy_protocol_from} start with a PROXY header.
     * Sessions run on {@code sessionLoops}, which the caller owns (the relay shares them with its delivery client
     * and database driver) and shuts down after this server; the accepting loop is this server's own. Each accepted
     * message is signed with {@code signing} on {@code signingScheduler} (DKIM), and the bounces that come back to
     * the bounce domain ({@code bounces.verp}) go to {@code intake}.
     */
    public SmtpServer(SmtpConfig smtp, RelayPolicy relayPolicy, Spool spool, @Nullable Authenticator authenticator,
            @Nullable SslContext sslContext, ByteBudget budget, SmtpMetrics metrics, EventLoopGroup sessionLoops,
            Clock clock, SuppressionCheck suppression, MessageSigning signing, Scheduler signingScheduler,
            IntakeDoor intake) {
        this.proxyProtocolFrom = smtp.proxyProtocolFrom();
        this.listen = new InetSocketAddress(smtp.listen().host(), smtp.listen().port());
        this.services = new SessionServices(smtp, relayPolicy, spool, authenticator, sslContext, budget, metrics,
                new AtomicInteger(), draining,
                new ClientLimits(smtp.clientLimits(), relayPolicy.relayNetworks()), clock, suppression, signing,
                signingScheduler, intake);
        this.commands = services.commands();
        this.workerGroup = Objects.requireNonNull(sessionLoops, "sessionLoops");
        // the listener's channel must be of the sessions' transport: epoll loops take epoll channels only
        if (sessionLoops instanceof EpollEventLoopGroup) {
            bossGroup = new EpollEventLoopGroup(1);
            channelType = EpollServerSocketChannel.class;
        } else {
            bossGroup = new NioEventLoopGroup(1);
            channelType = NioServerSocketChannel.class;
        }
    }

    /** Binds the listener; returns the bound address (the real port when configured with port 0). */
    public InetSocketAddress start() {
        SmtpReplyEncoder encoder = new SmtpReplyEncoder();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channels.add(channel);
                        boolean proxied = fromLoadBalancer(channel.remoteAddress());
                        channel.pipeline().addLast(PipelineNames.READ_GATE, new ReadGate());
                        if (proxied) {
                            channel.pipeline()
                                    .addLast(PipelineNames.PROXY_DECODER, new HAProxyMessageDecoder())
                                    .addLast(PipelineNames.PROXY_HEADER, new ProxyHeaderHandler());
                        }
                        String id = sessionId();
                        channel.pipeline()
                                .addLast(PipelineNames.DECODER, new SmtpServerDecoder())
                                .addLast(PipelineNames.ENCODER, encoder)
                                .addLast(PipelineNames.ADMISSION, new ConnectionAdmission(services, id, proxied))
                                .addLast(PipelineNames.SESSION, new SmtpSession(services, commands, id));
                    }
                });
        Channel channel = bootstrap.bind(listen).syncUninterruptibly().channel();
        serverChannel = channel;
        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        log.info("SMTP listening on {}:{} ({})", bound.getHostString(), bound.getPort(),
                channelType == EpollServerSocketChannel.class ? "epoll" : "nio");
        return bound;
    }

    private boolean fromLoadBalancer(InetSocketAddress peer) {
        for (Cidr network : proxyProtocolFrom) {
            if (network.contains(peer.getAddress())) {
                return true;
            }
        }
        return false;
    }

    public boolean isListening() {
        Channel channel = serverChannel;
        return channel != null && channel.isActive() && !draining.get();
    }

    /** Whether {@link #drain} has begun: the listener is closed or closing and sessions are being told to go. */
    public boolean isDraining() {
        return draining.get();
    }

    /** The loop that accepts connections (for metrics). */
    public EventLoopGroup acceptLoops() {
        return bossGroup;
    }

    /** The loops that run the sessions (for metrics). */
    public EventLoopGroup sessionLoops() {
        return workerGroup;
    }

    public int openConnections() {
        return services.openConnections().get();
    }

    /**
     * Stops accepting, tells idle sessions to go (421 4.3.2), and waits up to {@code grace} for the others to end
     * before closing them. Blocking: call it from the shutdown path, never from an event loop.
     */
    public void drain(Duration grace) {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        Channel channel = serverChannel;
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        channels.forEach(c -> c.pipeline().fireUserEventTriggered(DRAIN));
        long deadline = System.nanoTime() + grace.toNanos();
        while (!channels.isEmpty() && System.nanoTime() < deadline) {
            sleepQuietly(50);
        }
        if (!channels.isEmpty()) {
            log.warn("closing {} SMTP sessions still open after {}", channels.size(), grace);
            channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        drain(Duration.ZERO);
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String sessionId() {
        return Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
