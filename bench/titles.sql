-- titles.sql: after a bulk fill of alerts, moves every queued title into
-- the console's search table (migration 0018) as sb-ingest would have, but
-- with one index build instead of batch after batch of index inserts, so a
-- fill of millions takes a minute. Ends with the tables analyzed. Run after
-- bench/history.sql and bench/console's fill, as the tables' owner.
DROP INDEX alert_titles_trgm;
INSERT INTO alert_titles (alert_id, title) SELECT alert_id, title FROM alert_title_queue;
TRUNCATE alert_title_queue;
CREATE INDEX alert_titles_trgm ON alert_titles USING gin (lower(title) gin_trgm_ops);
VACUUM (ANALYZE) alert_titles, alert_title_queue;
