-- 0018_title_search_table: the console's title search (0013) moves off
-- sb-ingest's path (issue 17, section 4). The trigram index on alerts made
-- every insert pay for it, and its cost grows with the history: about 30%
-- of loading a batch into a table of 3 million alerts, nothing in an empty
-- one (bench/README.md, "Cost growth"). Now an insert only appends the
-- title to an unindexed queue (one statement per insert statement, the
-- trigger below); sb-ingest moves queued titles into the indexed search
-- table when it has no backlog, and at least every few seconds when it has
-- (alert_titles_index()). The console searches both, so a search finds an
-- alert the moment its row is committed, as before.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- Nothing else may write alerts while the titles are copied: a row
-- committed between the copy's snapshot and the trigger's creation would
-- be in neither table. (The index build below takes minutes at 10 million
-- alerts; docs/operations.md says so.)
LOCK TABLE alerts IN SHARE ROW EXCLUSIVE MODE;

-- Each alert's title once: the trigger fires for the rows an insert
-- actually added (a duplicate alert adds none), and the move is one
-- transaction, so no key is needed to keep them unique; no foreign key
-- either, since alerts are never deleted (a search joins alerts by its
-- primary key, so an orphan could never be shown anyway). COLLATE "C" as
-- alerts.id, so that the join uses alerts_pkey.
CREATE TABLE alert_titles (
    alert_id text COLLATE "C" NOT NULL,
    title    text NOT NULL
);
CREATE TABLE alert_title_queue (
    alert_id text COLLATE "C" NOT NULL,
    title    text NOT NULL
);

INSERT INTO alert_titles (alert_id, title) SELECT id, title FROM alerts;
DROP INDEX alerts_title_trgm;
-- Built after the copy: one bulk build instead of a row at a time.
CREATE INDEX alert_titles_trgm ON alert_titles USING gin (lower(title) gin_trgm_ops);

-- The writers of alerts need no privilege on the queue: the function runs
-- as its owner (SECURITY DEFINER), with the search path of this migration.
CREATE FUNCTION alerts_queue_titles() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO alert_title_queue (alert_id, title) SELECT id, title FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER alerts_queue_titles AFTER INSERT ON alerts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alerts_queue_titles();

-- Moves up to max_rows queued titles into alert_titles, in one statement:
-- a title is in exactly one of the two tables in every snapshot. Rows
-- another replica is moving are skipped (SKIP LOCKED), so replicas share
-- the queue instead of waiting for each other. Returns how many it moved.
CREATE FUNCTION alert_titles_index(max_rows int) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    WITH taken AS (
        DELETE FROM alert_title_queue WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM alert_title_queue LIMIT max_rows FOR UPDATE SKIP LOCKED))
        RETURNING alert_id, title),
    moved AS (
        INSERT INTO alert_titles (alert_id, title) SELECT alert_id, title FROM taken
        RETURNING 1)
    SELECT count(*) FROM moved
$$;
