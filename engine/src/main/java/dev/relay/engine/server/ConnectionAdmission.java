package dev.relay.engine.server;

import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpServerDecoder;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits or refuses one connection before its session sees it: {@code smtp.max_connections}, a draining server,
 * then the per-IP {@link ClientLimits} once the client is known (the peer, or the one a load balancer's PROXY header
 * named). An admitted connection reaches the session as an {@link Admitted} event; a refused one gets a 421 and
 * is closed, and nothing it sends goes further. At close it gives back what the connection held.
 *
 * <p>Sits just before the session, behind the reply encoder. Its fields are confined to the connection's event
 * loop; the counters it shares with other connections ({@link SessionServices}) are thread-safe.
 */
final class ConnectionAdmission extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionAdmission.class);

    /** The client is known and within every limit: the session greets it. */
    record Admitted(InetSocketAddress client) {
    }

    private final SessionServices services;
    private final String id;
    private final boolean awaitProxyHeader;
    private boolean counted;
    private boolean decided;
    private boolean refused;
    /** The client counted in the per-IP limits, to give back at disconnect. */
    private @Nullable InetAddress limitedClient;

    /** @param awaitProxyHeader the peer is a load balancer: decide on the client its PROXY header names */
    ConnectionAdmission(SessionServices services, String id, boolean awaitProxyHeader) {
        this.services = services;
        this.id = id;
        this.awaitProxyHeader = awaitProxyHeader;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counted = true;
        services.metrics().connectionOpened();
        if (services.openConnections().incrementAndGet() > services.config().maxConnections()) {
            services.metrics().connectionRejected("max_connections");
            refuse(ctx, Replies.TOO_MANY_CONNECTIONS);
            return;
        }
        if (services.draining().get()) {
            services.metrics().connectionRejected("draining");
            refuse(ctx, Replies.SHUTTING_DOWN);
            return;
        }
        // The session starts its idle timer now: a load balancer that never sends its header is timed out too.
        ctx.fireChannelActive();
        if (!awaitProxyHeader) {
            admit(ctx, (InetSocketAddress) ctx.channel().remoteAddress());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ProxyHeaderHandler.ProxiedClient proxied) {
            if (!decided) {
                admit(ctx, proxied.address());
            }
            return;
        }
        if (!refused) {
            ctx.fireUserEventTriggered(event);
        }
    }

    private void admit(ChannelHandlerContext ctx, InetSocketAddress client) {
        decided = true;
        ClientLimits.Admission admission = services.clientLimits().connect(client.getAddress());
        if (admission != ClientLimits.Admission.ADMITTED) {
            boolean concurrent = admission == ClientLimits.Admission.TOO_MANY_CONNECTIONS;
            services.metrics().connectionRejected(concurrent ? "ip_connections" : "ip_connection_rate");
            log.info("{} refused {}: too many {} from this address", id, client.getAddress().getHostAddress(),
                    concurrent ? "connections" : "new connections per minute");
            refuse(ctx, concurrent ? Replies.IP_TOO_MANY_CONNECTIONS : Replies.IP_TOO_MANY_NEW_CONNECTIONS);
            return;
        }
        limitedClient = client.getAddress();
        ctx.fireUserEventTriggered(new Admitted(client));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            services.openConnections().decrementAndGet();
            services.metrics().connectionClosed();
        }
        InetAddress limited = limitedClient;
        if (limited != null) {
            limitedClient = null;
            services.clientLimits().disconnect(limited);
        }
        ctx.fireChannelInactive();
    }

    private void refuse(ChannelHandlerContext ctx, SmtpReply reply) {
        decided = true;
        refused = true;
        services.metrics().reply(reply.code());
        SmtpServerDecoder decoder = ctx.pipeline().get(SmtpServerDecoder.class);
        if (decoder != null) {
            decoder.pause();
        }
        if (!ctx.channel().isWritable()) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
    }
}
