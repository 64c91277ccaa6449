-- Vacuum for the queue (issue 14). message and recipient are queues: every accepted message inserts rows that its
-- delivery deletes a moment later, so at 1,000 msg/s they gain 60,000 dead rows a minute while holding a few hundred
-- live ones. With the default trigger (20 % of the live rows, checked once a minute) their pages and indexes grew
-- through a run and every statement that read them read the dead rows too: PostgreSQL's CPU per message rose from
-- 0.74 to 0.99 ms between the first and the second minute of a fixed-rate run (benchmarks/RESULTS.md, session 8). A
-- fixed threshold instead of a share of a size that is always near zero keeps them a few pages; no cost delay, since
-- a vacuum of a few pages is cheaper done at once than spread out. The same for the rows every batch upserts (the
-- rollups) and the webhook outbox, a queue as well. (The server's autovacuum_naptime bounds how often any of this is
-- looked at: the embedded PostgreSQL checks every second; see README, "Delivery throughput".)
-- Nor does vacuum truncate them: giving the emptied pages at the end back to the file system takes an ACCESS
-- EXCLUSIVE lock on the table, and on a table every acceptance and delivery writes, that stalled every statement on
-- it (a 100-200 ms stall in the middle of a fixed-rate run, the relay's pool opening connections to wait in; gone
-- with vacuum_truncate off). The pages are reused by the next inserts instead.
ALTER TABLE message SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 2000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000, autovacuum_vacuum_cost_delay = 0,
    toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 2000,
    toast.autovacuum_vacuum_cost_delay = 0, vacuum_truncate = false, toast.vacuum_truncate = false);
ALTER TABLE recipient SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 2000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000, autovacuum_vacuum_cost_delay = 0,
    vacuum_truncate = false);
ALTER TABLE webhook_outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
    autovacuum_vacuum_cost_delay = 0, vacuum_truncate = false);
ALTER TABLE event_rollup SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0);
ALTER TABLE event_rollup_minute SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0);
