-- The id fence: one row naming the only region whose writer may create
-- todos. Every create is gated by it in the same statement (INSERT INTO
-- todos ... SELECT ... FROM id_fence WHERE id = 1 AND writer_region = ?),
-- so a writer promoted by a failover hands out no id until FenceIDs has
-- moved its AUTO_INCREMENT counter past every id the old writer can have
-- issued and named its region here. Migrate seeds the row (INSERT IGNORE)
-- with the region of the writer it runs on.
--   term       grows by one per fence (0: seeded, never fenced)
--   floor      the next id was at least this when the last fence ran
--   gap        floor - the largest id held then - 1 (0 for a planned move)
--   reason     how the last fence sized the gap, with its figures
CREATE TABLE IF NOT EXISTS id_fence (
    id            TINYINT UNSIGNED NOT NULL,
    writer_region VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    term          BIGINT UNSIGNED NOT NULL,
    floor         BIGINT UNSIGNED NOT NULL,
    gap           BIGINT UNSIGNED NOT NULL,
    fenced_at     DATETIME(3) NOT NULL,
    reason        VARCHAR(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT id_fence_one_row CHECK (id = 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
