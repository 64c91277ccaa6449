-- Small messages stay in their row (issue 14). content is EXTERNAL (never compressed: pglz costs more CPU than it
-- saves on mail, and most of it is base64 or already compressed), and PostgreSQL moves a value out of line once the
-- row passes toast_tuple_target, 2 kB by default: every message over about 1.9 kB, nearly all mail, cost a TOAST
-- row per 2 kB chunk and an entry in the TOAST index at acceptance, the same again to read it for delivery, and dead
-- TOAST rows to delete and vacuum after it. With the target at its maximum, a message up to about 8 kB (the row
-- limit of an 8 kB page) is written once, in the row; larger ones go out of line, still uncompressed, as before.
-- Measured with the bench load (2 kB messages): the group commit's statement took 12-18 % less time in PostgreSQL
-- and the retiring DELETE 25-40 % less (pg_stat_statements; benchmarks/RESULTS.md, session 10). Applies to rows
-- written from now on; rows already stored are read as they are.
ALTER TABLE message SET (toast_tuple_target = 8160);
