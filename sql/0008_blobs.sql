-- The blob store's metadata (plugin ABI 1.6): one row per stored content,
-- named by its SHA-256. The bytes live outside the database (docs/blobs.md).
-- Regional, with no tenant column and no row-level security: a blob is
-- addressed by its content, and who may see it is decided by the module
-- whose (hospital-owned) rows reference the hash. Rows are only inserted,
-- in the transaction of the request that stored the bytes, so a rollback
-- never leaves a row without its file.
CREATE TABLE blobs (
    sha256       text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    length       bigint NOT NULL CHECK (length >= 0),
    content_type text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 95),
    created_at   timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON blobs TO concerto_app;
