-- Autovacuum of the event partitions by a fixed million rows (issue 14). A day partition only grows, and by default
-- it is analysed whenever 10 % of its rows are new and vacuumed whenever 20 % are: on a young partition under load
-- that was an ANALYZE every few seconds (24 in a bench warm-up and three 20,000-message rounds, each a 30,000-row
-- sample sorted per column) and an insert vacuum nearly as often: autovacuum took about a tenth of PostgreSQL's CPU,
-- most of it these (perf, benchmarks/RESULTS.md, session 10). Every reader of the event table looks rows up by index (message, recipient, client Message-ID, time),
-- which stays the plan with statistics a million rows old. New partitions get the same (EventPartitions.STORAGE).
DO $$
DECLARE p regclass;
BEGIN
    FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'event'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000000,'
                || ' autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000000)', p);
    END LOOP;
END $$;
