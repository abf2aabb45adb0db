-- 0013_console_title_search: a trigram index behind the alerts page's text
-- search (GET /api/v1/alerts?q=...), which 0010 left as a scan of the newest
-- alerts until 50 matched: p99 68-115 ms at 1,000,000 alerts for a term in
-- one alert of a thousand (bench/README.md, "Console"). With the index the
-- search is an index lookup of the matching alerts whatever their number.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- pg_trgm ships with PostgreSQL (Debian's postgresql-15) and is a trusted
-- extension: the database's owner may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- sb-console searches lower(title) with LIKE '%term%' (the term's own % _ \
-- escaped), which a GIN trigram index answers for terms of three characters
-- or more; shorter terms keep the newest-first scan of 0010. GIN's pending
-- list (fastupdate, the default) keeps sb-ingest's insert cheap: entries
-- are merged in batches by autovacuum or when the list fills.
CREATE INDEX alerts_title_trgm ON alerts USING gin (lower(title) gin_trgm_ops);
