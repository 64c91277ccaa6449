package dev.relay.engine.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Netty's buffer allocator and event loops. Tags are bounded: {@code memory} is heap or direct, {@code group}
 * names one of the relay's own event loop groups (smtp_accept, smtp, delivery, http), never a thread.
 *
 * <p>Every gauge is read on scrape from the HTTP thread: the allocator's counters are plain reads, pinned memory
 * walks the arenas (a few dozen), and pending tasks are the size of each loop's task queue.
 */
public final class NettyMetrics {
    private NettyMetrics() {
    }

    /** Memory the allocator holds (used: reserved in chunks) and hands out (pinned: in live buffers). */
    public static void bindAllocator(MeterRegistry registry, ByteBufAllocator allocator) {
        Objects.requireNonNull(allocator, "allocator");
        if (!(allocator instanceof ByteBufAllocatorMetricProvider provider)) {
            return; // a custom allocator without metrics: nothing to show
        }
        ByteBufAllocatorMetric metric = provider.metric();
        gauge(registry, MetricNames.NETTY_ALLOCATOR_USED, "heap", metric, ByteBufAllocatorMetric::usedHeapMemory,
                "memory the Netty allocator holds (pooled: reserved in arenas' chunks)");
        gauge(registry, MetricNames.NETTY_ALLOCATOR_USED, "direct", metric, ByteBufAllocatorMetric::usedDirectMemory,
                "memory the Netty allocator holds (pooled: reserved in arenas' chunks)");
        if (allocator instanceof PooledByteBufAllocator pooled) {
            gauge(registry, MetricNames.NETTY_ALLOCATOR_PINNED, "heap", pooled, PooledByteBufAllocator::pinnedHeapMemory,
                    "memory in buffers the pooled Netty allocator has handed out and not yet had back");
            gauge(registry, MetricNames.NETTY_ALLOCATOR_PINNED, "direct", pooled,
                    PooledByteBufAllocator::pinnedDirectMemory,
                    "memory in buffers the pooled Netty allocator has handed out and not yet had back");
        }
    }

    private static <T> void gauge(MeterRegistry registry, String name, String memory, T source,
                                  ToDoubleFunction<T> value, String description) {
        Gauge.builder(name, source, value).tag(MetricNames.TAG_MEMORY, memory).baseUnit("bytes")
                .description(description).strongReference(true).register(registry);
    }

    /** Event loops in {@code group} and the tasks queued on them (a sustained backlog means a busy or blocked loop). */
    public static void bindEventLoops(MeterRegistry registry, String group, EventLoopGroup loops) {
        Objects.requireNonNull(group, "group");
        List<EventExecutor> executors = executors(loops);
        Gauge.builder(MetricNames.NETTY_EVENTLOOP_PENDING, executors, NettyMetrics::pendingTasks)
                .tag(MetricNames.TAG_GROUP, group).strongReference(true)
                .description("tasks queued on the group's event loops, not yet run").register(registry);
        Gauge.builder(MetricNames.NETTY_EVENTLOOPS, executors, List::size)
                .tag(MetricNames.TAG_GROUP, group).strongReference(true)
                .description("event loops (threads) in the group").register(registry);
    }

    private static List<EventExecutor> executors(EventLoopGroup loops) {
        List<EventExecutor> out = new java.util.ArrayList<>();
        // a group's executors are fixed at construction; the iteration is bounded by its thread count
        for (EventExecutor executor : loops) {
            out.add(executor);
        }
        return List.copyOf(out);
    }

    private static double pendingTasks(List<EventExecutor> executors) {
        long sum = 0;
        for (EventExecutor executor : executors) {
            if (executor instanceof SingleThreadEventExecutor single) {
                sum += single.pendingTasks();
            }
        }
        return sum;
    }
}
