-- Idempotency keys of creates. The key row is inserted first in the create
-- transaction, so a concurrent create with the same key waits on it and then
-- sees a duplicate. response holds the created todo as JSON: a replay answers
-- with the FIRST response even after the todo changed or was deleted.
-- Keys are compared byte for byte (ascii_bin): "abc" and "ABC" differ.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    idempotency_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    fingerprint     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    todo_id         BIGINT UNSIGNED NULL,
    response        TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    created_at      DATETIME(3) NOT NULL,
    PRIMARY KEY (idempotency_key),
    KEY idempotency_keys_created_at (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
