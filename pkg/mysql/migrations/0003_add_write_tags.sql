-- Every write (create, update) stores a random 64-bit tag, drawn by the
-- store: with the version it names that one write, and the API's ETag is
-- "<version>-<tag in hex>". A version number alone is not enough: after an
-- unplanned failover a write the old writer acknowledged may be lost, and a
-- later write on the new writer reaches the same version; If-Match must not
-- take one for the other.
--
-- MySQL 8 has no ADD COLUMN IF NOT EXISTS: the migration runner counts an
-- ALTER TABLE ... ADD whose column exists (error 1060) as done.
ALTER TABLE todos ADD COLUMN write_tag BIGINT UNSIGNED NOT NULL DEFAULT 0;
-- The tag of the first response an idempotency key replays (the response
-- JSON holds the todo's fields, not its tag).
ALTER TABLE idempotency_keys ADD COLUMN write_tag BIGINT UNSIGNED NOT NULL DEFAULT 0;
-- Rows written before this migration get a deterministic tag derived from
-- their id: the same on every server that replays this statement (SHA2 and
-- CONV are deterministic, so statement-based replication is safe), and
-- only for rows that have none yet, so running it again changes nothing.
UPDATE todos
   SET write_tag = CAST(CONV(SUBSTRING(SHA2(CONCAT('todomgmt-migrated-write:', id), 256), 1, 16), 16, 10) AS UNSIGNED)
 WHERE write_tag = 0;
-- A replay of a key stored before this migration answers with the tag its
-- todo got above: the first response's ETag matches the todo as long as
-- the todo has not changed since (its version is still the first one).
UPDATE idempotency_keys
   SET write_tag = CAST(CONV(SUBSTRING(SHA2(CONCAT('todomgmt-migrated-write:', todo_id), 256), 1, 16), 16, 10) AS UNSIGNED)
 WHERE write_tag = 0 AND todo_id IS NOT NULL;
