-- 0011_audit_chain: a tamper-evident audit log. Every audit_log row gets
-- one row in audit_chain: its place in one hash chain (seq 1, 2, 3 ... in
-- commit order, sealed within a tick of its commit by audit_seal()), the
-- SHA-256 of its content (content_hash) and the SHA-256 of the previous
-- place's chain hash followed by its own content hash (chain_hash; the
-- first follows 32 zero bytes). An edited, deleted or re-ordered row
-- breaks the chain from there on: `sbctl audit verify` names the first
-- broken row. The digest posts the latest chain hash to the security
-- channel, so a copy outside the database can prove what was there.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- One row per audit_log row. No foreign key: a deleted audit row must leave
-- its chain row behind, for verify to name it.
CREATE TABLE audit_chain (
    seq          bigint PRIMARY KEY,
    audit_id     bigint NOT NULL UNIQUE,
    content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
    chain_hash   bytea NOT NULL CHECK (length(chain_hash) = 32)
);

-- The chain's end: one row, changed only by audit_seal().
CREATE TABLE audit_chain_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq  bigint NOT NULL,
    hash bytea NOT NULL CHECK (length(hash) = 32)
);

-- Rows committed and not sealed yet. A writer only adds its ids here (a
-- trigger, in its own transaction); it never waits for the chain: a lock
-- on the chain's end held to each COMMIT would let one audit-writing
-- transaction commit at a time across every replica (measured: a quarter
-- of the rate without it). audit_seal() takes them in the order their
-- transactions committed, batch by batch.
CREATE TABLE audit_pending (audit_id bigint PRIMARY KEY);

-- What content_hash covers: the row's id, time (microseconds since the
-- epoch), actor, action, alert, employee and detail, as jsonb's canonical
-- text, so it depends neither on a session's time zone nor on key order.
CREATE FUNCTION audit_log_content_hash(r audit_log) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(jsonb_build_array(r.id,
        (extract(epoch FROM r.at) * 1000000)::bigint, r.actor, r.action, r.alert_id,
        r.employee_id, r.detail)::text, 'UTF8'))
$$;

-- The writers need no privilege on the chain's tables: the functions run
-- as their owner (SECURITY DEFINER), with the search path of this migration.
CREATE FUNCTION audit_log_pending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO audit_pending (audit_id) SELECT id FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_log_pending AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_log_pending();

-- Seals up to max_rows committed rows: each gets the next place after the
-- head, in id order within the batch (rows a later transaction commits
-- are not visible yet: they go in a later batch). One sealer at a time
-- (sb-escalation's replicas call it every tick; the others return 0 at
-- once). Returns how many rows it sealed.
CREATE FUNCTION audit_seal(max_rows int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    ids bigint[];
    r record;
    s bigint;
    h bytea;
    n bigint := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('sb-audit-seal')) THEN
        RETURN 0;
    END IF;
    WITH taken AS (
        DELETE FROM audit_pending WHERE audit_id IN
            (SELECT audit_id FROM audit_pending ORDER BY audit_id LIMIT max_rows)
        RETURNING audit_id)
    SELECT array_agg(audit_id) INTO ids FROM taken;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    SELECT seq, hash INTO s, h FROM audit_chain_head FOR UPDATE;
    FOR r IN SELECT a.id, audit_log_content_hash(a) AS ch FROM audit_log a
             WHERE a.id = ANY (ids) ORDER BY a.id LOOP
        s := s + 1;
        n := n + 1;
        h := sha256(h || r.ch);
        INSERT INTO audit_chain (seq, audit_id, content_hash, chain_hash)
            VALUES (s, r.id, r.ch, h);
    END LOOP;
    UPDATE audit_chain_head SET seq = s, hash = h;
    RETURN n;
END $$;

-- The rows written before this migration, in id order.
DO $$
DECLARE
    r record;
    h bytea := decode(repeat('00', 32), 'hex');
    n bigint := 0;
BEGIN
    FOR r IN SELECT a.id, audit_log_content_hash(a) AS ch FROM audit_log a ORDER BY a.id LOOP
        n := n + 1;
        h := sha256(h || r.ch);
        INSERT INTO audit_chain (seq, audit_id, content_hash, chain_hash) VALUES (n, r.id, r.ch, h);
    END LOOP;
    INSERT INTO audit_chain_head (seq, hash) VALUES (n, h);
END $$;

-- The chain is as append-only as the log; the head changes only through
-- audit_seal().
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE OR TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
