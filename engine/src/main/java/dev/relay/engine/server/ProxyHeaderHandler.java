package dev.relay.engine.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Reads the client address a load balancer announced with the PROXY protocol (decoded by Netty's
 * {@code HAProxyMessageDecoder} just before this handler), tells the session with a {@link ProxiedClient} event
 * and leaves the pipeline. A {@code LOCAL} header (the balancer's own health check) keeps the real peer address.
 */
final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter {

    /** The client to use for relay rights, logs and the Received header. */
    record ProxiedClient(InetSocketAddress address) {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws UnknownHostException {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
            HAProxyProxiedProtocol.AddressFamily family = header.proxiedProtocol().addressFamily();
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null
                    && (family == HAProxyProxiedProtocol.AddressFamily.AF_IPv4
                    || family == HAProxyProxiedProtocol.AddressFamily.AF_IPv6)) {
                // An address literal, validated by the decoder: no name lookup happens here.
                client = new InetSocketAddress(InetAddress.getByName(header.sourceAddress()), header.sourcePort());
            }
            ctx.pipeline().remove(this);
            ctx.fireUserEventTriggered(new ProxiedClient(client));
        } finally {
            header.release();
        }
    }
}
