package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.Cidr;
import dev.relay.engine.config.ClientLimitsConfig;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.metrics.MetricNames;
import dev.relay.engine.metrics.SmtpMetrics;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.protocol.SmtpReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The admission handler on embedded channels: what it lets through, what it refuses with which 421, what it counts. */
class ConnectionAdmissionTest {
    private static final InetSocketAddress PEER = new InetSocketAddress("192.0.2.7", 40000);
    private static final InetSocketAddress BALANCER = new InetSocketAddress("192.0.2.100", 40001);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicInteger open = new AtomicInteger();
    private final ClientLimits clientLimits =
            new ClientLimits(new ClientLimitsConfig(1, 0, 0, Duration.ofSeconds(1), 100), List.of());
    private final SessionServices services = services(2);

    private SessionServices services(int maxConnections) {
        SmtpConfig config = new SmtpConfig(SmtpConfig.DEFAULT_LISTEN, "relay.test", 1024, 10, maxConnections,
                Duration.ofMinutes(5), Duration.ofMinutes(10), 3, 20, SmtpConfig.DEFAULT_MAX_BYTES_IN_FLIGHT,
                Duration.ofSeconds(30), List.of(), List.of(), null, new dev.relay.engine.config.AuthConfig(null, true));
        return new SessionServices(config, new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))),
                new NoSpool(), null, null, new ByteBudget(1 << 20), new SmtpMetrics(registry, () -> 0L), open,
                draining, clientLimits, Clock.systemUTC());
    }

    /** What reaches the session. */
    private static final class Session extends ChannelInboundHandlerAdapter {
        boolean active;
        final List<Object> events = new ArrayList<>();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            active = true;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            events.add(event);
        }
    }

    private static final class Connection extends EmbeddedChannel {
        private final SocketAddress peer;

        Connection(SocketAddress peer) {
            super(false, false);
            this.peer = peer;
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return peer;
        }
    }

    private final List<Session> sessions = new ArrayList<>();

    private Connection connect(SocketAddress peer, boolean proxied) throws Exception {
        Session session = new Session();
        sessions.add(session);
        Connection channel = new Connection(peer);
        channel.pipeline().addLast(PipelineNames.ADMISSION, new ConnectionAdmission(services, "t", proxied))
                .addLast(PipelineNames.SESSION, session);
        channel.register();
        return channel;
    }

    private double rejected(String reason) {
        var counter = registry.find(MetricNames.SMTP_CONNECTIONS_REJECTED).tag(MetricNames.TAG_REASON, reason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private static SmtpReply refusal(EmbeddedChannel channel) {
        SmtpReply reply = channel.readOutbound();
        assertThat(channel.isOpen()).as("closed after the 421").isFalse();
        return reply;
    }

    @Test
    void anAdmittedClientReachesTheSessionAndIsGivenBackAtClose() throws Exception {
        Connection channel = connect(PEER, false);
        Session session = sessions.get(0);
        assertThat(session.active).isTrue();
        assertThat(session.events).containsExactly(new ConnectionAdmission.Admitted(PEER));
        assertThat(open.get()).isEqualTo(1);
        assertThat(clientLimits.trackedOpen()).isEqualTo(1);
        assertThat((Object) channel.readOutbound()).as("nothing written: the session greets").isNull();

        channel.close();
        assertThat(open.get()).isZero();
        assertThat(clientLimits.trackedOpen()).isZero();
    }

    @Test
    void beyondMaxConnectionsTheSessionNeverStarts() throws Exception {
        connect(new InetSocketAddress("192.0.2.1", 1), false);
        connect(new InetSocketAddress("192.0.2.2", 1), false);
        Connection third = connect(new InetSocketAddress("192.0.2.3", 1), false);

        assertThat(refusal(third)).isSameAs(Replies.TOO_MANY_CONNECTIONS);
        assertThat(sessions.get(2).active).isFalse();
        assertThat(sessions.get(2).events).isEmpty();
        assertThat(rejected("max_connections")).isEqualTo(1);
        assertThat(open.get()).as("the refused one is given back").isEqualTo(2);
    }

    @Test
    void aDrainingServerRefusesNewConnections() throws Exception {
        draining.set(true);
        Connection channel = connect(PEER, false);
        assertThat(refusal(channel)).isSameAs(Replies.SHUTTING_DOWN);
        assertThat(sessions.get(0).active).isFalse();
        assertThat(rejected("draining")).isEqualTo(1);
        assertThat(open.get()).isZero();
    }

    @Test
    void tooManyConnectionsFromOneAddressGet421AndNothingFurther() throws Exception {
        connect(PEER, false);
        Connection second = connect(new InetSocketAddress(PEER.getAddress(), 40002), false);

        assertThat(refusal(second)).isSameAs(Replies.IP_TOO_MANY_CONNECTIONS);
        assertThat(rejected("ip_connections")).isEqualTo(1);
        assertThat(clientLimits.trackedOpen()).as("only the first one holds its address").isEqualTo(1);
        assertThat(sessions.get(1).events).as("the session is never told to greet").isEmpty();
    }

    @Test
    void behindALoadBalancerTheProxiedClientIsTheOneAdmitted() throws Exception {
        Connection channel = connect(BALANCER, true);
        Session session = sessions.get(0);
        assertThat(session.active).as("the session times out a silent balancer").isTrue();
        assertThat(session.events).isEmpty();
        assertThat(clientLimits.trackedOpen()).isZero();

        channel.pipeline().fireUserEventTriggered(new ProxyHeaderHandler.ProxiedClient(PEER));
        assertThat(session.events).containsExactly(new ConnectionAdmission.Admitted(PEER));

        Connection other = connect(BALANCER, true);
        other.pipeline().fireUserEventTriggered(new ProxyHeaderHandler.ProxiedClient(PEER));
        assertThat(refusal(other)).as("the limit applies to the client, not the balancer")
                .isSameAs(Replies.IP_TOO_MANY_CONNECTIONS);
    }

    @Test
    void otherEventsPassOnlyWhileTheConnectionIsAdmitted() throws Exception {
        Connection admitted = connect(PEER, false);
        Connection refused = connect(new InetSocketAddress(PEER.getAddress(), 40002), false);
        admitted.pipeline().fireUserEventTriggered(SmtpServer.DRAIN);
        refused.pipeline().fireUserEventTriggered(SmtpServer.DRAIN);
        assertThat(sessions.get(0).events).endsWith(SmtpServer.DRAIN);
        assertThat(sessions.get(1).events).isEmpty();
    }

    private static final class NoSpool implements dev.relay.storage.Spool {
        @Override
        public Mono<Void> store(dev.relay.storage.IncomingMessage message) {
            return Mono.error(new AssertionError("not used"));
        }

        @Override
        public Mono<Void> storeClaimed(dev.relay.storage.IncomingMessage message, String node) {
            return Mono.error(new AssertionError("not used"));
        }
    }
}
