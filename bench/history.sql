-- history.sql: fills alerts with :history closed alerts of the past month,
-- spread over the employees already imported, then VACUUM and ANALYZE (as
-- autovacuum would have, long before a month's alerts were in): a database
-- in use rather than a new one, and no autovacuum of the fill running into
-- the timed phases (it did, and slowed them both). Used by
-- bench/prompt-latency and bench/ingest (--history); run with
--   psql -v history=N -f bench/history.sql
-- The titles the fill queued go into the console's search table at once
-- (titles.sql). Batches of 1 million rows, so that one statement's memory stays bounded.
SELECT format($$
WITH e AS (SELECT id, username, row_number() OVER (ORDER BY id) - 1 AS k FROM employees),
     n AS (SELECT count(*) AS c FROM employees)
INSERT INTO alerts (id, source, rule, title, username, severity, details, occurred_at, raw,
  employee_id, status, src_topic, src_partition, src_offset, received_at, prompted_at,
  chat_channel, chat_ts, answered_at, answer)
SELECT encode(sha256(('history-' || g)::bytea), 'hex'), 'bench-history', 'bench.history',
  'Past alert ' || g, e.username, 'medium', '{"ip": "203.0.113.7"}', t, '{}', e.id,
  'confirmed', 'history', 0, g, t, t, 'D0', g || '.000100', t, 'confirm'
FROM generate_series(%s, %s) g
CROSS JOIN n
JOIN e ON e.k = g %% n.c
CROSS JOIN LATERAL (SELECT now() - interval '31 days' + g * (interval '30 days' / %s) AS t) x
$$, lo, least(lo + 999999, :history), :history)
FROM generate_series(1, :history, 1000000) lo
\gexec
\ir titles.sql
VACUUM (ANALYZE) alerts, employees, employee_identities;
