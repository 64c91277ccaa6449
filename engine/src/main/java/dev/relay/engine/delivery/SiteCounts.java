package dev.relay.engine.delivery;

/** A snapshot of one site's pool for metrics: connections open (idle + in use + being opened), idle, in use, waiting callers. */
public record SiteCounts(int open, int idle, int inUse, int waiting) {
    public static final SiteCounts EMPTY = new SiteCounts(0, 0, 0, 0);
}
