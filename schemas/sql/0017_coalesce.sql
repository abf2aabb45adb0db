-- 0017_coalesce: one question for an alert storm (issue 16, section 1).
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- group_id: the alert whose question a group of alerts shares (its
-- leader). sb-prompt sets it on the leader (to its own id) and on every
-- member, which it moves from 'queued' to 'grouped' while the leader's
-- question is open (SECURITYBOT_COALESCE_WINDOW). A member is never in
-- alerts_one_conversation: the leader alone holds the conversation, and
-- sb-response (or sb-escalation's no_response timer) gives every member
-- the leader's final decision in the leader's transaction. NULL: an alert
-- asked on its own.
-- group_shown, group_shown_at: the leader's message as last posted or
-- updated (how many alerts it counted, and when), so that chat.update
-- runs at most once per 5 s per message.
-- (COLLATE "C" as alerts.id: group_id = id must use alerts_group; with the
-- default collation the comparison could not, and every lookup of a
-- group's members scanned the table.)
ALTER TABLE alerts
    ADD COLUMN group_id       text COLLATE "C",
    ADD COLUMN group_shown    integer NOT NULL DEFAULT 1,
    ADD COLUMN group_shown_at timestamptz;

-- A leader's members, and "which open leaders have new members": only
-- grouped alerts (and their leaders) enter it.
CREATE INDEX alerts_group ON alerts (group_id) WHERE group_id IS NOT NULL;
