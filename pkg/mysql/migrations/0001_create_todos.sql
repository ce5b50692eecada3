-- The todos. Times are UTC with millisecond precision, written by the
-- store (not DEFAULT CURRENT_TIMESTAMP) so they do not depend on the
-- session time zone. The (status, id) index serves the keyset page with a
-- status filter: WHERE status = ? AND id > ? ORDER BY id LIMIT n.
CREATE TABLE IF NOT EXISTS todos (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    task       VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
    status     ENUM('todo', 'wip', 'done') NOT NULL DEFAULT 'todo',
    created_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (id),
    KEY todos_status_id (status, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
